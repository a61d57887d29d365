// Redis server CPU per operation of the backends, against PING (part of the redis suite).
import type { createRedisBus, createRedisRateLimiter, createRedisSharedState } from '@troupe/redis';
import type { Redis } from 'ioredis';
import { figure, fmtUs, heading, ratio } from './harness.js';

/** Top-level commands an operation sends; commands a script runs are inside its EVALSHA. */
const TOP_LEVEL = ['ping', 'evalsha', 'xread', 'xadd', 'xrange'];
const CPU_OPS = 30_000;
const CPU_GOAL = 3;

/** Server µs spent in top-level commands, from INFO commandstats. */
async function commandUs(raw: Redis): Promise<number> {
  const info = await raw.info('commandstats');
  let total = 0;
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=\d+,usec=(\d+),/.exec(line.trim());
    if (match !== null && TOP_LEVEL.includes(match[1]!)) total += Number(match[2]);
  }
  return total;
}

/** The server process's CPU time so far, µs, from INFO cpu. */
async function serverCpuUs(raw: Redis): Promise<number> {
  const info = await raw.info('cpu');
  const read = (name: string): number =>
    Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1e6;
}

/** Server CPU and command time per call of `op`, µs. */
async function cpuPer(
  raw: Redis,
  n: number,
  op: (i: number) => Promise<void>,
): Promise<{ cpu: number; command: number }> {
  await raw.config('RESETSTAT');
  const before = await serverCpuUs(raw);
  for (let i = 0; i < n; i++) await op(i);
  const cpu = ((await serverCpuUs(raw)) - before) / n;
  return { cpu, command: (await commandUs(raw)) / n };
}

/** Server CPU and command time per operation of each backend, against PING. */
export async function redisCpu(
  raw: Redis,
  backends: {
    state: ReturnType<typeof createRedisSharedState>;
    limiter: ReturnType<typeof createRedisRateLimiter>;
    waiterBus: ReturnType<typeof createRedisBus>;
    posterBus: ReturnType<typeof createRedisBus>;
  },
): Promise<void> {
  const { state, limiter, waiterBus, posterBus } = backends;
  heading(
    `Redis CPU per operation (INFO cpu, INFO commandstats), ${CPU_OPS.toLocaleString('en-US')} ops each`,
  );
  let seq = (await posterBus.read('cpu-wake', { afterSeq: 0, limit: 1 })).length;
  const kinds: Record<string, (i: number) => Promise<void>> = {
    PING: async () => {
      await raw.ping();
    },
    claim: async (i) => {
      await state.claim({ agent: `c${i % 8}`, resource: `cpu${i % 64}`, start: 0, end: 10 });
    },
    admission: async () => {
      await limiter.tryAcquire('api');
    },
    'admission + settle': async () => {
      const result = await limiter.tryAcquire('api', { tokens: 100 });
      if (result.ok) await result.lease.settle({ tokens: 80 });
    },
    post: async (i) => {
      await posterBus.post('cpu-post', { from: 'bench', body: i });
    },
    'wake (post + the woken XREAD)': async (i) => {
      const woke = waiterBus.wait('cpu-wake', { afterSeq: seq });
      seq = (await posterBus.post('cpu-wake', { from: 'bench', body: i })).seq;
      await woke;
    },
  };
  const cpu: Record<string, number> = {};
  const command: Record<string, number> = {};
  // Three interleaved rounds; the lowest figure of each kind (noise only ever adds).
  for (let round = 0; round < 3; round++) {
    for (const [name, op] of Object.entries(kinds)) {
      const measured = await cpuPer(raw, CPU_OPS / 3, op);
      cpu[name] = Math.min(cpu[name] ?? Number.POSITIVE_INFINITY, measured.cpu);
      command[name] = Math.min(command[name] ?? Number.POSITIVE_INFINITY, measured.command);
    }
  }
  for (const name of Object.keys(kinds)) {
    figure(
      `Redis per ${name}`.padEnd(40),
      `server CPU ${fmtUs(cpu[name]!).padStart(10)}   command time ${fmtUs(command[name]!).padStart(10)}`,
    );
  }
  // Like with like: an admission + settle and a wake are two requests each (the settle; the
  // reader's next XREAD), so they stand against two PINGs.
  const requests: Record<string, number> = {
    'admission + settle': 2,
    'wake (post + the woken XREAD)': 2,
  };
  for (const name of Object.keys(kinds)) {
    if (name === 'PING') continue;
    const n = requests[name] ?? 1;
    ratio(
      `Redis server CPU per ${name} vs ${n === 1 ? 'PING' : `${n} PINGs`}`,
      cpu[name]! / (n * cpu.PING!),
      {
        max: CPU_GOAL,
      },
    );
  }
}
