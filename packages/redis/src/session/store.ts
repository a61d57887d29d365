import {
  type ChatMessage,
  invalidArgument,
  type LogQuery,
  SESSION_FORMAT_VERSION,
  type SessionLogEntry,
  type SessionSnapshot,
  type SessionStore,
  type StoredLogEntry,
  systemClock,
} from '@troupe/core';
import {
  checkIndex,
  checkLogEntry,
  checkLogQuery,
  checkMessages,
  checkSessionId,
  checkSnapshot,
  closedError,
  unknownVersion,
} from '@troupe/core/backend';
import {
  defineScript,
  type RedisBackendOptions,
  resolveCommon,
  type ScriptRunner,
  toTroupeError,
} from '../internal/connection.js';
import { APPEND_HISTORY_SCRIPT, APPEND_LOG_SCRIPT, SAVE_SNAPSHOT_SCRIPT } from './scripts.js';

/**
 * Options of {@link createRedisSessionStore}: the common ones; `clock` may be left out (the
 * store keeps no time of its own).
 *
 * @example
 * ```ts
 * const options: RedisSessionStoreOptions = { redis: 'redis://127.0.0.1:6379', team: 'alpha' };
 * ```
 */
export interface RedisSessionStoreOptions extends Omit<RedisBackendOptions, 'clock' | 'time'> {
  readonly clock?: RedisBackendOptions['clock'];
}

/** Log lines are read in pages of this many: a long log never holds Redis in one call. */
const PAGE = 1_000;

type StreamEntry = [id: string, fields: string[]];

function decodeLine(entry: StreamEntry): StoredLogEntry {
  const [id, fields] = entry;
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return {
    seq: Number(id.slice(0, id.indexOf('-'))),
    sessionId: map.get('s') ?? '',
    type: map.get('t') ?? '',
    at: Number(map.get('at')),
    data: JSON.parse(map.get('d') ?? 'null') as unknown,
  };
}

/**
 * A {@link SessionStore} on Redis, shared by every process (and machine) of a team: an agent
 * taken over by another host resumes from the snapshot and history its old host saved. It
 * passes `sessionStoreContract`. Each write is one script (a snapshot never replaced by an
 * older or equal revision, a history append that never duplicates a retried position, a log
 * batch all or nothing). Durability is Redis's: run it with AOF (`appendfsync everysec` or
 * `always`) or replicas for sessions that must survive Redis itself.
 *
 * @example
 * ```ts
 * import { createRedisSessionStore } from '@troupe/redis';
 *
 * const store = createRedisSessionStore({ redis: 'redis://127.0.0.1:6379', team: 'alpha' });
 * await store.appendHistory('alpha/ada', 0, [{ role: 'user', content: 'hi' }]);
 * console.log(await store.loadHistory('alpha/ada'));
 * await store.close();
 * ```
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions): SessionStore {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('options must be an object', { options });
  }
  const { connection, base } = resolveCommon(
    { ...options, clock: options.clock ?? systemClock, time: 'clock' },
    'createRedisSessionStore',
  );
  const { client } = connection;
  const saveScript = defineScript(client, 'troupeSessionSave', SAVE_SNAPSHOT_SCRIPT);
  const historyScript = defineScript(client, 'troupeSessionHistory', APPEND_HISTORY_SCRIPT);
  const logScript = defineScript(client, 'troupeSessionLog', APPEND_LOG_SCRIPT);
  const idsKey = `${base}ss:ids`;
  const logKey = `${base}ss:log`;
  let closed = false;

  const open = (): void => {
    if (closed) throw closedError('session store');
  };
  const call = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    open();
    try {
      return await fn();
    } catch (error) {
      throw toTroupeError(error, op);
    }
  };
  const script = (runner: ScriptRunner, keys: string[], args: (string | number)[], op: string) =>
    call(op, () => runner(keys, args));

  return {
    async saveSnapshot(snapshot: SessionSnapshot): Promise<void> {
      open();
      checkSnapshot(snapshot);
      const json = JSON.stringify(snapshot);
      await script(
        saveScript,
        [`${base}ss:s:${snapshot.sessionId}`, idsKey],
        [String(snapshot.revision), json, snapshot.sessionId],
        'saveSnapshot',
      );
    },

    async loadSnapshot(sessionId: string): Promise<SessionSnapshot | undefined> {
      open();
      checkSessionId(sessionId);
      const json = await call('loadSnapshot', () => client.hget(`${base}ss:s:${sessionId}`, 'j'));
      if (json === null) return undefined;
      const snapshot = JSON.parse(json) as SessionSnapshot;
      if (snapshot.version !== SESSION_FORMAT_VERSION)
        throw unknownVersion(sessionId, snapshot.version);
      return snapshot;
    },

    async appendHistory(
      sessionId: string,
      fromIndex: number,
      messages: readonly ChatMessage[],
    ): Promise<void> {
      open();
      checkSessionId(sessionId);
      checkIndex(fromIndex, 'fromIndex');
      checkMessages(messages);
      const texts = messages.map((m) => JSON.stringify(m));
      const length = (await script(
        historyScript,
        [`${base}ss:h:${sessionId}`],
        [fromIndex, ...texts],
        'appendHistory',
      )) as number;
      if (length < 0) {
        const stored = -1 - length;
        throw invalidArgument(
          `fromIndex ${fromIndex} is past the end of session ${sessionId}'s history (${stored} messages)`,
          { sessionId, fromIndex, length: stored },
        );
      }
    },

    async loadHistory(sessionId: string, fromIndex = 0): Promise<ChatMessage[]> {
      open();
      checkSessionId(sessionId);
      checkIndex(fromIndex, 'fromIndex');
      const key = `${base}ss:h:${sessionId}`;
      const out: ChatMessage[] = [];
      // Pages of LRANGE: a long history never holds Redis in one call.
      for (let from = fromIndex; ; from += PAGE) {
        const page = await call('loadHistory', () => client.lrange(key, from, from + PAGE - 1));
        for (const text of page) out.push(JSON.parse(text) as ChatMessage);
        if (page.length < PAGE) return out;
      }
    },

    async appendLog(entries: readonly SessionLogEntry[]): Promise<void> {
      open();
      if (!Array.isArray(entries)) throw invalidArgument('entries must be an array');
      for (const [i, entry] of entries.entries()) checkLogEntry(entry, `entries[${i}]`);
      if (entries.length === 0) return;
      const keys = [`${base}ss:seq`, logKey];
      const args: string[] = [];
      for (const entry of entries) {
        keys.push(`${base}ss:l:${entry.sessionId}`);
        args.push(
          entry.sessionId,
          entry.type,
          String(entry.at),
          JSON.stringify(entry.data) ?? 'null',
        );
      }
      await script(logScript, keys, args, 'appendLog');
    },

    async readLog(query: LogQuery = {}): Promise<StoredLogEntry[]> {
      open();
      checkLogQuery(query);
      const key = query.sessionId === undefined ? logKey : `${base}ss:l:${query.sessionId}`;
      const limit = query.limit ?? Number.POSITIVE_INFINITY;
      const out: StoredLogEntry[] = [];
      let from = (query.afterSeq ?? 0) + 1;
      while (out.length < limit) {
        const count = Math.min(PAGE, limit - out.length);
        const page = (await call('readLog', () =>
          client.xrange(key, `${from}-0`, '+', 'COUNT', count),
        )) as StreamEntry[];
        for (const entry of page) out.push(decodeLine(entry));
        if (page.length < count) break;
        from = out[out.length - 1]!.seq + 1;
      }
      return out;
    },

    async listSessions(): Promise<string[]> {
      return call('listSessions', () => client.zrange(idsKey, 0, -1));
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await connection.close();
    },
  };
}
