import { checkOptionNames } from '../backend/validate.js';
import { invalidArgument } from '../errors.js';
import type { ChatMessage } from '../model.js';
import {
  checkIndex,
  checkLogEntry,
  checkLogQuery,
  checkMessages,
  checkSessionId,
  checkSnapshot,
  closedError,
  unknownVersion,
} from './checks.js';
import {
  type LogQuery,
  SESSION_FORMAT_VERSION,
  type SessionLogEntry,
  type SessionSnapshot,
  type SessionStore,
  type StoredLogEntry,
} from './types.js';

const NO_OPTIONS: ReadonlySet<string> = new Set();

// Values are kept as JSON text, exactly as a durable store keeps them: callers can never
// mutate stored state through a reference, and `undefined` reads back the same way SQLite's does.
interface MemorySession {
  snapshot: { version: number; revision: number; json: string } | undefined;
  history: string[];
  log: StoredLogEntry[];
}

/**
 * A {@link SessionStore} in memory, for tests and simulation. It behaves like the SQLite store
 * (values round-trip through JSON, same errors) and passes the same contract suite; nothing
 * survives the process. `appendLogSync` is provided. It takes no options: an options object
 * naming any is refused with `ERR_INVALID_ARGUMENT` naming it.
 *
 * @example
 * ```ts
 * const store = createMemorySessionStore();
 * const saver = createSessionSaver({ store, clock });
 * ```
 */
export function createMemorySessionStore(
  options: Readonly<Record<string, never>> = {},
): SessionStore {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgument('options must be an object', { options });
  }
  // It takes no option yet: any name given is a mistake, refused like every factory's typo.
  checkOptionNames(options, NO_OPTIONS, 'memory session store');
  const sessions = new Map<string, MemorySession>();
  const log: StoredLogEntry[] = [];
  let closed = false;

  const open = (): void => {
    if (closed) throw closedError('session store');
  };
  const session = (sessionId: string): MemorySession => {
    let found = sessions.get(sessionId);
    if (found === undefined) {
      found = { snapshot: undefined, history: [], log: [] };
      sessions.set(sessionId, found);
    }
    return found;
  };

  const appendLogSync = (entries: readonly SessionLogEntry[]): void => {
    open();
    if (!Array.isArray(entries)) throw invalidArgument('entries must be an array');
    for (const [i, entry] of entries.entries()) checkLogEntry(entry, `entries[${i}]`);
    // Serialize everything before storing anything: all or none.
    const rows = entries.map((entry) => ({
      sessionId: entry.sessionId,
      type: entry.type,
      at: entry.at,
      data: JSON.stringify(entry.data) ?? 'null',
    }));
    for (const row of rows) {
      const stored: StoredLogEntry = { seq: log.length + 1, ...row, data: JSON.parse(row.data) };
      log.push(stored);
      session(row.sessionId).log.push(stored);
    }
  };

  return {
    async saveSnapshot(snapshot: SessionSnapshot): Promise<void> {
      open();
      checkSnapshot(snapshot);
      const current = sessions.get(snapshot.sessionId)?.snapshot;
      if (current !== undefined && current.revision >= snapshot.revision) return;
      const json = JSON.stringify(snapshot);
      session(snapshot.sessionId).snapshot = {
        version: snapshot.version,
        revision: snapshot.revision,
        json,
      };
    },

    async loadSnapshot(sessionId: string): Promise<SessionSnapshot | undefined> {
      open();
      checkSessionId(sessionId);
      const stored = sessions.get(sessionId)?.snapshot;
      if (stored === undefined) return undefined;
      if (stored.version !== SESSION_FORMAT_VERSION)
        throw unknownVersion(sessionId, stored.version);
      return JSON.parse(stored.json) as SessionSnapshot;
    },

    async appendHistory(sessionId: string, fromIndex: number, messages: readonly ChatMessage[]) {
      open();
      checkSessionId(sessionId);
      checkIndex(fromIndex, 'fromIndex');
      checkMessages(messages);
      const history = sessions.get(sessionId)?.history ?? [];
      if (fromIndex > history.length) {
        throw invalidArgument(
          `fromIndex ${fromIndex} is past the end of session ${sessionId}'s history (${history.length} messages)`,
          { sessionId, fromIndex, length: history.length },
        );
      }
      const fresh = messages.slice(history.length - fromIndex).map((m) => JSON.stringify(m));
      if (fresh.length > 0) session(sessionId).history.push(...fresh);
    },

    async loadHistory(sessionId: string, fromIndex = 0): Promise<ChatMessage[]> {
      open();
      checkSessionId(sessionId);
      checkIndex(fromIndex, 'fromIndex');
      const history = sessions.get(sessionId)?.history ?? [];
      const out: ChatMessage[] = [];
      for (let i = fromIndex; i < history.length; i++)
        out.push(JSON.parse(history[i]!) as ChatMessage);
      return out;
    },

    async appendLog(entries: readonly SessionLogEntry[]): Promise<void> {
      appendLogSync(entries);
    },

    appendLogSync,

    async readLog(query: LogQuery = {}): Promise<StoredLogEntry[]> {
      open();
      checkLogQuery(query);
      const lines =
        query.sessionId === undefined ? log : (sessions.get(query.sessionId)?.log ?? []);
      const afterSeq = query.afterSeq ?? 0;
      const limit = query.limit ?? Number.POSITIVE_INFINITY;
      // seq is increasing in both lists: binary search for the first line after afterSeq.
      let lo = 0;
      let hi = lines.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (lines[mid]!.seq <= afterSeq) lo = mid + 1;
        else hi = mid;
      }
      const out: StoredLogEntry[] = [];
      for (let i = lo; i < lines.length && out.length < limit; i++) {
        const line = lines[i]!;
        out.push({ ...line, data: structuredClone(line.data) });
      }
      return out;
    },

    async listSessions(): Promise<string[]> {
      open();
      const ids: string[] = [];
      for (const [id, stored] of sessions) if (stored.snapshot !== undefined) ids.push(id);
      return ids.sort();
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
