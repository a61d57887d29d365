/**
 * Bus post-to-wake latency: a waiter blocks in `wait`, the clock starts, `post` is called, and
 * the clock stops when the waiter's continuation runs. 10,000 waits, one after another, against
 * the floor (resolving a bare promise and running its continuation) measured the same way in
 * the same run, and beside the expected latency of a 50 ms polling loop (a message lands on
 * average halfway between two polls: 25 ms).
 */
import { createBus, systemClock } from '@troupe/core';
import { figure, fmtUs, heading, ratio } from './lib/harness.js';

const WAITS = 10_000;
const WARMUP = 20_000;
const POLL_INTERVAL_MS = 50;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function bareLatencies(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let resolve!: () => void;
    const woke = new Promise<void>((r) => {
      resolve = r;
    }).then(() => performance.now());
    const t0 = performance.now();
    resolve();
    out.push((await woke) - t0);
  }
  return out;
}

const bus = createBus({ clock: systemClock });
let seq = 0;

async function busLatencies(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const woke = bus.wait('wake', { afterSeq: seq }).then(() => performance.now());
    const t0 = performance.now();
    const posted = bus.post('wake', { from: 'bench', body: i });
    out.push((await woke) - t0);
    seq = (await posted).seq;
  }
  return out;
}

/** Interleaves the two in rounds so machine noise hits both alike. */
export default async function busBench(): Promise<void> {
  heading(`post-to-wake latency over ${WAITS.toLocaleString('en-US')} waits`);
  await bareLatencies(WARMUP);
  await busLatencies(WARMUP);
  const bare: number[] = [];
  const woken: number[] = [];
  const rounds = 10;
  for (let r = 0; r < rounds; r++) {
    bare.push(...(await bareLatencies(WAITS / rounds)));
    woken.push(...(await busLatencies(WAITS / rounds)));
  }
  bare.sort((a, b) => a - b);
  woken.sort((a, b) => a - b);
  await bus.close();
  const ms = (x: number) => fmtUs(x * 1000);
  figure(
    'bare promise resolution',
    `median ${ms(percentile(bare, 0.5))}, p99 ${ms(percentile(bare, 0.99))}`,
  );
  figure(
    'bus post -> wait wake',
    `median ${ms(percentile(woken, 0.5))}, p99 ${ms(percentile(woken, 0.99))}`,
  );
  figure(
    `${POLL_INTERVAL_MS} ms polling loop (expected)`,
    `average ${POLL_INTERVAL_MS / 2} ms, worst ${POLL_INTERVAL_MS} ms`,
  );
  ratio('bus wake median vs bare promise', percentile(woken, 0.5) / percentile(bare, 0.5), {
    max: 3,
  });
  ratio('bus wake p99 vs bare promise p99', percentile(woken, 0.99) / percentile(bare, 0.99));
  ratio(
    '50 ms polling (25 ms average) vs bus wake median',
    POLL_INTERVAL_MS / 2 / percentile(woken, 0.5),
  );
}
