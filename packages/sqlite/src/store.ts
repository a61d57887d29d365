import {
  type ChatMessage,
  invalidArgument,
  isTroupeError,
  type LogQuery,
  SESSION_FORMAT_VERSION,
  type SerializedLogEntry,
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
  checkSerializedLogEntries,
  checkSessionId,
  checkSnapshot,
  historyGapError,
  MAX_JSON_DEPTH,
  unknownVersion,
} from '@troupe/core/backend';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
import { checkLogText, InvalidLogText, packEntries, packSerialized } from './log-pack.js';
import { prepareDatabase } from './schema.js';
import type { SqliteSessionStoreOptions, StoreSettings } from './store-options.js';
import { parseStoreOptions } from './store-options.js';
import { WorkerWriter } from './worker-writer.js';
import { InlineWriter, type Writer } from './writer.js';
import { HistoryGap, type WriteOp, Writes } from './writes.js';

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
  /** Log lines whose data is JSON text already (the session log's way in); text is checked. */
  appendLogJson(entries: readonly SerializedLogEntry[]): Promise<void>;
  /** The file this store writes. */
  readonly path: string;
  /** Runs a WAL checkpoint now (in the worker, when there is one) and resolves when done. */
  checkpoint(): Promise<void>;
}

/** Rows written (log lines, messages, snapshots) between two checkpoint requests (~1 MB). */
const CHECKPOINT_EVERY_ROWS = 5_000;
/** SQLite's own checkpoint as a backstop (10,000 pages, ~40 MB), should the checkpoints lag. */
const BACKSTOP_PAGES = 10_000;
/** SQLite's default auto-checkpoint threshold, pages. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1_000;

/**
 * A {@link SessionStore} on SQLite (better-sqlite3): WAL journal, `synchronous=NORMAL`, every
 * statement prepared once. Snapshots are versioned (an unknown format loads as
 * `ERR_UNKNOWN_VERSION`), history is append-only and idempotent by position, and each
 * `appendLog` call is one transaction.
 *
 * Writes run in a writer thread (the default for a file, `writer: 'worker'`): the calling
 * thread validates and serializes (bad input is refused before anything is sent), and the
 * thread commits what queued up while its last transaction ran in one transaction, each write
 * in its own savepoint. A write's promise resolves once it is committed; a read sees every
 * write called before it. `appendLogSync` writes on the calling thread's own connection after
 * the thread has committed everything before it. With `writer: 'inline'` (and for
 * `':memory:'`), every method does its work inside the call, blocking the event loop for it.
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
  const settings = parseStoreOptions(options);
  const { path, busyTimeoutMs, synchronous } = settings;
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
  const writes = new Writes(db, MAX_JSON_DEPTH);
  return new SqliteStore(path, db, writes, openWriter(settings, db, writes));
}

function openWriter(settings: StoreSettings, db: Database.Database, writes: Writes): Writer {
  const { path, busyTimeoutMs, synchronous, checkpoint, writer, inMemory } = settings;
  const checkpointer =
    checkpoint === 'worker' && !inMemory
      ? new Checkpointer(path, busyTimeoutMs, CHECKPOINT_EVERY_ROWS)
      : undefined;
  const inline = new InlineWriter(writes, checkpointer, () => db.pragma('wal_checkpoint(PASSIVE)'));
  if (writer === 'inline') {
    if (checkpointer !== undefined) db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    return inline;
  }
  // This connection then writes only synchronous appends (or all, should the thread die).
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const autoCheckpointPages =
    checkpointer === undefined ? SQLITE_AUTOCHECKPOINT_PAGES : BACKSTOP_PAGES;
  return new WorkerWriter(
    { path, busyTimeoutMs, synchronous, autoCheckpointPages, maxJsonDepth: MAX_JSON_DEPTH },
    inline,
  );
}

class SqliteStore implements SqliteSessionStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #writes: Writes;
  readonly #writer: Writer;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(path: string, db: Database.Database, writes: Writes, writer: Writer) {
    this.path = path;
    this.#db = db;
    this.#writes = writes;
    this.#writer = writer;
  }

  async saveSnapshot(snapshot: SessionSnapshot): Promise<void> {
    const op = this.#run((): WriteOp => {
      checkSnapshot(snapshot);
      const { sessionId, version, revision } = snapshot;
      return { kind: 'snapshot', sessionId, version, revision, body: JSON.stringify(snapshot) };
    });
    await this.#commit(op);
  }

  async loadSnapshot(sessionId: string): Promise<SessionSnapshot | undefined> {
    this.#run(() => checkSessionId(sessionId, 'sessionId'));
    await this.#writer.idle();
    return this.#run(() => {
      const row = this.#writes.statements.selectSnapshot.get(sessionId);
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
    const op = this.#run((): WriteOp => {
      checkSessionId(sessionId, 'sessionId');
      checkIndex(fromIndex, 'fromIndex');
      checkMessages(messages);
      const texts = messages.map((message) => JSON.stringify(message));
      return { kind: 'history', sessionId, fromIndex, texts };
    });
    await this.#commit(op);
  }

  async loadHistory(sessionId: string, fromIndex = 0): Promise<ChatMessage[]> {
    this.#run(() => {
      checkSessionId(sessionId, 'sessionId');
      checkIndex(fromIndex, 'fromIndex');
    });
    await this.#writer.idle();
    return this.#run(() =>
      this.#writes.statements.selectHistory
        .all(sessionId, fromIndex)
        .map((text) => JSON.parse(text) as ChatMessage),
    );
  }

  async appendLog(entries: readonly SessionLogEntry[]): Promise<void> {
    const op = this.#run((): WriteOp => {
      if (!this.#writer.elsewhere) return logOp(entries);
      checkLogEntries(entries);
      return { kind: 'packedLog', packed: packEntries(entries) };
    });
    if (entries.length > 0) await this.#commit(op);
  }

  async appendLogJson(entries: readonly SerializedLogEntry[]): Promise<void> {
    const op = this.#run((): WriteOp => {
      checkSerializedLogEntries(entries);
      if (this.#writer.elsewhere) return { kind: 'packedLog', packed: packSerialized(entries) };
      // Written here: the text is checked here too.
      for (let row = 0; row < entries.length; row++) {
        checkLogText(entries[row]!.json, row, MAX_JSON_DEPTH);
      }
      return { kind: 'log', params: entries.flatMap((e) => [e.sessionId, e.type, e.at, e.json]) };
    });
    if (entries.length > 0) await this.#commit(op);
  }

  // A property, not a method: callers may hold it detached (an exit handler).
  readonly appendLogSync = (entries: readonly SessionLogEntry[]): void =>
    this.#run(() => {
      const op = logOp(entries);
      if (op.params.length > 0) this.#writer.writeSync(op);
    });

  async readLog(query: LogQuery = {}): Promise<StoredLogEntry[]> {
    this.#run(() => checkLogQuery(query));
    await this.#writer.idle();
    return this.#run(() => this.#readLog(query));
  }

  async listSessions(): Promise<string[]> {
    this.#run(() => undefined);
    await this.#writer.idle();
    return this.#run(() => this.#writes.statements.selectSessions.all());
  }

  async checkpoint(): Promise<void> {
    this.#run(() => undefined);
    try {
      await this.#writer.checkpoint();
    } catch (error) {
      throw this.#wrapped(error);
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      // Writes already called still commit: the writer closes after them.
      await this.#writer.close();
      this.#db.close();
    })();
    return this.#closing;
  }

  #readLog(query: LogQuery): StoredLogEntry[] {
    const { sessionId, afterSeq = 0, limit = -1 } = query;
    const { statements } = this.#writes;
    if (sessionId === undefined) {
      return statements.selectLog.all(afterSeq, limit).map((row) => ({
        seq: row.seq,
        sessionId: row.session_id,
        type: row.type,
        at: row.at,
        data: JSON.parse(row.data) as unknown,
      }));
    }
    const ref = this.#writes.knownRef(sessionId);
    if (ref === undefined) return [];
    return statements.selectSessionLog.all(ref, afterSeq, limit).map((row) => ({
      seq: row.seq,
      sessionId,
      type: row.type,
      at: row.at,
      data: JSON.parse(row.data) as unknown,
    }));
  }

  async #commit(op: WriteOp): Promise<void> {
    try {
      await this.#writer.write(op);
    } catch (error) {
      throw this.#wrapped(error);
    }
  }

  // Every method: closed check, then the work, with driver errors made TroupeErrors.
  #run<T>(work: () => T): T {
    if (this.#closed) throw new TroupeError('ERR_CLOSED', 'session store is closed');
    try {
      return work();
    } catch (error) {
      throw this.#wrapped(error);
    }
  }

  #wrapped(error: unknown): TroupeError {
    if (error instanceof HistoryGap) {
      return historyGapError(error.sessionId, error.fromIndex, error.length);
    }
    if (error instanceof InvalidLogText) return invalidArgument(error.message);
    return isTroupeError(error) ? error : unavailable(error, `session store ${this.path} failed`);
  }
}

/** The log write for `entries`, validated and serialized: a bad entry refuses them all. */
function logOp(entries: readonly SessionLogEntry[]): WriteOp & { kind: 'log' } {
  checkLogEntries(entries);
  // Flat parameters, four per row, ready for the multi-row insert.
  const params = new Array<unknown>(entries.length * 4);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    params[i * 4] = entry.sessionId;
    params[i * 4 + 1] = entry.type;
    params[i * 4 + 2] = entry.at;
    params[i * 4 + 3] = JSON.stringify(entry.data) ?? 'null';
  }
  return { kind: 'log', params };
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
