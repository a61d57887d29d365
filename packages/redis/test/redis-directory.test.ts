// The team directory contract on a real redis-server (clock time, a SimulatedClock), and the
// same directory on the server's TIME: hosts with skewed clocks agree on who is dead.
import { type Clock, SimulatedClock, systemClock } from '@troupe/core';
import { directoryContract } from '@troupe/core/testing';
import { createRedisDirectory } from '@troupe/redis';
import { describe, expect, it } from 'vitest';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

const ctx = useRedisServer();

directoryContract('redis', async () => {
  const clock = new SimulatedClock();
  const team = uniqueTeam();
  const open = () =>
    createRedisDirectory({ redis: ctx.server.url, clock, team, hostTtlMs: 10_000 });
  return { directory: open(), clock, hostTtlMs: 10_000, peer: open };
});

/** A clock `offsetMs` away from real time: a machine whose clock is wrong. */
const skewed = (offsetMs: number): Clock => ({
  now: () => Date.now() + offsetMs,
  setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms),
  clearTimeout: (handle) => systemClock.clearTimeout(handle),
});

describe('redis directory on server time', () => {
  it('defaults to the server TIME with systemClock, so leases are in server ms', async () => {
    const directory = createRedisDirectory({
      redis: ctx.server.url,
      clock: systemClock,
      team: uniqueTeam(),
    });
    try {
      const before = Date.now();
      const lease = await directory.heartbeat('h');
      // Same machine: the server's clock is ours, within a named tolerance.
      const TOLERANCE_MS = 1_000;
      expect(Math.abs(lease.expiresAt - (before + 10_000))).toBeLessThan(TOLERANCE_MS);
    } finally {
      await directory.close();
    }
  });

  it('ignores client clocks: a host 2 s ahead does not see a live host as dead', async () => {
    const team = uniqueTeam();
    const options = { redis: ctx.server.url, team, hostTtlMs: 1_000, time: 'redis' as const };
    const behind = createRedisDirectory({ ...options, clock: skewed(-2_000) });
    const ahead = createRedisDirectory({ ...options, clock: skewed(2_000) });
    try {
      await behind.heartbeat('slow-host');
      await behind.register({ name: 'ada', host: 'slow-host' });
      await ahead.heartbeat('fast-host');
      // With client time, the host 2 s ahead would find slow-host's 1 s lease long gone.
      expect(await ahead.deadHosts()).toEqual([]);
      expect(await ahead.takeOver('ada', 'slow-host', 'fast-host')).toBeUndefined();
      expect((await ahead.hosts()).map((h) => h.host)).toEqual(['fast-host', 'slow-host']);
    } finally {
      await Promise.all([behind.close(), ahead.close()]);
    }
  });
});
