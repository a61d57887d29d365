import {
  type ChatMessage,
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
  checkLogEntries,
  checkLogQuery,
  checkMessages,
  checkSessionId,
  checkSnapshot,
  historyGapError,
  requireRecord,
  unknownVersion,
} from '@troupe/core/backend';
import type { Connection } from '../internal/connection.js';
import { defineScript, type ScriptRunner } from '../internal/define-script.js';
import { type RedisBackendOptions, resolveCommon } from '../internal/options.js';
import { RedisBackend } from '../internal/redis-backend.js';
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
  requireRecord(options, 'options');
  const { connection, base } = resolveCommon({
    ...options,
    clock: options.clock ?? systemClock,
    time: 'clock',
  });
  return new RedisSessionStore(connection, base);
}

class RedisSessionStore extends RedisBackend implements SessionStore {
  readonly #base: string;
  readonly #save: ScriptRunner;
  readonly #history: ScriptRunner;
  readonly #log: ScriptRunner;
  readonly #idsKey: string;
  readonly #logKey: string;

  constructor(connection: Connection, base: string) {
    super(connection, 'session store');
    this.#base = base;
    this.#save = defineScript(this.client, 'troupeSessionSave', SAVE_SNAPSHOT_SCRIPT);
    this.#history = defineScript(this.client, 'troupeSessionHistory', APPEND_HISTORY_SCRIPT);
    this.#log = defineScript(this.client, 'troupeSessionLog', APPEND_LOG_SCRIPT);
    this.#idsKey = `${base}ss:ids`;
    this.#logKey = `${base}ss:log`;
  }

  async saveSnapshot(snapshot: SessionSnapshot): Promise<void> {
    this.open();
    checkSnapshot(snapshot);
    const json = JSON.stringify(snapshot);
    await this.script(
      this.#save,
      [`${this.#base}ss:s:${snapshot.sessionId}`, this.#idsKey],
      [String(snapshot.revision), json, snapshot.sessionId],
      'saveSnapshot',
    );
  }

  async loadSnapshot(sessionId: string): Promise<SessionSnapshot | undefined> {
    this.open();
    checkSessionId(sessionId);
    const key = `${this.#base}ss:s:${sessionId}`;
    const json = await this.call('loadSnapshot', () => this.client.hget(key, 'j'));
    if (json === null) return undefined;
    const snapshot = JSON.parse(json) as SessionSnapshot;
    if (snapshot.version !== SESSION_FORMAT_VERSION)
      throw unknownVersion(sessionId, snapshot.version);
    return snapshot;
  }

  async appendHistory(
    sessionId: string,
    fromIndex: number,
    messages: readonly ChatMessage[],
  ): Promise<void> {
    this.open();
    checkSessionId(sessionId);
    checkIndex(fromIndex, 'fromIndex');
    checkMessages(messages);
    const texts = messages.map((m) => JSON.stringify(m));
    const length = (await this.script(
      this.#history,
      [`${this.#base}ss:h:${sessionId}`],
      [fromIndex, ...texts],
      'appendHistory',
    )) as number;
    if (length < 0) {
      const stored = -1 - length;
      throw historyGapError(sessionId, fromIndex, stored);
    }
  }

  async loadHistory(sessionId: string, fromIndex = 0): Promise<ChatMessage[]> {
    this.open();
    checkSessionId(sessionId);
    checkIndex(fromIndex, 'fromIndex');
    const key = `${this.#base}ss:h:${sessionId}`;
    const out: ChatMessage[] = [];
    // Pages of LRANGE: a long history never holds Redis in one call.
    for (let from = fromIndex; ; from += PAGE) {
      const page = await this.call('loadHistory', () =>
        this.client.lrange(key, from, from + PAGE - 1),
      );
      for (const text of page) out.push(JSON.parse(text) as ChatMessage);
      if (page.length < PAGE) return out;
    }
  }

  async appendLog(entries: readonly SessionLogEntry[]): Promise<void> {
    this.open();
    checkLogEntries(entries);
    if (entries.length === 0) return;
    const keys = [`${this.#base}ss:seq`, this.#logKey];
    const args: string[] = [];
    for (const entry of entries) {
      keys.push(`${this.#base}ss:l:${entry.sessionId}`);
      args.push(
        entry.sessionId,
        entry.type,
        String(entry.at),
        JSON.stringify(entry.data) ?? 'null',
      );
    }
    await this.script(this.#log, keys, args, 'appendLog');
  }

  async readLog(query: LogQuery = {}): Promise<StoredLogEntry[]> {
    this.open();
    checkLogQuery(query);
    const key =
      query.sessionId === undefined ? this.#logKey : `${this.#base}ss:l:${query.sessionId}`;
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const out: StoredLogEntry[] = [];
    let from = (query.afterSeq ?? 0) + 1;
    while (out.length < limit) {
      const count = Math.min(PAGE, limit - out.length);
      const page = (await this.call('readLog', () =>
        this.client.xrange(key, `${from}-0`, '+', 'COUNT', count),
      )) as StreamEntry[];
      for (const entry of page) out.push(decodeLine(entry));
      if (page.length < count) break;
      from = out[out.length - 1]!.seq + 1;
    }
    return out;
  }

  async listSessions(): Promise<string[]> {
    return this.call('listSessions', () => this.client.zrange(this.#idsKey, 0, -1));
  }
}
