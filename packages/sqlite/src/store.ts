import {
  type ChatMessage,
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
  checkLogEntries,
  checkLogQuery,
  checkMessages,
  checkSessionId,
  checkSnapshot,
  historyGapError,
  unknownVersion,
} from '@troupe/core/backend';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
import { LogWriter } from './log-writer.js';
import { prepareDatabase } from './schema.js';
import type { Statements } from './statements.js';
import { prepareStatements } from './statements.js';
import type { SqliteSessionStoreOptions } from './store-options.js';
import { parseStoreOptions } from './store-options.js';

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

/** Rows written (log lines, messages, snapshots) between two checkpoint requests (~1 MB). */
const CHECKPOINT_EVERY_ROWS = 5_000;
const BACKSTOP_PAGES = 10_000;

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
  const { path, busyTimeoutMs, synchronous, checkpoint, inMemory } = parseStoreOptions(options);
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
  if (checkpoint === 'worker' && !inMemory) {
    // SQLite's own checkpoint only as a backstop (10,000 pages, ~40 MB), should the worker lag.
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    checkpointer = new Checkpointer(path, busyTimeoutMs, CHECKPOINT_EVERY_ROWS);
  }
  return new SqliteStore(path, db, checkpointer);
}

class SqliteStore implements SqliteSessionStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #statements: Statements;
  readonly #log: LogWriter;
  readonly #checkpointer: Checkpointer | undefined;
  readonly #appendMessages: Database.Transaction<
    (sessionId: string, fromIndex: number, messages: readonly string[]) => void
  >;
  #closed = false;

  constructor(path: string, db: Database.Database, checkpointer: Checkpointer | undefined) {
    this.path = path;
    this.#db = db;
    this.#statements = prepareStatements(db);
    this.#log = new LogWriter(db, this.#statements);
    this.#checkpointer = checkpointer;
    this.#appendMessages = db.transaction(
      (sessionId: string, fromIndex: number, messages: readonly string[]) =>
        this.#insertMessages(sessionId, fromIndex, messages),
    );
  }

  async saveSnapshot(snapshot: SessionSnapshot): Promise<void> {
    this.#run(() => {
      checkSnapshot(snapshot);
      this.#statements.upsertSnapshot.run(
        snapshot.sessionId,
        snapshot.version,
        snapshot.revision,
        JSON.stringify(snapshot),
      );
      this.#checkpointer?.wrote(1);
    });
  }

  async loadSnapshot(sessionId: string): Promise<SessionSnapshot | undefined> {
    return this.#run(() => {
      checkSessionId(sessionId, 'sessionId');
      const row = this.#statements.selectSnapshot.get(sessionId);
      if (row === undefined) return undefined;
      if (row.version !== SESSION_FORMAT_VERSION) {
        throw unknownVersion(sessionId, row.version);
      }
      return JSON.parse(row.body) as SessionSnapshot;
    });
  }

  async appendHistory(
    sessionId: string,
    fromIndex: number,
    messages: readonly ChatMessage[],
  ): Promise<void> {
    this.#run(() => {
      checkSessionId(sessionId, 'sessionId');
      checkIndex(fromIndex, 'fromIndex');
      checkMessages(messages);
      const texts = messages.map((message) => JSON.stringify(message));
      this.#appendMessages(sessionId, fromIndex, texts);
      this.#checkpointer?.wrote(texts.length);
    });
  }

  async loadHistory(sessionId: string, fromIndex = 0): Promise<ChatMessage[]> {
    return this.#run(() => {
      checkSessionId(sessionId, 'sessionId');
      checkIndex(fromIndex, 'fromIndex');
      return this.#statements.selectHistory
        .all(sessionId, fromIndex)
        .map((text) => JSON.parse(text) as ChatMessage);
    });
  }

  async appendLog(entries: readonly SessionLogEntry[]): Promise<void> {
    this.appendLogSync(entries);
  }

  // A property, not a method: callers may hold it detached (an exit handler).
  readonly appendLogSync = (entries: readonly SessionLogEntry[]): void =>
    this.#run(() => {
      checkLogEntries(entries);
      // Validate and serialize all before the transaction: a bad entry writes nothing.
      // Flat parameters, four per row, ready for the multi-row insert.
      const params = new Array<unknown>(entries.length * 4);
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        params[i * 4] = entry.sessionId;
        params[i * 4 + 1] = entry.type;
        params[i * 4 + 2] = entry.at;
        params[i * 4 + 3] = JSON.stringify(entry.data) ?? 'null';
      }
      if (entries.length > 0) {
        this.#log.append(params);
        this.#checkpointer?.wrote(entries.length);
      }
    });

  async readLog(query: LogQuery = {}): Promise<StoredLogEntry[]> {
    return this.#run(() => {
      checkLogQuery(query);
      const { sessionId, afterSeq = 0, limit = -1 } = query;
      if (sessionId === undefined) {
        return this.#statements.selectLog.all(afterSeq, limit).map((row) => ({
          seq: row.seq,
          sessionId: row.session_id,
          type: row.type,
          at: row.at,
          data: JSON.parse(row.data) as unknown,
        }));
      }
      const ref = this.#log.knownRef(sessionId);
      if (ref === undefined) return [];
      return this.#statements.selectSessionLog.all(ref, afterSeq, limit).map((row) => ({
        seq: row.seq,
        sessionId,
        type: row.type,
        at: row.at,
        data: JSON.parse(row.data) as unknown,
      }));
    });
  }

  async listSessions(): Promise<string[]> {
    return this.#run(() => this.#statements.selectSessions.all());
  }

  async checkpoint(): Promise<void> {
    if (this.#closed) throw new TroupeError('ERR_CLOSED', 'session store is closed');
    if (this.#checkpointer !== undefined) return this.#checkpointer.checkpoint();
    this.#run(() => this.#db.pragma('wal_checkpoint(PASSIVE)'));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // The worker's connection first: the last connection to close checkpoints the WAL fully.
    await this.#checkpointer?.close();
    this.#db.close();
  }

  // Every method: closed check, then the work, with driver errors made TroupeErrors.
  #run<T>(work: () => T): T {
    if (this.#closed) throw new TroupeError('ERR_CLOSED', 'session store is closed');
    try {
      return work();
    } catch (error) {
      throw isTroupeError(error) ? error : unavailable(error, `session store ${this.path} failed`);
    }
  }

  #insertMessages(sessionId: string, fromIndex: number, messages: readonly string[]): void {
    const length = this.#statements.historyLength.get(sessionId) ?? 0;
    if (fromIndex > length) {
      throw historyGapError(sessionId, fromIndex, length);
    }
    for (let i = length - fromIndex; i < messages.length; i++) {
      this.#statements.insertMessage.run(sessionId, fromIndex + i, messages[i]!);
    }
  }
}

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
