// Four OS processes share one team through one redis-server: claims, limits and message
// order hold across all of them. The children run the built packages: build first
// (`npx turbo run build --output-logs=errors-only`; `npm test` does).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '@troupe/core';
import { createRedisBus, createRedisRateLimiter } from '@troupe/redis';
import { startRedisServer, type TestRedisServer } from '@troupe/redis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const worker = join(here, 'fixtures/redis-team/worker.js');
const PROCESSES = 4;
const AGENTS = 25;
const POSTS_PER_PROCESS = 25;

interface WorkerResult {
  index: number;
  won: string[];
  conflicts: string[];
  tokens: number[];
  admitted: number;
  burstAdmittedAt: number[];
  postedSeqs: number[];
  seenSeqs: number[];
  seenOrder: string[];
}

let server: TestRedisServer;
beforeAll(async () => {
  for (const pkg of ['core', 'redis']) {
    if (!existsSync(join(here, `../packages/${pkg}/dist/index.js`))) {
      throw new Error(
        `packages/${pkg}/dist is missing: run \`npx turbo run build --output-logs=errors-only\` first`,
      );
    }
  }
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

function run(team: string, index: number, firstAgent: number, agents: number) {
  const child = spawn(
    process.execPath,
    [
      worker,
      server.url,
      team,
      String(index),
      String(firstAgent),
      String(agents),
      String(PROCESSES * POSTS_PER_PROCESS),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    if (stdout.includes('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const done = new Promise<WorkerResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`worker ${index} exited with ${code}: ${stderr.trim() || stdout.trim()}`));
      } else {
        resolve(JSON.parse(line) as WorkerResult);
      }
    });
  });
  return { ready, done };
}

describe('one team across four processes on redis', () => {
  it('gives one region to exactly one of 25 agents, holds the limits while waiting, and orders messages by seq', async () => {
    const team = 'multi';
    const split = [7, 6, 6, 6];
    let first = 0;
    const workers = split.map((agents, index) => {
      const w = run(team, index, first, agents);
      first += agents;
      return w;
    });
    await Promise.all(workers.map((w) => w.ready));
    const bus = createRedisBus({ redis: server.url, clock: systemClock, team });
    await bus.post('go', { from: 'parent', body: 'go' });
    const results = await Promise.all(workers.map((w) => w.done));
    await bus.close();

    // Claims: exactly one winner among all 25 agents; every loser was blocked by that winner.
    const winners = results.flatMap((r) => r.won);
    expect(winners).toHaveLength(1);
    expect(results.flatMap((r) => r.conflicts)).toEqual(Array(AGENTS - 1).fill(winners[0]));

    // Limit: 4 x 15 attempts against 20 per window: never more than 20 admitted in total.
    expect(results.reduce((sum, r) => sum + r.admitted, 0)).toBe(20);
    const limiter = createRedisRateLimiter({
      redis: server.url,
      clock: systemClock,
      team,
      rules: [{ key: 'global', windowMs: 600_000, requests: 20 }],
    });
    expect((await limiter.usage('global')).requests).toBe(20);
    await limiter.close();

    // Waits: all 20 queued acquires were admitted, and no 200 ms window ever held more than 4.
    const stamps = results.flatMap((r) => r.burstAdmittedAt).sort((a, b) => a - b);
    expect(stamps).toHaveLength(20);
    for (const t of stamps) {
      expect(stamps.filter((s) => s > t - 200 && s <= t).length).toBeLessThanOrEqual(4);
    }

    // Bus: 100 posts from four processes got seqs 1..100, and every process read all of them
    // in seq order, each sender's own posts in the order it made them.
    const total = PROCESSES * POSTS_PER_PROCESS;
    const allSeqs = results.flatMap((r) => r.postedSeqs).sort((a, b) => a - b);
    expect(allSeqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const result of results) {
      expect(result.seenSeqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      for (let proc = 0; proc < PROCESSES; proc++) {
        const mine = result.seenOrder
          .filter((o) => o.startsWith(`${proc}:`))
          .map((o) => Number(o.split(':')[1]));
        expect(mine).toEqual(Array.from({ length: POSTS_PER_PROCESS }, (_, i) => i));
      }
    }
  }, 60_000);
});
