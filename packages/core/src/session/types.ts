import type { Usage } from '../events/team-events.js';
import type { ChatMessage } from '../model.js';

/**
 * Persistence interfaces. `@troupe/sqlite` implements {@link SessionStore} on SQLite; core has
 * an in-memory one (`createMemorySessionStore`). Both pass `sessionStoreContract` from
 * `@troupe/core/testing`.
 */

/**
 * The snapshot format this code writes; loading any other version is `ERR_UNKNOWN_VERSION`.
 *
 * @example
 * ```ts
 * const snapshot: SessionSnapshot = { version: SESSION_FORMAT_VERSION, ...rest };
 * ```
 */
export const SESSION_FORMAT_VERSION = 1;

/**
 * Totals an agent accumulated in a session: the same fields as a team's {@link Usage}.
 *
 * @example
 * ```ts
 * const none: UsageTotals = { requests: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
 * ```
 */
export type UsageTotals = Usage;

/**
 * An agent's state at the end of a turn. History is stored separately, append-only.
 *
 * @example
 * ```ts
 * saver.schedule({ sessionId: 'team-1/ada', agent: 'ada', version: SESSION_FORMAT_VERSION,
 *   revision: 7, context, usage, historyLength: 12, updatedAt: clock.now() });
 * ```
 */
export interface SessionSnapshot {
  readonly sessionId: string;
  /** The agent's name in its team. */
  readonly agent: string;
  /** Format version; {@link SESSION_FORMAT_VERSION} when written by this code. */
  readonly version: number;
  /**
   * Strictly increasing per session. A store never replaces a snapshot with one whose
   * revision is lower or equal: a late, older save cannot overwrite a newer one.
   */
  readonly revision: number;
  /** The agent's context, with secret keys already removed. */
  readonly context: Readonly<Record<string, unknown>>;
  readonly usage: UsageTotals;
  /** Number of history messages this snapshot covers. */
  readonly historyLength: number;
  readonly updatedAt: number;
}

/**
 * One line of the session log (team events, in order).
 *
 * @example
 * ```ts
 * log.append({ sessionId: 'team-1/ada', type: 'tool.called', at: clock.now(), data: { tool: 'claim' } });
 * ```
 */
export interface SessionLogEntry {
  readonly sessionId: string;
  /** Event type, e.g. `turn.started`. */
  readonly type: string;
  readonly at: number;
  /** Any JSON value; stored as JSON (so `undefined` reads back as `null`). */
  readonly data: unknown;
}

/**
 * A session log entry whose data is already JSON text, as a session log hands it to
 * {@link SessionStore.appendLogJson}: `json` is the text of `JSON.stringify(data)` (`'null'`
 * for `undefined`), of a value the log has checked and redacted.
 *
 * @example
 * ```ts
 * const entry: SerializedLogEntry = { sessionId: 's1', type: 'tick', at: 5, json: '{"n":1}' };
 * ```
 */
export interface SerializedLogEntry {
  readonly sessionId: string;
  readonly type: string;
  readonly at: number;
  /** The entry's data as JSON text. */
  readonly json: string;
}

/**
 * A stored log line with its store-assigned sequence number (from 1).
 *
 * @example
 * ```ts
 * for (const line of await store.readLog({ sessionId: 'team-1/ada' })) console.log(line.seq, line.type);
 * ```
 */
export interface StoredLogEntry extends SessionLogEntry {
  readonly seq: number;
}

/**
 * Filter for {@link SessionStore.readLog}.
 *
 * @example
 * ```ts
 * const next = await store.readLog({ afterSeq: lastSeq, limit: 100 });
 * ```
 */
export interface LogQuery {
  readonly sessionId?: string;
  /** Only lines with `seq > afterSeq` (default 0). */
  readonly afterSeq?: number;
  /** At most this many lines (default: all). */
  readonly limit?: number;
}

/**
 * Where sessions live. Methods resolve once the write is durable. Values are stored as JSON.
 * Errors are `TroupeError`: `ERR_INVALID_ARGUMENT` (nothing changed), `ERR_UNKNOWN_VERSION`
 * (a snapshot in a format this code cannot read), `ERR_CLOSED`, `ERR_BACKEND_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * await store.saveSnapshot(snapshot);
 * await store.appendHistory('s1', 0, [{ role: 'user', content: 'hi' }]);
 * const loaded = await store.loadSnapshot('s1');
 * ```
 */
export interface SessionStore {
  /** Writes the snapshot unless the stored one has an equal or higher revision. */
  saveSnapshot(snapshot: SessionSnapshot): Promise<void>;
  /** The latest snapshot, or undefined. `ERR_UNKNOWN_VERSION` for a format it cannot read. */
  loadSnapshot(sessionId: string): Promise<SessionSnapshot | undefined>;
  /**
   * Appends messages at positions `fromIndex, fromIndex + 1, ...`. Positions already stored
   * are left as they are, so a retried append never duplicates. A `fromIndex` past the end of
   * the stored history (a gap) is `ERR_INVALID_ARGUMENT`.
   */
  appendHistory(
    sessionId: string,
    fromIndex: number,
    messages: readonly ChatMessage[],
  ): Promise<void>;
  /** History in order, from position `fromIndex` (default 0). */
  loadHistory(sessionId: string, fromIndex?: number): Promise<ChatMessage[]>;
  /** Appends log lines in one transaction: all of them or none. */
  appendLog(entries: readonly SessionLogEntry[]): Promise<void>;
  /**
   * Optional: the same as {@link appendLog}, done before returning. Stores on a synchronous
   * driver (SQLite) provide it so a session log can flush inside a process `exit` handler.
   */
  appendLogSync?(entries: readonly SessionLogEntry[]): void;
  /**
   * Optional: {@link appendLog} for entries whose data is already JSON text. A session log
   * uses it when present, serializing each entry as it is appended, so that work is spread
   * over the appends instead of piling up in a write round that holds the event loop. Stores
   * that keep JSON text (SQLite) provide it. Text that is not JSON, or nests deeper than
   * `MAX_JSON_DEPTH`, is refused with `ERR_INVALID_ARGUMENT` and nothing is written.
   */
  appendLogJson?(entries: readonly SerializedLogEntry[]): Promise<void>;
  /** Log lines in `seq` order. */
  readLog(query?: LogQuery): Promise<StoredLogEntry[]>;
  /** Session ids with a snapshot. */
  listSessions(): Promise<string[]>;
  /** Idempotent; later calls to other methods reject with `ERR_CLOSED`. */
  close(): Promise<void>;
}
