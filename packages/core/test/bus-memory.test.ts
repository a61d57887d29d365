import { createBus, SimulatedClock } from '@troupe/core';
import { describe, expect, it, vi } from 'vitest';
import { codeOf } from './helpers/code-of.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createBus (memory)', () => {
  it('refuses bad options with ERR_INVALID_ARGUMENT', () => {
    expect(codeOf(() => createBus(undefined as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => createBus({} as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => createBus({ clock: Date } as never))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('keeps its methods on the bus itself: a wrapper may spread it or take a method off it', async () => {
    const bus = createBus({ clock: new SimulatedClock() });
    const { post } = bus;
    const wrapped = { ...bus };
    await post('t', { from: 'x', body: 1 });
    expect((await wrapped.read('t')).map((m) => m.body)).toEqual([1]);
  });

  it('returns frozen messages', async () => {
    const bus = createBus({ clock: new SimulatedClock() });
    await bus.post('t', { from: 'x', body: { list: [1] } });
    const [message] = await bus.read<{ list: number[] }>('t');
    expect(Object.isFrozen(message)).toBe(true);
    expect(Object.isFrozen(message!.body.list)).toBe(true);
  });

  describe('waiter bookkeeping', () => {
    it('counts a pending waiter per topic and in total', async () => {
      const bus = createBus({ clock: new SimulatedClock() });
      const a = bus.wait('a', { afterSeq: 0 });
      const b1 = bus.wait('b', { afterSeq: 0 });
      const b2 = bus.wait('b', { afterSeq: 0 });
      expect([bus.waiters('a'), bus.waiters('b'), bus.waiters('c'), bus.waiters()]).toEqual([
        1, 2, 0, 3,
      ]);
      await bus.post('b', { from: 'x', body: 1 });
      await Promise.all([b1, b2]);
      expect([bus.waiters('b'), bus.waiters()]).toEqual([0, 1]);
      await bus.post('a', { from: 'x', body: 1 });
      await a;
      expect(bus.waiters()).toBe(0);
    });

    it('leaves no waiter and no timer after a timeout', async () => {
      const clock = new SimulatedClock();
      const bus = createBus({ clock });
      const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: 50 });
      expect([bus.waiters('t'), clock.pending()]).toEqual([1, 1]);
      await clock.advance(50);
      expect(await waiting).toEqual([]);
      expect([bus.waiters('t'), clock.pending()]).toEqual([0, 0]);
    });

    it('leaves no waiter, timer or abort listener after an abort', async () => {
      const clock = new SimulatedClock();
      const bus = createBus({ clock });
      const controller = new AbortController();
      const add = vi.spyOn(controller.signal, 'addEventListener');
      const remove = vi.spyOn(controller.signal, 'removeEventListener');
      const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: 1_000, signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ code: 'ERR_ABORTED' });
      expect([bus.waiters('t'), clock.pending()]).toEqual([0, 0]);
      expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]![1]);
    });

    it('removes the abort listener and timer when a post wakes the waiter', async () => {
      const clock = new SimulatedClock();
      const bus = createBus({ clock });
      const controller = new AbortController();
      const add = vi.spyOn(controller.signal, 'addEventListener');
      const remove = vi.spyOn(controller.signal, 'removeEventListener');
      const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: 1_000, signal: controller.signal });
      await bus.post('t', { from: 'x', body: 1 });
      await waiting;
      expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]![1]);
      expect([bus.waiters(), clock.pending()]).toEqual([0, 0]);
    });

    it('holds nothing after 10,000 waiters time out or abort', async () => {
      const clock = new SimulatedClock();
      const bus = createBus({ clock });
      const controllers: AbortController[] = [];
      const waits: Promise<unknown>[] = [];
      for (let i = 0; i < 10_000; i++) {
        if (i % 2) {
          const controller = new AbortController();
          controllers.push(controller);
          waits.push(
            bus
              .wait(`t${i % 10}`, { afterSeq: 0, signal: controller.signal })
              .catch(() => 'aborted'),
          );
        } else {
          waits.push(bus.wait(`t${i % 10}`, { afterSeq: 0, timeoutMs: 10 + (i % 100) }));
        }
      }
      expect(bus.waiters()).toBe(10_000);
      for (const controller of controllers) controller.abort();
      await clock.advance(200);
      await Promise.all(waits);
      expect([bus.waiters(), clock.pending()]).toEqual([0, 0]);
    });

    it('waits out a timeout longer than one timer can hold (2^31 - 1 ms)', async () => {
      const clock = new SimulatedClock();
      const bus = createBus({ clock });
      const longest = 2_147_483_647;
      let settled = false;
      const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: longest * 2 }).then((m) => {
        settled = true;
        return m;
      });
      await clock.advance(longest);
      expect(settled).toBe(false);
      await clock.advance(longest - 1);
      expect(settled).toBe(false);
      await clock.advance(1);
      expect(await waiting).toEqual([]);
      expect([bus.waiters(), clock.pending()]).toEqual([0, 0]);
    });

    it('hands the clock one timer for a 30-day timeout (the clock chains long delays itself)', async () => {
      const clock = new SimulatedClock();
      // Record every delay the bus hands the clock: one timer, however long.
      const delays: number[] = [];
      const setTimeout = clock.setTimeout.bind(clock);
      clock.setTimeout = (fn: () => void, ms: number) => {
        delays.push(ms);
        return setTimeout(fn, ms);
      };
      const bus = createBus({ clock });
      const thirtyDays = 30 * 24 * 3_600_000;
      let settled = false;
      const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: thirtyDays }).then((m) => {
        settled = true;
        return m;
      });
      await clock.advance(thirtyDays - 1);
      expect(settled).toBe(false);
      await clock.advance(1);
      expect(await waiting).toEqual([]);
      expect(delays).toEqual([thirtyDays]);
      expect([bus.waiters(), clock.pending()]).toEqual([0, 0]);
    });

    it('wakes each waiter with the slice after its own afterSeq, up to its own limit', async () => {
      const bus = createBus({ clock: new SimulatedClock() });
      await bus.post('t', { from: 'x', body: 1 });
      const narrow = bus.wait('t', { afterSeq: 1, limit: 1 });
      const wide = bus.wait('t', { afterSeq: 1 });
      await bus.post('t', { from: 'x', body: 2 });
      expect((await narrow).map((m) => m.seq)).toEqual([2]);
      expect((await wide).map((m) => m.seq)).toEqual([2]);
    });

    it('wakes the waiter on the same turn as the post, before the post is awaited', async () => {
      const bus = createBus({ clock: new SimulatedClock() });
      const order: string[] = [];
      const waiting = bus.wait('t', { afterSeq: 0 }).then(() => order.push('woken'));
      void bus.post('t', { from: 'x', body: 1 }).then(() => order.push('posted'));
      await settle();
      await waiting;
      expect(order).toEqual(['woken', 'posted']);
    });

    it('wakes waiters on one topic in the order they started waiting', async () => {
      const bus = createBus({ clock: new SimulatedClock() });
      const order: number[] = [];
      const waits = [1, 2, 3, 4].map((n) =>
        bus.wait('t', { afterSeq: 0 }).then(() => order.push(n)),
      );
      await bus.post('t', { from: 'x', body: 1 });
      await Promise.all(waits);
      expect(order).toEqual([1, 2, 3, 4]);
    });

    it('keeps oldest-first wake order after the middle and newest waiters abort', async () => {
      const bus = createBus({ clock: new SimulatedClock() });
      const order: number[] = [];
      const middle = new AbortController();
      const newest = new AbortController();
      const first = bus.wait('t', { afterSeq: 0 }).then(() => order.push(1));
      const dropped = [
        bus.wait('t', { afterSeq: 0, signal: middle.signal }),
        bus.wait('t', { afterSeq: 0, signal: newest.signal }),
      ].map((w) => w.catch(() => 'aborted'));
      middle.abort();
      newest.abort();
      // Appended after the aborted tail: must still come after the first waiter.
      const later = bus.wait('t', { afterSeq: 0 }).then(() => order.push(4));
      expect(bus.waiters('t')).toBe(2);
      await bus.post('t', { from: 'x', body: 1 });
      await Promise.all([first, later]);
      expect(await Promise.all(dropped)).toEqual(['aborted', 'aborted']);
      expect(order).toEqual([1, 4]);
    });
  });
});
