// The session-store contract on a real redis-server, and a session written by one process's
// store read back by another's (a host taking over an agent resumes from it).
import { sessionStoreContract } from '@troupe/core/testing';
import { createRedisSessionStore } from '@troupe/redis';
import { describe, expect, it } from 'vitest';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

const ctx = useRedisServer();

sessionStoreContract('redis', () =>
  createRedisSessionStore({ redis: ctx.server.url, team: uniqueTeam() }),
);

describe('redis session store across processes', () => {
  it('serves one host the history and log another host wrote', async () => {
    const team = uniqueTeam();
    const old = createRedisSessionStore({ redis: ctx.server.url, team });
    const survivor = createRedisSessionStore({ redis: ctx.server.url, team });
    try {
      await old.appendHistory('ada', 0, [{ role: 'user', content: 'task' }]);
      await old.appendLog([{ sessionId: 'ada', type: 'turn.started', at: 5, data: { turn: 1 } }]);
      // The survivor retries the same append (it cannot know whether the old host's landed).
      await survivor.appendHistory('ada', 0, [
        { role: 'user', content: 'task' },
        { role: 'assistant', content: 'done' },
      ]);
      expect((await survivor.loadHistory('ada')).map((m) => m.content)).toEqual(['task', 'done']);
      expect((await survivor.readLog({ sessionId: 'ada' })).map((l) => l.type)).toEqual([
        'turn.started',
      ]);
    } finally {
      await Promise.all([old.close(), survivor.close()]);
    }
  });

  it('reads a history longer than one page in order', async () => {
    const store = createRedisSessionStore({ redis: ctx.server.url, team: uniqueTeam() });
    try {
      const many = Array.from({ length: 2_500 }, (_, i) => ({
        role: 'user' as const,
        content: `m${i}`,
      }));
      await store.appendHistory('long', 0, many);
      const loaded = await store.loadHistory('long', 10);
      expect(loaded).toHaveLength(2_490);
      expect(loaded[0]?.content).toBe('m10');
      expect(loaded.at(-1)?.content).toBe('m2499');
    } finally {
      await store.close();
    }
  });
});
