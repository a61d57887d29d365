import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type TestRedisServer } from '@troupe/redis/testing';
import { Redis } from 'ioredis';

/** A local Redis Cluster of 3 primaries and 3 replicas on loopback, started by the test. */
export interface TestCluster {
  readonly nodes: readonly TestRedisServer[];
  /** `{ host, port }` of every node, for `new Cluster(...)`. */
  readonly startup: readonly { host: string; port: number }[];
  /** The primary serving `key`'s slot, and one of its replicas. */
  roles(key: string): Promise<{ primary: TestRedisServer; replica: TestRedisServer }>;
  stop(): Promise<void>;
}

/** Real time: a cluster takes a moment to agree on its slots. */
const CLUSTER_READY_MS = 20_000;

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + CLUSTER_READY_MS;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`cluster: ${what} within ${CLUSTER_READY_MS} ms`);
}

async function ask<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

export async function startCluster(): Promise<TestCluster> {
  const dirs: string[] = [];
  const nodes: TestRedisServer[] = [];
  for (let i = 0; i < 6; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-cluster-'));
    dirs.push(dir);
    nodes.push(
      await startRedisServer({
        dir,
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '2000',
          // Replicas may take over even when their data is old: the test wants a lagging one.
          '--cluster-replica-validity-factor',
          '0',
        ],
      }),
    );
  }
  const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
  const created = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'],
    { encoding: 'utf8', timeout: CLUSTER_READY_MS },
  );
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stderr}`);
  for (const node of nodes) {
    await waitUntil(
      () => ask(node.port, async (r) => (await r.cluster('INFO')).includes('cluster_state:ok')),
      `node ${node.port} ok`,
    );
  }
  // Replicas show up in CLUSTER SLOTS once they have synced.
  await waitUntil(
    () =>
      ask(nodes[0]!.port, async (r) => {
        const ranges = (await r.cluster('SLOTS')) as unknown[][];
        return ranges.length >= 3 && ranges.every((range) => range.length >= 4);
      }),
    'every primary has a replica',
  );
  const byPort = new Map(nodes.map((n) => [n.port, n]));
  return {
    nodes,
    startup: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    async roles(key) {
      for (const node of nodes) {
        const found = await ask(node.port, async (r) => {
          const slot = Number(await r.cluster('KEYSLOT', key));
          const ranges = (await r.cluster('SLOTS')) as unknown as [
            number,
            number,
            ...[string, number][],
          ][];
          return ranges.find(([from, to]) => from <= slot && slot <= to);
        }).catch(() => undefined);
        if (found === undefined) continue;
        const [, , primary, replica] = found;
        if (primary === undefined || replica === undefined) continue;
        return { primary: byPort.get(primary[1])!, replica: byPort.get(replica[1])! };
      }
      throw new Error(`no primary with a replica serves ${key}`);
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { ask as askNode, waitUntil };
