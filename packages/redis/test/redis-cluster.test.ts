// A local Redis Cluster (3 primaries, 3 replicas, started here): the backends take an ioredis
// `Cluster` as it is (no cast), waits outlast the Cluster's commandTimeout, and a failover to
// a lagging replica (CLUSTER FAILOVER TAKEOVER after the primary died with writes the
// replica never got) issues no duplicate or regressed fencing token.
import { isTroupeError, systemClock } from '@troupe/core';
import { createRedisBus, createRedisDirectory, createRedisSharedState } from '@troupe/redis';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askNode, startCluster, type TestCluster, waitUntil } from './helpers/cluster.js';

let cluster: TestCluster;
const clients: Cluster[] = [];
beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await cluster?.stop();
});

function connect(): Cluster {
  const client = new Cluster([...cluster.startup], {
    redisOptions: { commandTimeout: 1_000, maxRetriesPerRequest: 1 },
    clusterRetryStrategy: () => 200,
  });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

/** Real time around a real failover: retried while the cluster moves the slot. */
const FAILOVER_TOLERANCE_MS = 20_000;
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + FAILOVER_TOLERANCE_MS;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!isTroupeError(error, 'ERR_BACKEND_UNAVAILABLE') || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('redis backends on a Cluster', () => {
  it('take a Cluster client and wait longer than its commandTimeout', async () => {
    const redis = connect();
    const team = 'cluster-basics';
    const state = createRedisSharedState({ redis, clock: systemClock, team });
    const reader = createRedisBus({ redis, clock: systemClock, team });
    const writer = createRedisBus({ redis: connect(), clock: systemClock, team });
    const directory = createRedisDirectory({ redis, clock: systemClock, team });
    try {
      expect((await state.claim({ agent: 'a', resource: 'x.ts' })).ok).toBe(true);
      expect((await state.claim({ agent: 'b', resource: 'x.ts' })).ok).toBe(false);
      expect((await state.claims()).map((c) => c.agent)).toEqual(['a']);
      await directory.heartbeat('h1');
      await directory.register({ name: 'ada', host: 'h1' });
      expect((await directory.lookup('ada'))?.host).toBe('h1');
      // 1.5 s of waiting on a Cluster whose commandTimeout is 1 s.
      const waiting = reader.wait('t', { afterSeq: 0, timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await writer.post('t', { from: 'w', body: 'late' });
      expect((await waiting).map((m) => m.body)).toEqual(['late']);
    } finally {
      await Promise.all([state.close(), reader.close(), writer.close(), directory.close()]);
    }
  }, 30_000);

  it('issues no duplicate or regressed token after a failover to a lagging replica', async () => {
    const team = 'cluster-failover';
    const tokenKey = `troupe:{${team}}:tok`;
    const { primary, replica } = await cluster.roles(tokenKey);
    const state = createRedisSharedState({ redis: connect(), clock: systemClock, team });
    const issued: { resource: string; token: number }[] = [];
    const claimSome = async (n: number): Promise<number[]> => {
      const tokens: number[] = [];
      for (let i = 0; i < n; i++) {
        const resource = `f${issued.length % 4}`;
        const result = await eventually(() =>
          state.claim({
            agent: `a${issued.length % 3}`,
            resource,
            start: issued.length,
            end: issued.length,
          }),
        );
        if (!result.ok) throw new Error('unexpected conflict');
        issued.push({ resource, token: result.claim.token });
        tokens.push(result.claim.token);
      }
      return tokens;
    };
    try {
      await claimSome(20);
      await askNode(primary.port, (r) => r.call('WAIT', 1, 2_000));
      // The replica stops getting writes: frozen, and its link cut.
      replica.kill('SIGSTOP');
      await askNode(primary.port, (r) => r.call('CLIENT', 'KILL', 'TYPE', 'replica'));
      const lost = await claimSome(20);
      // The primary dies with those writes; the stale replica takes over.
      primary.kill('SIGKILL');
      replica.kill('SIGCONT');
      await waitUntil(
        () =>
          askNode(replica.port, async (r) => {
            await r.cluster('FAILOVER', 'TAKEOVER').catch(() => undefined);
            return (await r.info('replication')).includes('role:master');
          }),
        'replica took over',
      );
      // The new primary's counter really is behind the tokens already issued.
      const counter = Number(await askNode(replica.port, (r) => r.get(tokenKey)));
      expect(counter).toBeLessThan(Math.max(...lost));

      const after = await claimSome(20);
      const all = issued.map((c) => c.token);
      expect(new Set(all).size).toBe(all.length);
      expect(Math.min(...after)).toBeGreaterThan(Math.max(...lost));
      for (const resource of ['f0', 'f1', 'f2', 'f3']) {
        const tokens = issued.filter((c) => c.resource === resource).map((c) => c.token);
        for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
      }
    } finally {
      await state.close();
    }
  }, 60_000);
});
