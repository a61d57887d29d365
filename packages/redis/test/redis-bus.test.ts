import { isTroupeError, SimulatedClock } from '@troupe/core';
import { MAX_TIMER_MS } from '@troupe/core/backend';
import { createRedisBus } from '@troupe/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

const ctx = useRedisServer();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

function setup(team = uniqueTeam()) {
  const clock = new SimulatedClock(5);
  const bus = createRedisBus({ redis: ctx.server.url, clock, team });
  open.push(bus);
  return { clock, bus, team };
}

describe('redis bus', () => {
  it('numbers posts per topic from 1 and reads after a seq', async () => {
    const { bus } = setup();
    expect(await bus.post('a', { from: 'x', body: 1 })).toEqual({ seq: 1 });
    expect(await bus.post('a', { from: 'y', body: { two: 2 } })).toEqual({ seq: 2 });
    expect(await bus.post('b', { from: 'x', body: 'b1' })).toEqual({ seq: 1 });
    expect(await bus.read('a', { afterSeq: 1 })).toEqual([
      { seq: 2, topic: 'a', from: 'y', body: { two: 2 }, at: 5 },
    ]);
    expect((await bus.read('a', { limit: 1 })).map((m) => m.seq)).toEqual([1]);
  });

  it('returns at once when messages after afterSeq exist', async () => {
    const { bus } = setup();
    await bus.post('a', { from: 'x', body: 1 });
    expect((await bus.wait('a', { afterSeq: 0 })).map((m) => m.seq)).toEqual([1]);
  });

  it('wakes a waiter in one backend with a post from another', async () => {
    const team = uniqueTeam();
    const one = setup(team).bus;
    const two = setup(team).bus;
    const waiting = one.wait('a', { afterSeq: 0 });
    await two.post('a', { from: 'x', body: 'hi' });
    expect((await waiting).map((m) => m.body)).toEqual(['hi']);
  });

  it('re-arms the blocking reader for a topic it was not watching', async () => {
    const team = uniqueTeam();
    const one = setup(team).bus;
    const two = setup(team).bus;
    const first = one.wait('a', { afterSeq: 0 });
    // Let the reader block on topic a alone before the second topic arrives.
    await two.read('a');
    const second = one.wait('b', { afterSeq: 0 });
    await two.read('b');
    await two.post('b', { from: 'x', body: 'b' });
    expect((await second).map((m) => m.body)).toEqual(['b']);
    await two.post('a', { from: 'x', body: 'a' });
    expect((await first).map((m) => m.body)).toEqual(['a']);
  });

  it('wakes every waiter of a topic on its own, each after its own seq', async () => {
    const team = uniqueTeam();
    const one = setup(team).bus;
    const two = setup(team).bus;
    await two.post('a', { from: 'x', body: 1 });
    const behind = one.wait('a', { afterSeq: 1 });
    const further = one.wait('a', { afterSeq: 2 });
    await two.post('a', { from: 'x', body: 2 });
    expect((await behind).map((m) => m.seq)).toEqual([2]);
    await two.post('a', { from: 'x', body: 3 });
    expect((await further).map((m) => m.seq)).toEqual([3]);
  });

  it('resolves [] on a clock timeout and leaves the next post to later waiters', async () => {
    const { clock, bus } = setup();
    const timedOut = bus.wait('a', { afterSeq: 0, timeoutMs: 1_000 });
    expect(bus.waiters('a')).toBe(1);
    await clock.advance(1_000);
    expect(await timedOut).toEqual([]);
    expect(clock.pending()).toBe(0);
    expect(bus.waiters()).toBe(0);
    const next = bus.wait('a', { afterSeq: 0 });
    await bus.post('a', { from: 'x', body: 1 });
    expect((await next).map((m) => m.seq)).toEqual([1]);
  });

  it('chains timers for a timeout longer than one timer holds, and waits it out in full', async () => {
    const { clock, bus } = setup();
    // Record every delay the bus hands the clock: Node fires one above MAX_TIMER_MS after ~1 ms.
    const delays: number[] = [];
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn: () => void, ms: number) => {
      delays.push(ms);
      return setTimeout(fn, ms);
    };
    const thirtyDays = 30 * 24 * 3_600_000;
    let settled = false;
    const waiting = bus.wait('a', { afterSeq: 0, timeoutMs: thirtyDays }).then((m) => {
      settled = true;
      return m;
    });
    await clock.advance(MAX_TIMER_MS);
    await clock.advance(thirtyDays - MAX_TIMER_MS - 1);
    expect(settled).toBe(false);
    expect(bus.waiters('a')).toBe(1);
    await clock.advance(1);
    expect(await waiting).toEqual([]);
    expect(delays).toEqual([MAX_TIMER_MS, thirtyDays - MAX_TIMER_MS]);
    expect([bus.waiters(), clock.pending()]).toEqual([0, 0]);
  });

  it('rejects an aborted wait with ERR_ABORTED and clears its timer', async () => {
    const { clock, bus } = setup();
    const controller = new AbortController();
    const waiting = bus.wait('a', { afterSeq: 0, timeoutMs: 1_000, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toSatisfy((e) => isTroupeError(e, 'ERR_ABORTED'));
    expect(clock.pending()).toBe(0);
    expect(bus.waiters()).toBe(0);
  });

  it('wakes a local waiter when post returns, before any clock advance', async () => {
    const { clock, bus } = setup();
    const waiting = bus.wait('a', { afterSeq: 0, timeoutMs: 10 });
    await bus.post('a', { from: 'x', body: 1 });
    await clock.advance(10);
    expect((await waiting).map((m) => m.seq)).toEqual([1]);
  });

  it('rejects waiters with ERR_CLOSED on close', async () => {
    const { bus } = setup();
    const waiting = bus.wait('a', { afterSeq: 0 });
    await bus.close();
    await expect(waiting).rejects.toSatisfy((e) => isTroupeError(e, 'ERR_CLOSED'));
    await expect(bus.post('a', { from: 'x', body: 1 })).rejects.toSatisfy((e) =>
      isTroupeError(e, 'ERR_CLOSED'),
    );
  });

  it('rejects bad input with ERR_INVALID_ARGUMENT', async () => {
    const { bus } = setup();
    await expect(bus.read('a', { afterSeq: -1 })).rejects.toSatisfy((e) =>
      isTroupeError(e, 'ERR_INVALID_ARGUMENT'),
    );
    await expect(bus.post('', { from: 'x', body: 1 })).rejects.toSatisfy((e) =>
      isTroupeError(e, 'ERR_INVALID_ARGUMENT'),
    );
  });
});

describe('redis bus blocking reader', () => {
  it('serves waiters on many topics from one reader, each woken by its own topic', async () => {
    const team = uniqueTeam();
    const one = setup(team).bus;
    const two = setup(team).bus;
    const topics = Array.from({ length: 40 }, (_, i) => `topic-${i}`);
    const waits = topics.map((topic) => one.wait(topic, { afterSeq: 0 }));
    // Posts land while the reader is re-armed for topics it was not watching yet.
    for (const topic of [...topics].reverse()) await two.post(topic, { from: 'x', body: topic });
    const results = await Promise.all(waits);
    expect(results.map((messages) => messages.map((m) => m.body))).toEqual(topics.map((t) => [t]));
  });
});

describe('redis bus limits', () => {
  it('returns at most limit messages to a waiter far behind, and serves one further ahead too', async () => {
    const team = uniqueTeam();
    const one = setup(team).bus;
    const two = setup(team).bus;
    for (let i = 0; i < 30; i++) await two.post('t', { from: 'x', body: i });
    const behind = one.wait('t', { afterSeq: 0, limit: 5 });
    const ahead = one.wait('t', { afterSeq: 30, limit: 5 });
    expect((await behind).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    await two.post('t', { from: 'x', body: 'new' });
    expect((await ahead).map((m) => m.seq)).toEqual([31]);
  });
});
