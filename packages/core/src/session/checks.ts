import { invalidArgument, TroupeError } from '../errors.js';
import type { ChatMessage } from '../model.js';
import {
  type LogQuery,
  SESSION_FORMAT_VERSION,
  type SessionLogEntry,
  type SessionSnapshot,
} from './types.js';

// Argument checks shared by the memory store, the saver and the session log. Each throws
// ERR_INVALID_ARGUMENT naming the offending field, before anything changes.

export function checkSessionId(
  sessionId: unknown,
  name = 'sessionId',
): asserts sessionId is string {
  if (typeof sessionId !== 'string' || sessionId.length === 0) {
    throw invalidArgument(`${name} must be a non-empty string`, { [name]: sessionId });
  }
}

export function checkIndex(value: unknown, name: string): asserts value is number {
  if (!(Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw invalidArgument(`${name} must be a non-negative integer`, { [name]: value });
  }
}

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
  if (!Number.isFinite(snapshot.updatedAt)) {
    throw invalidArgument('snapshot.updatedAt must be a finite number', {
      updatedAt: snapshot.updatedAt,
    });
  }
}

export function checkMessages(messages: readonly ChatMessage[]): void {
  if (!Array.isArray(messages)) throw invalidArgument('messages must be an array', { messages });
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as { role?: unknown } | null;
    if (typeof message !== 'object' || message === null || typeof message.role !== 'string') {
      throw invalidArgument(`messages[${i}] must be a chat message with a role`, { index: i });
    }
  }
}

export function checkLogEntry(entry: SessionLogEntry, name = 'entry'): void {
  if (typeof entry !== 'object' || entry === null)
    throw invalidArgument(`${name} must be an object`);
  checkSessionId(entry.sessionId, `${name}.sessionId`);
  if (typeof entry.type !== 'string' || entry.type.length === 0) {
    throw invalidArgument(`${name}.type must be a non-empty string`, { type: entry.type });
  }
  if (!Number.isFinite(entry.at))
    throw invalidArgument(`${name}.at must be a finite number`, { at: entry.at });
}

export function checkLogQuery(query: LogQuery): void {
  if (query.sessionId !== undefined) checkSessionId(query.sessionId, 'query.sessionId');
  if (query.afterSeq !== undefined) checkIndex(query.afterSeq, 'query.afterSeq');
  if (query.limit !== undefined) checkIndex(query.limit, 'query.limit');
}

/** The error for a snapshot written in a format this code cannot read. */
export function unknownVersion(sessionId: string, version: unknown): TroupeError {
  return new TroupeError(
    'ERR_UNKNOWN_VERSION',
    `session ${sessionId} was saved in snapshot format version ${String(version)}, but this code reads only version ${SESSION_FORMAT_VERSION}; upgrade @troupe/core to load it`,
    { details: { sessionId, version, supported: SESSION_FORMAT_VERSION } },
  );
}

export function closedError(what: string): TroupeError {
  return new TroupeError('ERR_CLOSED', `${what} is closed`);
}
