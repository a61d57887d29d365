// Redis loses recent writes (a restart from an older RDB snapshot, a restart without
// persistence): fencing tokens never repeat or go back, and a bus reader is told about the
// gap (ERR_BUS_GAP and onGap) instead of skipping the messages that took the lost seqs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTroupeError, systemClock, TroupeError } from '@troupe/core';
import { type BusGap, createRedisBus, createRedisSharedState } from '@troupe/redis';
import { startRedisServer, type TestRedisServer } from '@troupe/redis/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let server: TestRedisServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'troupe-redis-loss-'));
  server = await startRedisServer({ dir });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Retries while Redis comes back; real time is unavoidable around a real restart. */
const RECONNECT_TOLERANCE_MS = 10_000;
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RECONNECT_TOLERANCE_MS;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!isTroupeError(error, 'ERR_BACKEND_UNAVAILABLE') || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** SAVE now, then restart: the server comes back from this snapshot, losing later writes. */
async function snapshot(): Promise<() => Promise<void>> {
  const raw = new Redis(server.url);
  raw.on('error', () => {});
  await raw.save();
  await raw.quit();
  return () => server.restart();
}

describe('fencing tokens across lost writes', () => {
  it('never repeat or go back after a restart from an older snapshot', async () => {
    const team = 'loss-tokens';
    const state = createRedisSharedState({ redis: server.url, clock: systemClock, team });
    const raw = new Redis(server.url);
    raw.on('error', () => {}); // it reconnects across the restart
    try {
      const before: { resource: string; token: number }[] = [];
      const claimSome = async (into: { resource: string; token: number }[], n: number) => {
        for (let i = 0; i < n; i++) {
          const resource = `f${i % 5}`;
          const result = await eventually(() =>
            state.claim({ agent: `a${i % 3}`, resource, start: i, end: i }),
          );
          if (!result.ok) throw new Error(`unexpected conflict on ${resource}`);
          into.push({ resource, token: result.claim.token });
        }
      };
      await claimSome(before, 10);
      const restart = await snapshot();
      await claimSome(before, 30);
      const newest = Math.max(...before.map((c) => c.token));
      await restart();
      // The counter really went back: the snapshot's value is below tokens already issued.
      expect(Number(await eventually(() => raw.get(`troupe:{${team}}:tok`)))).toBeLessThan(newest);

      const after: { resource: string; token: number }[] = [];
      await claimSome(after, 30);
      const all = [...before, ...after].map((c) => c.token);
      expect(new Set(all).size).toBe(all.length);
      expect(Math.min(...after.map((c) => c.token))).toBeGreaterThan(newest);
      for (const resource of ['f0', 'f1', 'f2', 'f3', 'f4']) {
        const tokens = [...before, ...after]
          .filter((c) => c.resource === resource)
          .map((c) => c.token);
        for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
      }
    } finally {
      raw.disconnect();
      await state.close();
    }
  });
});

describe('bus gaps across lost writes', () => {
  const open = (team: string, gaps?: BusGap[]) =>
    createRedisBus({
      redis: server.url,
      clock: systemClock,
      team,
      commandTimeoutMs: 2_000,
      ...(gaps === undefined ? {} : { onGap: (gap: BusGap) => gaps.push(gap) }),
    });

  it('tells a waiting reader its topic went back after a restart from an older snapshot', async () => {
    const gaps: BusGap[] = [];
    const writer = open('loss-bus');
    const reader = open('loss-bus', gaps);
    try {
      for (let i = 1; i <= 10; i++) await writer.post('t', { from: 'w', body: i });
      const restart = await snapshot();
      for (let i = 11; i <= 20; i++) await writer.post('t', { from: 'w', body: i });
      const seen = await reader.wait('t', { afterSeq: 0, limit: 100, timeoutMs: 5_000 });
      expect(seen.map((m) => m.seq).at(-1)).toBe(20);
      const next = reader.wait('t', { afterSeq: 20, timeoutMs: 30_000 }).then(
        (messages) => messages,
        (error: unknown) => error,
      );
      await restart();
      // New messages take seqs 11.. again: none may reach the reader as if nothing happened.
      for (let i = 0; i < 15; i++)
        await eventually(() => writer.post('t', { from: 'w', body: `new ${i}` }));
      const outcome = await next;
      expect(outcome).toBeInstanceOf(TroupeError);
      expect((outcome as TroupeError).code).toBe('ERR_BUS_GAP');
      expect((outcome as TroupeError).details).toMatchObject({
        topic: 't',
        reason: 'restarted',
        afterSeq: 20,
      });
      expect(gaps.map((g) => g.reason)).toEqual(['restarted']);
      // Read again from where the error says: the new history, nothing skipped.
      const again = await reader.read('t', { afterSeq: 0, limit: 100 });
      expect(again.map((m) => m.body).slice(10)).toEqual(
        Array.from({ length: 15 }, (_, i) => `new ${i}`),
      );
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('tells a reader about seqs it missed when its next message is further on', async () => {
    const gaps: BusGap[] = [];
    const team = 'loss-trim';
    const writer = createRedisBus({
      redis: server.url,
      clock: systemClock,
      team,
      retention: { maxCount: 10 },
    });
    const reader = open(team, gaps);
    try {
      for (let i = 1; i <= 300; i++) await writer.post('t', { from: 'w', body: i });
      const outcome = await reader
        .wait('t', { afterSeq: 0, timeoutMs: 5_000 })
        .catch((e: unknown) => e);
      expect(isTroupeError(outcome, 'ERR_BUS_GAP')).toBe(true);
      const gap = (outcome as TroupeError).details as unknown as BusGap;
      expect(gap.reason).toBe('jumped');
      expect(gap.resumeAfterSeq).toBeGreaterThan(0);
      const resumed = await reader.wait('t', { afterSeq: gap.resumeAfterSeq, timeoutMs: 5_000 });
      expect(resumed[0]?.seq).toBe(gap.resumeAfterSeq + 1);
      expect(gaps).toHaveLength(1);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('does not post twice when a retry names the failed attempt', async () => {
    const bus = open('loss-idempotent');
    try {
      const first = await bus.post('t', { from: 'w', body: 'once' }, { idempotencyKey: 'job-1' });
      await bus.post('t', { from: 'w', body: 'other' });
      const retried = await bus.post('t', { from: 'w', body: 'once' }, { idempotencyKey: 'job-1' });
      expect(retried).toEqual(first);
      expect((await bus.read('t')).map((m) => m.body)).toEqual(['once', 'other']);
    } finally {
      await bus.close();
    }
  });
});
