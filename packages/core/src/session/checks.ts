import { checkJsonValue, jsonProblem } from '../backend/json-value.js';
import { invalidArgument, TroupeError } from '../errors.js';

export { closedError } from '../backend/validate.js';

import type { ChatMessage } from '../model.js';
import {
  type LogQuery,
  SESSION_FORMAT_VERSION,
  type SerializedLogEntry,
  type SessionLogEntry,
  type SessionSnapshot,
} from './types.js';

// Argument checks shared by every SessionStore (the memory store, @troupe/sqlite), the saver and
// the session log; public through @troupe/core/backend. Each throws ERR_INVALID_ARGUMENT naming
// the offending field, before anything changes.

/**
 * A session id: a non-empty string.
 *
 * @example
 * ```ts
 * checkSessionId(sessionId); // throws 'sessionId must be a non-empty string'
 * ```
 */
export function checkSessionId(
  sessionId: unknown,
  name = 'sessionId',
): asserts sessionId is string {
  if (typeof sessionId !== 'string' || sessionId.length === 0) {
    throw invalidArgument(`${name} must be a non-empty string`, { [name]: sessionId });
  }
}

/**
 * A non-negative safe integer (history indexes, log sequence numbers, limits).
 *
 * @example
 * ```ts
 * checkIndex(fromIndex, 'fromIndex');
 * ```
 */
export function checkIndex(value: unknown, name: string): asserts value is number {
  if (!(Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw invalidArgument(`${name} must be a non-negative integer`, { [name]: value });
  }
}

/**
 * A session snapshot as `SessionStore.saveSnapshot` takes it (every field checked, in one
 * order, so every store names the same field first). `context` and `usage` must be storable
 * as JSON (no bigint, symbol, function or cycle; at most `MAX_JSON_DEPTH` deep).
 *
 * @example
 * ```ts
 * async saveSnapshot(snapshot) {
 *   checkSnapshot(snapshot);
 *   await write(snapshot.sessionId, JSON.stringify(snapshot));
 * }
 * ```
 */
export function checkSnapshot(snapshot: SessionSnapshot): void {
  if (typeof snapshot !== 'object' || snapshot === null) {
    throw invalidArgument('snapshot must be an object', { snapshot });
  }
  checkSessionId(snapshot.sessionId, 'snapshot.sessionId');
  if (typeof snapshot.agent !== 'string') {
    throw invalidArgument('snapshot.agent must be a string', { agent: snapshot.agent });
  }
  if (!(Number.isSafeInteger(snapshot.version) && snapshot.version > 0)) {
    throw invalidArgument('snapshot.version must be a positive integer', {
      version: snapshot.version,
    });
  }
  if (!Number.isFinite(snapshot.revision)) {
    throw invalidArgument('snapshot.revision must be a finite number', {
      revision: snapshot.revision,
    });
  }
  checkIndex(snapshot.historyLength, 'snapshot.historyLength');
  if (
    typeof snapshot.context !== 'object' ||
    snapshot.context === null ||
    Array.isArray(snapshot.context)
  ) {
    throw invalidArgument('snapshot.context must be an object', { context: snapshot.context });
  }
  if (typeof snapshot.usage !== 'object' || snapshot.usage === null) {
    throw invalidArgument('snapshot.usage must be an object', { usage: snapshot.usage });
  }
  checkJsonValue(snapshot.context, 'snapshot.context');
  checkJsonValue(snapshot.usage, 'snapshot.usage');
  if (!Number.isFinite(snapshot.updatedAt)) {
    throw invalidArgument('snapshot.updatedAt must be a finite number', {
      updatedAt: snapshot.updatedAt,
    });
  }
}

/**
 * Chat messages as `SessionStore.appendHistory` takes them: an array of objects with a role,
 * each storable as JSON.
 *
 * @example
 * ```ts
 * checkMessages(messages); // throws 'messages[2] must be a chat message with a role'
 * ```
 */
export function checkMessages(messages: readonly ChatMessage[]): void {
  if (!Array.isArray(messages)) throw invalidArgument('messages must be an array', { messages });
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as { role?: unknown } | null;
    if (typeof message !== 'object' || message === null || typeof message.role !== 'string') {
      throw invalidArgument(`messages[${i}] must be a chat message with a role`, { index: i });
    }
    if (jsonProblem(message) !== undefined) checkJsonValue(message, `messages[${i}]`);
  }
}

/**
 * One session log entry (`name` names it in errors, e.g. `entries[3]`); its `data` must be
 * storable as JSON.
 *
 * @example
 * ```ts
 * entries.forEach((entry, i) => checkLogEntry(entry, `entries[${i}]`));
 * ```
 */
export function checkLogEntry(entry: SessionLogEntry, name = 'entry'): void {
  checkEntry(entry, name, -1);
}

// The name (`entries[index]`, or `base` for a negative index) is built only for an error
// message: checking a valid entry allocates nothing.
function checkEntry(entry: SessionLogEntry, base: string, index: number): void {
  checkEntryKeys(entry, base, index);
  if (jsonProblem(entry.data) !== undefined)
    checkJsonValue(entry.data, `${entryName(base, index)}.data`);
}

/** What every log entry has, serialized or not: an object with a session, a type, a time. */
function checkEntryKeys(
  entry: Pick<SessionLogEntry, 'sessionId' | 'type' | 'at'>,
  base: string,
  index: number,
): void {
  if (typeof entry !== 'object' || entry === null)
    throw invalidArgument(`${entryName(base, index)} must be an object`);
  if (typeof entry.sessionId !== 'string' || entry.sessionId.length === 0) {
    checkSessionId(entry.sessionId, `${entryName(base, index)}.sessionId`);
  }
  if (typeof entry.type !== 'string' || entry.type.length === 0) {
    throw invalidArgument(`${entryName(base, index)}.type must be a non-empty string`, {
      type: entry.type,
    });
  }
  if (!Number.isFinite(entry.at))
    throw invalidArgument(`${entryName(base, index)}.at must be a finite number`, { at: entry.at });
}

function entryName(base: string, index: number): string {
  return index < 0 ? base : `${base}[${index}]`;
}

/**
 * `SessionStore.appendLog`'s argument: an array whose every entry passes {@link checkLogEntry}
 * (named `entries[i]` in errors). Check all before storing any: a bad entry writes nothing.
 */
export function checkLogEntries(entries: readonly SessionLogEntry[]): void {
  if (!Array.isArray(entries)) throw invalidArgument('entries must be an array');
  for (let i = 0; i < entries.length; i++) checkEntry(entries[i]!, 'entries', i);
}

/**
 * `SessionStore.appendLogJson`'s argument: an array of entries as {@link checkLogEntries}
 * takes them, but with `json`, a string, for `data`. Whether that string is JSON is for the
 * store to check where it writes (it may do so off the caller's thread).
 *
 * @example
 * ```ts
 * checkSerializedLogEntries([{ sessionId: 's1', type: 'tick', at: 1, json: '{}' }]);
 * ```
 */
export function checkSerializedLogEntries(entries: readonly SerializedLogEntry[]): void {
  if (!Array.isArray(entries)) throw invalidArgument('entries must be an array');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    checkEntryKeys(entry, 'entries', i);
    if (typeof entry.json !== 'string') {
      throw invalidArgument(`entries[${i}].json must be a string`, { json: entry.json });
    }
  }
}

/**
 * The error (`ERR_INVALID_ARGUMENT`) for `appendHistory(sessionId, fromIndex, …)` whose
 * `fromIndex` is past the `length` messages the session has: it would leave a gap.
 */
export function historyGapError(sessionId: string, fromIndex: number, length: number): TroupeError {
  return invalidArgument(
    `fromIndex ${fromIndex} is past the end of session ${sessionId}'s history (${length} messages)`,
    { sessionId, fromIndex, length },
  );
}

/**
 * The filters of `SessionStore.readLog(query)`.
 *
 * @example
 * ```ts
 * checkLogQuery({ sessionId: 's1', afterSeq: 10, limit: 100 });
 * ```
 */
export function checkLogQuery(query: LogQuery): void {
  if (query.sessionId !== undefined) checkSessionId(query.sessionId, 'query.sessionId');
  if (query.afterSeq !== undefined) checkIndex(query.afterSeq, 'query.afterSeq');
  if (query.limit !== undefined) checkIndex(query.limit, 'query.limit');
}

/**
 * The error (`ERR_UNKNOWN_VERSION`) for a snapshot written in a format this code cannot read.
 *
 * @example
 * ```ts
 * if (row.version !== SESSION_FORMAT_VERSION) throw unknownVersion(sessionId, row.version);
 * ```
 */
export function unknownVersion(sessionId: string, version: unknown): TroupeError {
  return new TroupeError(
    'ERR_UNKNOWN_VERSION',
    `session ${sessionId} was saved in snapshot format version ${String(version)}, but this code reads only version ${SESSION_FORMAT_VERSION}; upgrade @troupe/core to load it`,
    { details: { sessionId, version, supported: SESSION_FORMAT_VERSION } },
  );
}
