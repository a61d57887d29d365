/**
 * Bus post-to-wake latency: a waiter blocks in `wait`, the clock starts, `post` is called, and
 * the clock stops when the waiter's continuation runs. 10,000 waits (after 20,000 to warm up),
 * one after another, each paired with the floor (resolving a bare promise and running its
 * continuation) measured the same way right before it; medians and p99s of both, beside the
 * expected latency of a 50 ms polling loop (a message lands on average halfway between two
 * polls: 25 ms).
 */
import { createBus, type MemoryBus, systemClock } from '@troupe/core';
import { figure, fmtUs, heading, ratio } from './lib/harness.js';

const WAITS = 10_000;
const WARMUP = 20_000;
const POLL_INTERVAL_MS = 50;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Time from `resolve()` to the continuation of a promise someone awaits: the floor. */
async function bareOnce(): Promise<number> {
  let resolve!: () => void;
  const woke = new Promise<void>((r) => {
    resolve = r;
  }).then(() => performance.now());
  const t0 = performance.now();
  resolve();
  return (await woke) - t0;
}

/** Time from calling `post` to the continuation of the `wait` it wakes. */
async function busOnce(bus: MemoryBus, cursor: { seq: number }, body: number): Promise<number> {
  const woke = bus.wait('wake', { afterSeq: cursor.seq }).then(() => performance.now());
  const t0 = performance.now();
  const posted = bus.post('wake', { from: 'bench', body });
  const latency = (await woke) - t0;
  cursor.seq = (await posted).seq;
  return latency;
}

/**
 * Alternates one bare measurement and one bus measurement, wait after wait, so load on this
 * shared machine hits both alike. One bus throughout: each `createBus` has its own closures,
 * which V8 warms up separately.
 */
export default async function busBench(): Promise<void> {
  heading(`post-to-wake latency over ${WAITS.toLocaleString('en-US')} waits`);
  const bus = createBus({ clock: systemClock });
  const cursor = { seq: 0 };
  const bare: number[] = [];
  const woken: number[] = [];
  for (let i = 0; i < WARMUP + WAITS; i++) {
    const b = await bareOnce();
    const w = await busOnce(bus, cursor, i);
    if (i >= WARMUP) {
      bare.push(b);
      woken.push(w);
    }
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
