import { checkOptionNames, requireRecord } from '../backend/validate.js';
import { firstAfter } from '../internal/first-after.js';
import type { ChatMessage } from '../model.js';
import {
  checkIndex,
  checkLogEntries,
  checkLogQuery,
  checkMessages,
  checkSessionId,
  checkSnapshot,
  closedError,
  historyGapError,
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
  // It takes no option yet: any name given is a mistake, refused like every factory's typo.
  checkOptionNames(requireRecord(options, 'options'), NO_OPTIONS, 'memory session store');
  return new MemorySessionStore();
}

/**
 * The store {@link createMemorySessionStore} returns.
 *
 * Its methods are own properties (arrow fields), as on the object the factory used to build: a
 * wrapper may spread it (`{ ...backend, post }`) or take a method off it.
 */
class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, MemorySession>();
  readonly #log: StoredLogEntry[] = [];
  #closed = false;

  readonly saveSnapshot = async (snapshot: SessionSnapshot): Promise<void> => {
    this.#open();
    checkSnapshot(snapshot);
    const current = this.#sessions.get(snapshot.sessionId)?.snapshot;
    if (current !== undefined && current.revision >= snapshot.revision) return;
    const json = JSON.stringify(snapshot);
    this.#session(snapshot.sessionId).snapshot = {
      version: snapshot.version,
      revision: snapshot.revision,
      json,
    };
  };

  readonly loadSnapshot = async (sessionId: string): Promise<SessionSnapshot | undefined> => {
    this.#open();
    checkSessionId(sessionId);
    const stored = this.#sessions.get(sessionId)?.snapshot;
    if (stored === undefined) return undefined;
    if (stored.version !== SESSION_FORMAT_VERSION) throw unknownVersion(sessionId, stored.version);
    return JSON.parse(stored.json) as SessionSnapshot;
  };

  readonly appendHistory = async (
    sessionId: string,
    fromIndex: number,
    messages: readonly ChatMessage[],
  ): Promise<void> => {
    this.#open();
    checkSessionId(sessionId);
    checkIndex(fromIndex, 'fromIndex');
    checkMessages(messages);
    const history = this.#sessions.get(sessionId)?.history ?? [];
    if (fromIndex > history.length) throw historyGapError(sessionId, fromIndex, history.length);
    const fresh = messages.slice(history.length - fromIndex).map((m) => JSON.stringify(m));
    if (fresh.length > 0) this.#session(sessionId).history.push(...fresh);
  };

  readonly loadHistory = async (sessionId: string, fromIndex = 0): Promise<ChatMessage[]> => {
    this.#open();
    checkSessionId(sessionId);
    checkIndex(fromIndex, 'fromIndex');
    const history = this.#sessions.get(sessionId)?.history ?? [];
    const out: ChatMessage[] = [];
    for (let i = fromIndex; i < history.length; i++) {
      out.push(JSON.parse(history[i]!) as ChatMessage);
    }
    return out;
  };

  readonly appendLog = async (entries: readonly SessionLogEntry[]): Promise<void> => {
    this.appendLogSync(entries);
  };

  readonly appendLogSync = (entries: readonly SessionLogEntry[]): void => {
    this.#open();
    checkLogEntries(entries);
    // Serialize everything before storing anything: all or none.
    const rows = entries.map((entry) => ({
      sessionId: entry.sessionId,
      type: entry.type,
      at: entry.at,
      data: JSON.stringify(entry.data) ?? 'null',
    }));
    for (const row of rows) {
      const stored: StoredLogEntry = {
        seq: this.#log.length + 1,
        ...row,
        data: JSON.parse(row.data),
      };
      this.#log.push(stored);
      this.#session(row.sessionId).log.push(stored);
    }
  };

  readonly readLog = async (query: LogQuery = {}): Promise<StoredLogEntry[]> => {
    this.#open();
    checkLogQuery(query);
    const lines =
      query.sessionId === undefined ? this.#log : (this.#sessions.get(query.sessionId)?.log ?? []);
    const afterSeq = query.afterSeq ?? 0;
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    // seq is increasing in both lists: binary search for the first line after afterSeq.
    const out: StoredLogEntry[] = [];
    for (let i = firstAfter(lines, afterSeq); i < lines.length && out.length < limit; i++) {
      const line = lines[i]!;
      out.push({ ...line, data: structuredClone(line.data) });
    }
    return out;
  };

  readonly listSessions = async (): Promise<string[]> => {
    this.#open();
    const ids: string[] = [];
    for (const [id, stored] of this.#sessions) if (stored.snapshot !== undefined) ids.push(id);
    return ids.sort();
  };

  readonly close = async (): Promise<void> => {
    this.#closed = true;
  };

  #open(): void {
    if (this.#closed) throw closedError('session store');
  }

  #session(sessionId: string): MemorySession {
    let found = this.#sessions.get(sessionId);
    if (found === undefined) {
      found = { snapshot: undefined, history: [], log: [] };
      this.#sessions.set(sessionId, found);
    }
    return found;
  }
}
