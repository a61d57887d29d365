// Four OS processes whose clocks are skewed by up to ±2 s share one limiter and one file on
// one redis-server. Time comes from Redis (`time: 'redis'`), so no window ever admits more
// than the limit and no two claims on overlapping ranges are ever live together. The children
// run the built packages: build first (`npx turbo run build --output-logs=errors-only`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Claim } from '@troupe/core';
import { startRedisServer, type TestRedisServer } from '@troupe/redis/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const worker = join(here, 'fixtures/redis-skew/worker.js');
const SKEWS = [-2_000, -700, 700, 2_000];
const RUN_MS = 2_000;
const WINDOW_MS = 500;
const LIMIT = 10;

interface Result {
  index: number;
  admitted: number[];
  claims: Claim[];
}

let server: TestRedisServer;
beforeAll(async () => {
  for (const pkg of ['core', 'redis']) {
    if (!existsSync(join(here, `../packages/${pkg}/dist/index.js`))) {
      throw new Error(`packages/${pkg}/dist is missing: run \`npx turbo run build\` first`);
    }
  }
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

function run(index: number): Promise<Result> {
  const child = spawn(
    process.execPath,
    [worker, server.url, 'skew', String(index), String(SKEWS[index]), String(RUN_MS)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        reject(new Error(`worker ${index}: ${stderr || stdout}`));
      else resolve(JSON.parse(line) as Result);
    });
  });
}

it('never admits more than the limit in any window, and never grants overlapping live claims', async () => {
  const results = await Promise.all(SKEWS.map((_, i) => run(i)));

  const admitted = results.flatMap((r) => r.admitted).sort((a, b) => a - b);
  // Enough traffic to fill several windows, so the bound was really tested.
  expect(admitted.length).toBeGreaterThan(2 * LIMIT);
  let worst = 0;
  for (let i = 0, j = 0; i < admitted.length; i++) {
    while (j < admitted.length && admitted[j]! < admitted[i]! + WINDOW_MS) j++;
    worst = Math.max(worst, j - i);
  }
  expect(worst).toBeLessThanOrEqual(LIMIT);
  expect(worst).toBe(LIMIT); // the limit was reached, so the bound held under pressure

  const claims = results.flatMap((r) => r.claims);
  expect(claims.length).toBeGreaterThan(20);
  const overlaps: string[] = [];
  for (let a = 0; a < claims.length; a++) {
    for (let b = a + 1; b < claims.length; b++) {
      const x = claims[a]!;
      const y = claims[b]!;
      const ranges = x.start <= y.end && y.start <= x.end;
      const live = x.grantedAt < y.expiresAt && y.grantedAt < x.expiresAt;
      if (ranges && live) overlaps.push(`${x.agent}/${y.agent}`);
    }
  }
  expect(overlaps).toEqual([]);
  // Fencing tokens follow grant order across all four processes.
  const byToken = [...claims].sort((a, b) => a.token - b.token);
  expect(new Set(byToken.map((c) => c.token)).size).toBe(claims.length);
  for (let i = 1; i < byToken.length; i++) {
    expect(byToken[i]!.grantedAt).toBeGreaterThanOrEqual(byToken[i - 1]!.grantedAt);
  }
}, 30_000);
