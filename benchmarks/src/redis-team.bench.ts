/**
 * One team across processes on Redis: messages per second when the team's agents live in 1, 2
 * or 4 host processes (each a child process with 8 agents whose model answers at once). The
 * sender is another process of the same team that hosts no agent: every message is a
 * `team.send` that crosses Redis to the agent's host (its mailbox stream) and whose answer comes
 * back on the sender's reply topic. `CONCURRENCY` sends are in flight at a time.
 *
 * Information only: the figure depends on the machine's free cores (2 here, shared with the
 * Redis server and the sender), so the ratio of 4 hosts to 1 says whether adding hosts adds
 * throughput here; on separate machines each host adds its own cores.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createTeam, systemClock } from '@troupe/core';
import {
  createRedisBus,
  createRedisDirectory,
  createRedisRateLimiter,
  createRedisSessionStore,
  createRedisSharedState,
} from '@troupe/redis';
import { startRedisServer } from '@troupe/redis/testing';
import { figure, heading, ratio } from './lib/harness.js';

const AGENTS_PER_HOST = 8;
const MESSAGES = 2_000;
const CONCURRENCY = 64;
const HOST = fileURLToPath(new URL('./lib/redis-host.js', import.meta.url));

async function startHost(
  port: number,
  team: string,
  id: string,
  names: string[],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOST, String(port), team, id, names.join(',')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host ${id} not ready in 60 s`)), 60_000);
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`host ${id} exited (${code}) before ready`)));
  });
  return child;
}

/** Messages per second with the agents spread over `hosts` processes. */
async function throughput(port: number, hosts: number): Promise<number> {
  const team = `bench-${hosts}-${Date.now()}`;
  const names: string[][] = Array.from({ length: hosts }, (_, h) =>
    Array.from({ length: AGENTS_PER_HOST }, (_, i) => `h${h}a${i}`),
  );
  const children = await Promise.all(names.map((n, h) => startHost(port, team, `host-${h}`, n)));
  const options = { redis: { host: '127.0.0.1', port }, clock: systemClock, team };
  const sender = createTeam({
    id: team,
    clock: systemClock,
    state: createRedisSharedState(options),
    limiter: createRedisRateLimiter({ ...options, rules: [] }),
    bus: createRedisBus(options),
    store: createRedisSessionStore({ redis: options.redis, team }),
    distributed: {
      directory: createRedisDirectory({ ...options, hostTtlMs: 10_000 }),
      hostId: 'sender',
    },
  });
  try {
    const all = names.flat();
    // Warm up: one message to every agent (connections, scripts, the directory's view).
    await Promise.all(all.map((name) => sender.send(name, 'warm up')));
    let next = 0;
    const t0 = performance.now();
    const lane = async (): Promise<void> => {
      while (next < MESSAGES) {
        const i = next++;
        const result = await sender.send(all[i % all.length]!, `m${i}`);
        if (result.status !== 'completed') throw new Error(`send ${i}: ${result.status}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    return (MESSAGES * 1000) / (performance.now() - t0);
  } finally {
    await sender.close();
    for (const child of children) child.stdin!.end();
    await Promise.all(children.map((child) => once(child, 'exit')));
  }
}

export default async function redisTeamBench(): Promise<void> {
  heading(
    `one team on Redis: ${MESSAGES.toLocaleString('en-US')} sends from another process, ${CONCURRENCY} in flight`,
  );
  const server = await startRedisServer();
  try {
    const rates = new Map<number, number>();
    for (const hosts of [1, 2, 4]) {
      const rate = await throughput(server.port, hosts);
      rates.set(hosts, rate);
      figure(
        `${hosts} host process${hosts === 1 ? '' : 'es'} (${hosts * AGENTS_PER_HOST} agents)`,
        `${Math.round(rate).toLocaleString('en-US')} messages/s`,
      );
    }
    ratio('messages/s: 2 host processes / 1 (informational)', rates.get(2)! / rates.get(1)!);
    ratio('messages/s: 4 host processes / 1 (informational)', rates.get(4)! / rates.get(1)!);
  } finally {
    await server.stop();
  }
}
