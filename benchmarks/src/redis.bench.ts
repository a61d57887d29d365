/**
 * The Redis backends against one raw Redis round trip and against the in-memory backends, all
 * measured in the same run on a redis-server this suite starts (loopback, no persistence).
 *
 * Latency of one operation, awaited one after another (medians over interleaved rounds, so
 * machine noise hits every contestant alike):
 * - floor: `PING` and `GET` on a plain ioredis client (one round trip);
 * - claim: `createRedisSharedState().claim()` (one Lua script: check and write one resource);
 * - admission: `createRedisRateLimiter().tryAcquire()` (one Lua script: evict, check, write);
 * - wake, other process: a waiter blocked in `createRedisBus().wait()` (its reader in
 *   `XREAD BLOCK`), the clock starts, another bus (another connection, as another process
 *   would) posts, the clock stops when the waiter's continuation runs. Its own floor is a raw
 *   `XADD` on one client waking a raw `XREAD BLOCK` on another, measured the same way;
 * - wake, same process: the waiter and the poster share a bus: the post's reply wakes it.
 * Floors, on the same plain client: `EVALSHA` of `return 1` (what any script costs), and the
 * three calls an admission cannot do without (`HMGET` of the sums, `ZADD` of the entry into a
 * window as large as the admission's, `HSET` of the new sum) as one script.
 * Goal: each Redis operation within 1.5x of one round trip; the cross-connection wake also
 * within 1.5x of its raw XADD -> XREAD floor (the floor alone is already ~1.5 round trips).
 *
 * Redis CPU per operation (what decides how many agents and teams one Redis carries), for N
 * operations of one kind at a time, against the same figure for PING:
 * - server CPU: `used_cpu_user + used_cpu_sys` from `INFO cpu` (everything the server does for
 *   the operation: reading and parsing the request, running it, writing the reply). Goal:
 *   each within 3x of PING.
 * - command time: from `INFO commandstats` after `CONFIG RESETSTAT`, the time in the top-level
 *   commands (an EVALSHA's includes the calls its script makes). Informational: Redis
 *   measures each call in whole µs, so a sub-µs PING reads as 0 or 1.
 */
import { createBus, createRateLimiter, createSharedState, systemClock } from '@troupe/core';
import { createRedisBus, createRedisRateLimiter, createRedisSharedState } from '@troupe/redis';
import { startRedisServer } from '@troupe/redis/testing';
import { Redis } from 'ioredis';
import { figure, fmtUs, heading, ratio } from './lib/harness.js';
import { redisCpu } from './lib/redis-cpu.js';

const envTime = Number(process.env.BENCH_TIME_MS);
/** Operations per contestant; BENCH_TIME_MS shortens the run. */
const OPS =
  Number.isFinite(envTime) && envTime > 0 ? Math.max(500, Math.round(envTime * 4)) : 4_000;
const ROUNDS = 8;
const WARMUP = 1_000;
const GOAL = 1.5;

type Op = () => Promise<void>;

function median(sorted: readonly number[]): number {
  return sorted[Math.floor(sorted.length / 2)]!;
}
function p99(sorted: readonly number[]): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
}

/** Times `n` calls of `op`, one after another; microseconds each. */
async function time(op: Op, n: number, out: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op();
    out.push((performance.now() - t0) * 1000);
  }
}

/** The server, raw ioredis clients, and the Redis and in-memory backends compared. */
async function openRig() {
  const server = await startRedisServer();
  const clock = systemClock;
  const redisOptions = { redis: { host: '127.0.0.1', port: server.port }, clock, team: 'bench' };
  const rules = [{ key: 'api', windowMs: 1_000, requests: 1_000_000_000 }];
  const rig = {
    server,
    raw: new Redis(server.port, '127.0.0.1'),
    rawReader: new Redis(server.port, '127.0.0.1'),
    rawWriter: new Redis(server.port, '127.0.0.1'),
    state: createRedisSharedState(redisOptions),
    memState: createSharedState({ clock }),
    limiter: createRedisRateLimiter({ ...redisOptions, rules }),
    memLimiter: createRateLimiter({ clock, rules }),
    waiterBus: createRedisBus(redisOptions),
    posterBus: createRedisBus(redisOptions),
    localBus: createRedisBus(redisOptions),
    memBus: createBus({ clock }),
    async close(): Promise<void> {
      await Promise.all([
        rig.state.close(),
        rig.limiter.close(),
        rig.waiterBus.close(),
        rig.posterBus.close(),
        rig.localBus.close(),
        rig.memState.close(),
        rig.memLimiter.close(),
        rig.memBus.close(),
      ]);
      rig.raw.disconnect();
      rig.rawReader.disconnect();
      rig.rawWriter.disconnect();
      await server.stop();
    },
  };
  await rig.raw.set('bench:key', 'value');
  return rig;
}

type Rig = Awaited<ReturnType<typeof openRig>>;

/** One-call operations: raw round trips, the floor script, claims and admissions. */
async function operations(rig: Rig): Promise<Record<string, Op>> {
  const { raw, state, memState, limiter, memLimiter } = rig;
  const returnOne = (await raw.script('LOAD', 'return 1')) as string;
  // An admission's three calls, nothing else: the floor of any exact sliding window in Redis.
  const admitFloor = (await raw.script(
    'LOAD',
    `local v = redis.call('HMGET', KEYS[1], 'r', 'pr', 'qn', 'ev')
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], 'r', (tonumber(v[1]) or 0) + 1)
return 1`,
  )) as string;
  let floorN = 0;
  let floorTrim = 0;

  let claimN = 0;
  return {
    'raw PING (one round trip)': async () => {
      await raw.ping();
    },
    'raw GET (one round trip)': async () => {
      await raw.get('bench:key');
    },
    'raw EVALSHA return 1': async () => {
      await raw.evalsha(returnOne, 0);
    },
    'raw admission floor script': async () => {
      const now = Date.now();
      await raw.evalsha(admitFloor, 2, 'bench:fh', 'bench:fw', now, `floor.${floorN++}|1|0|0`);
      // Keep its window as the limiter keeps its own: about one windowMs (1 s) of entries.
      if (now - floorTrim > 125) {
        floorTrim = now;
        await raw.zremrangebyscore('bench:fw', '-inf', now - 1_000);
      }
    },
    'redis claim': async () => {
      await state.claim({ agent: 'a', resource: `r${claimN++ % 64}`, start: 0, end: 10 });
    },
    'memory claim': async () => {
      await memState.claim({ agent: 'a', resource: `r${claimN++ % 64}`, start: 0, end: 10 });
    },
    'redis admission (tryAcquire)': async () => {
      await limiter.tryAcquire('api');
    },
    'memory admission (tryAcquire)': async () => {
      memLimiter.tryAcquire('api');
    },
  };
}

type Wake = (n: number, out: number[]) => Promise<void>;

/** Post-to-woken latencies: only the post-to-continuation span is timed (waiters set up first). */
function wakes(rig: Rig): Record<string, Wake> {
  const { raw, rawReader, rawWriter, waiterBus, posterBus, localBus, memBus } = rig;
  let redisSeq = 0;
  let memSeq = 0;
  let localSeq = 0;
  let rawLast = '0-0';
  async function redisWake(n: number, out: number[]): Promise<void> {
    for (let i = 0; i < n; i++) {
      const woke = waiterBus.wait('wake', { afterSeq: redisSeq }).then(() => performance.now());
      await raw.ping(); // the reader's XREAD BLOCK, written first, is in place by now
      const t0 = performance.now();
      const posted = posterBus.post('wake', { from: 'bench', body: i });
      out.push(((await woke) - t0) * 1000);
      redisSeq = (await posted).seq;
    }
  }
  async function localWake(n: number, out: number[]): Promise<void> {
    for (let i = 0; i < n; i++) {
      const woke = localBus.wait('local', { afterSeq: localSeq }).then(() => performance.now());
      await raw.ping();
      const t0 = performance.now();
      const posted = localBus.post('local', { from: 'bench', body: i });
      out.push(((await woke) - t0) * 1000);
      localSeq = (await posted).seq;
    }
  }
  type XReply = [string, [string, string[]][]][];
  async function rawWake(n: number, out: number[]): Promise<void> {
    for (let i = 0; i < n; i++) {
      const woke = (
        rawReader.xread('BLOCK', 0, 'STREAMS', 'bench:raw', rawLast) as Promise<XReply>
      ).then((reply) => {
        rawLast = reply[0]![1].at(-1)![0];
        return performance.now();
      });
      await raw.ping();
      const t0 = performance.now();
      const posted = rawWriter.xadd('bench:raw', '*', 'b', String(i));
      out.push(((await woke) - t0) * 1000);
      await posted;
    }
  }
  async function memWake(n: number, out: number[]): Promise<void> {
    for (let i = 0; i < n; i++) {
      const woke = memBus.wait('wake', { afterSeq: memSeq }).then(() => performance.now());
      const t0 = performance.now();
      const posted = memBus.post('wake', { from: 'bench', body: i });
      out.push(((await woke) - t0) * 1000);
      memSeq = (await posted).seq;
    }
  }

  return {
    'raw XADD -> XREAD BLOCK wake': rawWake,
    'redis wake, other connection': redisWake,
    'redis wake, same bus': localWake,
    'memory wake (post -> woken)': memWake,
  };
}

/** Median µs of every operation and wake, sampled in alternating rounds after a warm-up. */
async function medians(
  ops: Record<string, Op>,
  wake: Record<string, Wake>,
): Promise<Record<string, number>> {
  heading(
    `Redis backends vs one round trip and vs in-memory, ${OPS.toLocaleString('en-US')} ops each`,
  );
  const samples: Record<string, number[]> = {};
  for (const name of [...Object.keys(ops), ...Object.keys(wake)]) samples[name] = [];
  for (const op of Object.values(ops)) await time(op, WARMUP, []);
  for (const [name, fn] of Object.entries(wake))
    await fn(name.startsWith('memory') ? WARMUP : WARMUP / 4, []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, op] of Object.entries(ops)) await time(op, OPS / ROUNDS, samples[name]!);
    for (const [name, fn] of Object.entries(wake)) await fn(OPS / ROUNDS, samples[name]!);
  }
  const med: Record<string, number> = {};
  for (const [name, values] of Object.entries(samples)) {
    values.sort((a, b) => a - b);
    med[name] = median(values);
    figure(
      name.padEnd(34),
      `median ${fmtUs(median(values)).padStart(10)}   p99 ${fmtUs(p99(values)).padStart(10)}`,
    );
  }
  return med;
}

function latencyRatios(med: Record<string, number>): void {
  const rtt = med['raw PING (one round trip)']!;
  ratio('redis claim vs one round trip (PING)', med['redis claim']! / rtt, { max: GOAL });
  ratio('redis admission vs one round trip (PING)', med['redis admission (tryAcquire)']! / rtt, {
    max: GOAL,
  });
  ratio('redis wake (same bus) vs one round trip (PING)', med['redis wake, same bus']! / rtt, {
    max: GOAL,
  });
  ratio(
    'redis wake (other connection) vs one round trip (PING)',
    med['redis wake, other connection']! / rtt,
    {
      max: GOAL,
    },
  );
  ratio(
    'raw XADD -> XREAD wake vs one round trip (PING)',
    med['raw XADD -> XREAD BLOCK wake']! / rtt,
  );
  ratio(
    'redis wake (other connection) vs raw XADD -> XREAD wake',
    med['redis wake, other connection']! / med['raw XADD -> XREAD BLOCK wake']!,
    { max: GOAL },
  );
  ratio('raw GET vs PING', med['raw GET (one round trip)']! / rtt);
  ratio('raw EVALSHA return 1 vs PING', med['raw EVALSHA return 1']! / rtt);
  ratio(
    'raw admission floor script (HMGET, ZADD, HSET) vs PING',
    med['raw admission floor script']! / rtt,
  );
  ratio(
    'redis admission vs its raw floor script',
    med['redis admission (tryAcquire)']! / med['raw admission floor script']!,
  );
  ratio('redis claim vs in-memory claim', med['redis claim']! / med['memory claim']!);
  ratio(
    'redis admission vs in-memory admission',
    med['redis admission (tryAcquire)']! / med['memory admission (tryAcquire)']!,
  );
  ratio(
    'redis wake (other connection) vs in-memory wake',
    med['redis wake, other connection']! / med['memory wake (post -> woken)']!,
  );
}

export default async function redisBench(): Promise<void> {
  const rig = await openRig();
  try {
    latencyRatios(await medians(await operations(rig), wakes(rig)));
    await redisCpu(rig.raw, rig);
  } finally {
    await rig.close();
  }
}
