import {
  type ChatMessage,
  invalidArgument,
  isTroupeError,
  type LogQuery,
  SESSION_FORMAT_VERSION,
  type SessionLogEntry,
  type SessionSnapshot,
  type SessionStore,
  type StoredLogEntry,
  TroupeError,
} from '@troupe/core';
import {
  checkIndex,
  checkLogEntry,
  checkLogQuery,
  checkMessages,
  checkOptionNames,
  checkSessionId,
  checkSnapshot,
  unknownVersion,
} from '@troupe/core/backend';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
import { prepareDatabase } from './schema.js';

/**
 * Options for {@link createSqliteSessionStore}.
 *
 * @example
 * ```ts
 * createSqliteSessionStore({ path: 'troupe.db', busyTimeoutMs: 10_000, synchronous: 'FULL' });
 * ```
 */
export interface SqliteSessionStoreOptions {
  /** Database file; created if missing. `':memory:'` works but is gone on close. */
  readonly path: string;
  /** How long a write waits for another process's lock before failing (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /**
   * `'NORMAL'` (default): commits survive a process crash; an OS crash or power loss may lose
   * the last few. `'FULL'`: every commit is fsynced, also surviving power loss, but slower.
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /**
   * Where WAL checkpoints run. `'worker'` (default for files): on a second connection in a
   * worker thread, every few thousand rows written, so the event loop never waits for a
   * checkpoint's copy and fsyncs (25-45 ms each here); SQLite's own auto-checkpoint stays on as
   * a backstop at 40 MB of WAL. `'inline'`: SQLite's default, on the writing connection every
   * ~4 MB of WAL.
   */
  readonly checkpoint?: 'worker' | 'inline';
}

/**
 * A {@link SessionStore} on SQLite, plus what only SQLite can offer.
 *
 * @example
 * ```ts
 * const store: SqliteSessionStore = createSqliteSessionStore({ path: 'troupe.db' });
 * store.appendLogSync(entries); // on disk before the next line
 * ```
 */
export interface SqliteSessionStore extends SessionStore {
  /** Writes log lines in one transaction before returning: safe inside an `exit` handler. */
  appendLogSync(entries: readonly SessionLogEntry[]): void;
  /** The file this store writes. */
  readonly path: string;
  /** Runs a WAL checkpoint now (in the worker, when there is one) and resolves when done. */
  checkpoint(): Promise<void>;
}

const LOG_ROWS_PER_INSERT = 32;
/** Rows written (log lines, messages, snapshots) between two checkpoint requests (~1 MB). */
const CHECKPOINT_EVERY_ROWS = 5_000;
const BACKSTOP_PAGES = 10_000;

interface Row {
  version: number;
  body: string;
}
interface LogRow {
  seq: number;
  session_id: string;
  type: string;
  at: number;
  data: string;
}

/**
 * A {@link SessionStore} on SQLite (better-sqlite3): WAL journal, `synchronous=NORMAL`, every
 * statement prepared once. Snapshots are versioned (an unknown format loads as
 * `ERR_UNKNOWN_VERSION`), history is append-only and idempotent by position, and each
 * `appendLog` call is one transaction.
 *
 * better-sqlite3 is synchronous: each method does its work inside the call and returns a
 * settled promise, so a write is on disk before the caller's next line runs. Keep calls on hot
 * paths batched (the session log and saver in `@troupe/core` do).
 *
 * @example
 * ```ts
 * import { createSessionLog, createSessionSaver, systemClock } from '@troupe/core';
 * import { createSqliteSessionStore } from '@troupe/sqlite';
 *
 * const store = createSqliteSessionStore({ path: 'troupe.db' });
 * const log = createSessionLog({ store, clock: systemClock });
 * log.append({ sessionId: 's1', type: 'turn.started', at: systemClock.now(), data: {} });
 * await log.close();
 * await store.close();
 * ```
 */
export function createSqliteSessionStore(options: SqliteSessionStoreOptions): SqliteSessionStore {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  checkOptionNames(
    options as unknown as Record<string, unknown>,
    STORE_OPTIONS,
    'SQLite session store',
  );
  const { path, busyTimeoutMs = 5_000, synchronous = 'NORMAL' } = options;
  if (typeof path !== 'string' || path.length === 0) {
    throw invalidArgument('options.path must be a non-empty string', { path });
  }
  if (!(Number.isSafeInteger(busyTimeoutMs) && busyTimeoutMs >= 0)) {
    throw invalidArgument('options.busyTimeoutMs must be a non-negative integer', {
      busyTimeoutMs,
    });
  }
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw invalidArgument("options.synchronous must be 'NORMAL' or 'FULL'", { synchronous });
  }
  const inMemory = path === ':memory:' || path.startsWith('file::memory:');
  const checkpointMode = options.checkpoint ?? (inMemory ? 'inline' : 'worker');
  if (checkpointMode !== 'worker' && checkpointMode !== 'inline') {
    throw invalidArgument("options.checkpoint must be 'worker' or 'inline'", {
      checkpoint: checkpointMode,
    });
  }

  let db: Database.Database;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
  } catch (error) {
    throw unavailable(error, `cannot open ${path}`);
  }
  try {
    prepareDatabase(db, path, synchronous);
  } catch (error) {
    db.close();
    throw isTroupeError(error) ? error : unavailable(error, `cannot prepare ${path}`);
  }
  let checkpointer: Checkpointer | undefined;
  if (checkpointMode === 'worker' && !inMemory) {
    // SQLite's own checkpoint only as a backstop (10,000 pages, ~40 MB), should the worker lag.
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    checkpointer = new Checkpointer(path, busyTimeoutMs, CHECKPOINT_EVERY_ROWS);
  }

  // Prepared once: a statement per query shape.
  const upsertSnapshot = db.prepare<[string, number, number, string]>(
    `INSERT INTO snapshots (session_id, version, revision, body) VALUES (?, ?, ?, ?)
     ON CONFLICT (session_id) DO UPDATE SET version = excluded.version,
       revision = excluded.revision, body = excluded.body
     WHERE excluded.revision > snapshots.revision`,
  );
  const selectSnapshot = db.prepare<[string], Row>(
    'SELECT version, body FROM snapshots WHERE session_id = ?',
  );
  const selectSessions = db
    .prepare<[], string>('SELECT session_id FROM snapshots ORDER BY session_id')
    .pluck();
  const historyLength = db
    .prepare<[string], number>(
      'SELECT COALESCE(MAX(position) + 1, 0) FROM history WHERE session_id = ?',
    )
    .pluck();
  const insertMessage = db.prepare<[string, number, string]>(
    'INSERT OR IGNORE INTO history (session_id, position, message) VALUES (?, ?, ?)',
  );
  const selectHistory = db
    .prepare<[string, number], string>(
      'SELECT message FROM history WHERE session_id = ? AND position >= ? ORDER BY position',
    )
    .pluck();
  const insertLog = db.prepare<[number, string, number, string]>(
    'INSERT INTO log (session_ref, type, at, data) VALUES (?, ?, ?, ?)',
  );
  const insertSessionRef = db.prepare<[string]>(
    'INSERT OR IGNORE INTO sessions (session_id) VALUES (?)',
  );
  const selectSessionRef = db
    .prepare<[string], number>('SELECT ref FROM sessions WHERE session_id = ?')
    .pluck();
  // One statement inserting LOG_ROWS_PER_INSERT rows: the per-statement cost of
  // better-sqlite3 (~1 µs) is paid once per group, not per row (2.4x the rows/s of
  // one-row inserts on this machine; 32 beat 16 and 64).
  const insertLogGroup = db.prepare<unknown[]>(
    `INSERT INTO log (session_ref, type, at, data) VALUES ${Array(LOG_ROWS_PER_INSERT).fill('(?, ?, ?, ?)').join(', ')}`,
  );
  // LIMIT -1 is SQLite for "no limit".
  const selectLog = db.prepare<[number, number], LogRow>(
    `SELECT l.seq, s.session_id, l.type, l.at, l.data FROM log l JOIN sessions s ON s.ref = l.session_ref
     WHERE l.seq > ? ORDER BY l.seq LIMIT ?`,
  );
  const selectSessionLog = db.prepare<[number, number, number], Omit<LogRow, 'session_id'>>(
    'SELECT seq, type, at, data FROM log WHERE session_ref = ? AND seq > ? ORDER BY seq LIMIT ?',
  );

  const appendMessages = db.transaction(
    (sessionId: string, fromIndex: number, messages: readonly string[]) => {
      const length = historyLength.get(sessionId) ?? 0;
      if (fromIndex > length) {
        throw invalidArgument(
          `fromIndex ${fromIndex} is past the end of session ${sessionId}'s history (${length} messages)`,
          { sessionId, fromIndex, length },
        );
      }
      for (let i = length - fromIndex; i < messages.length; i++) {
        insertMessage.run(sessionId, fromIndex + i, messages[i]!);
      }
    },
  );
  // Session id -> ref, filled lazily. Refs are never reassigned, so entries stay valid (also
  // across processes sharing the file); a failed transaction clears the map, since refs it
  // inserted were rolled back.
  const refs = new Map<string, number>();
  const sessionRef = (sessionId: string): number => {
    let ref = refs.get(sessionId);
    if (ref === undefined) {
      insertSessionRef.run(sessionId);
      ref = selectSessionRef.get(sessionId)!;
      refs.set(sessionId, ref);
    }
    return ref;
  };
  const groupParams = new Array<unknown>(LOG_ROWS_PER_INSERT * 4);
  const insertRows = db.transaction((params: unknown[]) => {
    // Session ids become refs inside the transaction (a new one is inserted with the rows).
    for (let i = 0; i < params.length; i += 4) params[i] = sessionRef(params[i] as string);
    const rows = params.length / 4;
    let row = 0;
    for (; row + LOG_ROWS_PER_INSERT <= rows; row += LOG_ROWS_PER_INSERT) {
      for (let j = 0; j < groupParams.length; j++) groupParams[j] = params[row * 4 + j];
      insertLogGroup.run(groupParams);
    }
    for (; row < rows; row++) {
      const at = row * 4;
      insertLog.run(
        params[at] as number,
        params[at + 1] as string,
        params[at + 2] as number,
        params[at + 3] as string,
      );
    }
  });

  const appendRows = (params: unknown[]): void => {
    try {
      insertRows(params);
    } catch (error) {
      refs.clear();
      throw error;
    }
  };

  let closed = false;
  // Every method: closed check, then the work, with driver errors made TroupeErrors.
  const run = <T>(work: () => T): T => {
    if (closed) throw new TroupeError('ERR_CLOSED', 'session store is closed');
    try {
      return work();
    } catch (error) {
      throw isTroupeError(error) ? error : unavailable(error, `session store ${path} failed`);
    }
  };

  const appendLogSync = (entries: readonly SessionLogEntry[]): void =>
    run(() => {
      if (!Array.isArray(entries)) throw invalidArgument('entries must be an array');
      // Validate and serialize all before the transaction: a bad entry writes nothing.
      // Flat parameters, four per row, ready for the multi-row insert.
      const params = new Array<unknown>(entries.length * 4);
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        checkLogEntry(entry, `entries[${i}]`);
        params[i * 4] = entry.sessionId;
        params[i * 4 + 1] = entry.type;
        params[i * 4 + 2] = entry.at;
        params[i * 4 + 3] = JSON.stringify(entry.data) ?? 'null';
      }
      if (entries.length > 0) {
        appendRows(params);
        checkpointer?.wrote(entries.length);
      }
    });
  return {
    path,

    async saveSnapshot(snapshot: SessionSnapshot): Promise<void> {
      run(() => {
        checkSnapshot(snapshot);
        upsertSnapshot.run(
          snapshot.sessionId,
          snapshot.version,
          snapshot.revision,
          JSON.stringify(snapshot),
        );
        checkpointer?.wrote(1);
      });
    },

    async loadSnapshot(sessionId: string): Promise<SessionSnapshot | undefined> {
      return run(() => {
        checkSessionId(sessionId, 'sessionId');
        const row = selectSnapshot.get(sessionId);
        if (row === undefined) return undefined;
        if (row.version !== SESSION_FORMAT_VERSION) {
          throw unknownVersion(sessionId, row.version);
        }
        return JSON.parse(row.body) as SessionSnapshot;
      });
    },

    async appendHistory(sessionId: string, fromIndex: number, messages: readonly ChatMessage[]) {
      run(() => {
        checkSessionId(sessionId, 'sessionId');
        checkIndex(fromIndex, 'fromIndex');
        checkMessages(messages);
        const texts = messages.map((message) => JSON.stringify(message));
        appendMessages(sessionId, fromIndex, texts);
        checkpointer?.wrote(texts.length);
      });
    },

    async loadHistory(sessionId: string, fromIndex = 0): Promise<ChatMessage[]> {
      return run(() => {
        checkSessionId(sessionId, 'sessionId');
        checkIndex(fromIndex, 'fromIndex');
        return selectHistory
          .all(sessionId, fromIndex)
          .map((text) => JSON.parse(text) as ChatMessage);
      });
    },

    async appendLog(entries: readonly SessionLogEntry[]): Promise<void> {
      appendLogSync(entries);
    },

    appendLogSync,

    async readLog(query: LogQuery = {}): Promise<StoredLogEntry[]> {
      return run(() => {
        checkLogQuery(query);
        const { sessionId, afterSeq = 0, limit = -1 } = query;
        if (sessionId === undefined) {
          return selectLog.all(afterSeq, limit).map((row) => ({
            seq: row.seq,
            sessionId: row.session_id,
            type: row.type,
            at: row.at,
            data: JSON.parse(row.data) as unknown,
          }));
        }
        const ref = refs.get(sessionId) ?? selectSessionRef.get(sessionId);
        if (ref === undefined) return [];
        return selectSessionLog.all(ref, afterSeq, limit).map((row) => ({
          seq: row.seq,
          sessionId,
          type: row.type,
          at: row.at,
          data: JSON.parse(row.data) as unknown,
        }));
      });
    },

    async listSessions(): Promise<string[]> {
      return run(() => selectSessions.all());
    },

    async checkpoint(): Promise<void> {
      if (closed) throw new TroupeError('ERR_CLOSED', 'session store is closed');
      if (checkpointer !== undefined) return checkpointer.checkpoint();
      run(() => db.pragma('wal_checkpoint(PASSIVE)'));
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // The worker's connection first: the last connection to close checkpoints the WAL fully.
      await checkpointer?.close();
      db.close();
    },
  };
}

const STORE_OPTIONS: ReadonlySet<string> = new Set([
  'path',
  'busyTimeoutMs',
  'synchronous',
  'checkpoint',
]);

function unavailable(error: unknown, message: string): TroupeError {
  const code = (error as { code?: unknown } | null)?.code;
  return new TroupeError(
    'ERR_BACKEND_UNAVAILABLE',
    `${message}: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
      details: typeof code === 'string' ? { sqliteCode: code } : {},
    },
  );
}
