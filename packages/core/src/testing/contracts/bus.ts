import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusBackend, Message } from '../../backend/interfaces.js';
import type { SimulatedClock } from '../../clock.js';
import type { ErrorCode } from '../../errors.js';
import { TroupeError } from '../../errors.js';

/**
 * What a bus contract `setup` returns: a fresh backend bound to `clock`.
 *
 * @example
 * ```ts
 * const fixture: BusFixture = { bus: createBus({ clock }), clock };
 * ```
 */
export interface BusFixture {
  readonly bus: BusBackend;
  readonly clock: SimulatedClock;
  readonly cleanup?: () => Promise<void>;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(TroupeError);
  expect((error as TroupeError).code).toBe(code);
}

/** Tracks whether a promise has settled, without consuming its rejection. */
function track<T>(promise: Promise<T>): {
  readonly settled: () => boolean;
  readonly promise: Promise<T>;
} {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { settled: () => settled, promise };
}

/** Lets pending I/O and promise continuations run (a few event-loop turns, no clock time). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const seqs = (messages: readonly Message[]): number[] => messages.map((m) => m.seq);

/**
 * The contract every {@link BusBackend} passes: every rule of packages/core/docs/bus.md. `setup` runs
 * before each test and must return a fresh, empty bus bound to a `SimulatedClock` (which the
 * bus uses for `at` and for wait timeouts); `cleanup` (if any) runs after it.
 *
 * @example
 * ```ts
 * import { createBus, SimulatedClock } from '@troupe/core';
 * import { busContract } from '@troupe/core/testing';
 *
 * busContract('memory', async () => {
 *   const clock = new SimulatedClock();
 *   const bus = createBus({ clock });
 *   return { bus, clock, cleanup: () => bus.close() };
 * });
 * ```
 */
export function busContract(name: string, setup: () => Promise<BusFixture>): void {
  describe(`BusBackend contract: ${name}`, () => {
    let fixture: BusFixture;
    let bus: BusBackend;
    let clock: SimulatedClock;

    beforeEach(async () => {
      fixture = await setup();
      bus = fixture.bus;
      clock = fixture.clock;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    const postMany = async (topic: string, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await bus.post(topic, { from: 'p', body: i });
    };

    describe('post and read', () => {
      it('numbers messages per topic from 1', async () => {
        expect(await bus.post('a', { from: 'x', body: 1 })).toEqual({ seq: 1 });
        expect(await bus.post('a', { from: 'x', body: 2 })).toEqual({ seq: 2 });
        expect(await bus.post('b', { from: 'x', body: 3 })).toEqual({ seq: 1 });
        expect(await bus.post('a', { from: 'x', body: 4 })).toEqual({ seq: 3 });
      });

      it('reads messages with seq, topic, from, body and the clock time', async () => {
        await clock.advance(42);
        await bus.post('t', { from: 'lead', body: { task: 'review', files: ['a.ts'] } });
        const [message] = await bus.read('t');
        expect({ ...message }).toEqual({
          seq: 1,
          topic: 't',
          from: 'lead',
          body: { task: 'review', files: ['a.ts'] },
          at: 42,
        });
      });

      it('reads only messages after afterSeq, oldest first', async () => {
        await postMany('t', 5);
        expect(seqs(await bus.read('t', { afterSeq: 2 }))).toEqual([3, 4, 5]);
        expect(seqs(await bus.read('t', { afterSeq: 5 }))).toEqual([]);
        expect(seqs(await bus.read('t', { afterSeq: 50 }))).toEqual([]);
      });

      it('reads at most limit messages, 100 by default', async () => {
        await postMany('t', 105);
        expect(seqs(await bus.read('t', { afterSeq: 1, limit: 3 }))).toEqual([2, 3, 4]);
        const all = await bus.read('t');
        expect(all).toHaveLength(100);
        expect(all[99]!.seq).toBe(100);
      });

      it('reads an unknown topic as empty', async () => {
        expect(await bus.read('nothing')).toEqual([]);
      });

      it('keeps topics apart', async () => {
        await bus.post('a', { from: 'x', body: 'for a' });
        await bus.post('b', { from: 'x', body: 'for b' });
        expect((await bus.read('a')).map((m) => m.body)).toEqual(['for a']);
      });

      it('stores a copy: changing the posted or read body changes nothing', async () => {
        const body = { list: [1] };
        await bus.post('t', { from: 'x', body });
        body.list.push(2);
        const [read] = await bus.read<typeof body>('t');
        try {
          read!.body.list.push(3);
        } catch {
          // frozen results throw: equally fine
        }
        expect((await bus.read('t'))[0]!.body).toEqual({ list: [1] });
      });
    });

    describe('wait', () => {
      it('returns at once when messages after afterSeq exist', async () => {
        await postMany('t', 3);
        expect(seqs(await bus.wait('t', { afterSeq: 1 }))).toEqual([2, 3]);
        expect(seqs(await bus.wait('t', { afterSeq: 0, limit: 2 }))).toEqual([1, 2]);
      });

      it('blocks until a post and is woken by the post itself, with no clock time passing', async () => {
        const waiting = track(bus.wait('t', { afterSeq: 0 }));
        await settle();
        expect(waiting.settled()).toBe(false);
        await bus.post('t', { from: 'x', body: 'hello' });
        const messages = await waiting.promise;
        expect(messages.map((m) => m.body)).toEqual(['hello']);
        expect(clock.now()).toBe(0);
      });

      it('is not woken by posts to other topics', async () => {
        const waiting = track(bus.wait('t', { afterSeq: 0 }));
        await bus.post('other', { from: 'x', body: 1 });
        await settle();
        expect(waiting.settled()).toBe(false);
        await bus.post('t', { from: 'x', body: 2 });
        expect(seqs(await waiting.promise)).toEqual([1]);
      });

      it('waits for a seq beyond afterSeq, not just any new message', async () => {
        await postMany('t', 1);
        const waiting = track(bus.wait('t', { afterSeq: 2 }));
        await bus.post('t', { from: 'x', body: 'seq 2' });
        await settle();
        expect(waiting.settled()).toBe(false);
        await bus.post('t', { from: 'x', body: 'seq 3' });
        expect(seqs(await waiting.promise)).toEqual([3]);
      });

      it('wakes each waiter on its own, every one with the new message', async () => {
        const waiters = Array.from({ length: 5 }, () => bus.wait('t', { afterSeq: 0 }));
        await settle();
        await bus.post('t', { from: 'x', body: 'all' });
        const results = await Promise.all(waiters);
        for (const messages of results) expect(messages.map((m) => m.body)).toEqual(['all']);
      });

      it('never loses a post made between a read and a wait', async () => {
        const before = await bus.read('t', { afterSeq: 0 });
        expect(before).toEqual([]);
        await bus.post('t', { from: 'x', body: 'in between' });
        const messages = await bus.wait('t', { afterSeq: 0, timeoutMs: 1_000 });
        expect(messages.map((m) => m.body)).toEqual(['in between']);
      });

      it('resolves with [] after timeoutMs of clock time, not before', async () => {
        const waiting = track(bus.wait('t', { afterSeq: 0, timeoutMs: 1_000 }));
        await clock.advance(999);
        await settle();
        expect(waiting.settled()).toBe(false);
        await clock.advance(1);
        expect(await waiting.promise).toEqual([]);
      });

      it('resolves with [] at once when timeoutMs is 0 and nothing is there', async () => {
        expect(await bus.wait('t', { afterSeq: 0, timeoutMs: 0 })).toEqual([]);
      });

      it('leaves nothing behind after a timeout: its timer is gone and later posts are read', async () => {
        const pendingBefore = clock.pending();
        const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: 100 });
        await settle();
        await clock.advance(100);
        expect(await waiting).toEqual([]);
        expect(clock.pending()).toBe(pendingBefore);
        await bus.post('t', { from: 'x', body: 'later' });
        expect(seqs(await bus.wait('t', { afterSeq: 0 }))).toEqual([1]);
      });

      it('rejects with ERR_ABORTED when its signal aborts', async () => {
        const controller = new AbortController();
        const waiting = bus.wait('t', { afterSeq: 0, signal: controller.signal });
        await settle();
        controller.abort();
        await expectCode(waiting, 'ERR_ABORTED');
      });

      it('rejects with ERR_ABORTED when the signal is already aborted', async () => {
        await expectCode(
          bus.wait('t', { afterSeq: 0, signal: AbortSignal.abort() }),
          'ERR_ABORTED',
        );
      });

      it('leaves nothing behind after an abort: its timer is cleared and others still wake', async () => {
        const pendingBefore = clock.pending();
        const controller = new AbortController();
        const aborted = bus.wait('t', {
          afterSeq: 0,
          timeoutMs: 10_000,
          signal: controller.signal,
        });
        const other = bus.wait('t', { afterSeq: 0 });
        await settle();
        controller.abort();
        await expectCode(aborted, 'ERR_ABORTED');
        expect(clock.pending()).toBe(pendingBefore);
        await bus.post('t', { from: 'x', body: 'for the other' });
        expect((await other).map((m) => m.body)).toEqual(['for the other']);
      });

      it('clears its timeout timer when woken by a post', async () => {
        const pendingBefore = clock.pending();
        const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: 10_000 });
        await settle();
        await bus.post('t', { from: 'x', body: 1 });
        expect(seqs(await waiting)).toEqual([1]);
        expect(clock.pending()).toBe(pendingBefore);
      });

      it('does not reject a woken waiter when its signal aborts afterwards', async () => {
        const controller = new AbortController();
        const waiting = bus.wait('t', { afterSeq: 0, signal: controller.signal });
        await settle();
        await bus.post('t', { from: 'x', body: 1 });
        const messages = await waiting;
        controller.abort();
        expect(seqs(messages)).toEqual([1]);
      });
    });

    describe('bad input', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const badPosts: [string, unknown, unknown][] = [
        ['an empty topic', '', { from: 'x', body: 1 }],
        ['a non-string topic', 5, { from: 'x', body: 1 }],
        ['no message', 't', undefined],
        ['an empty from', 't', { from: '', body: 1 }],
        ['a missing from', 't', { body: 1 }],
        ['a function body', 't', { from: 'x', body: () => 1 }],
        ['a NaN body', 't', { from: 'x', body: Number.NaN }],
        ['a cyclic body', 't', { from: 'x', body: cyclic }],
        ['a bigint in the body', 't', { from: 'x', body: { n: 1n } }],
      ];
      for (const [what, topic, message] of badPosts) {
        it(`refuses a post with ${what} (ERR_INVALID_ARGUMENT) and stores nothing`, async () => {
          await expectCode(bus.post(topic as string, message as never), 'ERR_INVALID_ARGUMENT');
          expect(await bus.read('t')).toEqual([]);
          expect(await bus.post('t', { from: 'x', body: 'ok' })).toEqual({ seq: 1 });
        });
      }

      const badReads: [string, unknown][] = [
        ['a negative afterSeq', { afterSeq: -1 }],
        ['a fractional afterSeq', { afterSeq: 0.5 }],
        ['a string afterSeq', { afterSeq: '0' }],
        ['a zero limit', { limit: 0 }],
        ['a negative limit', { limit: -3 }],
        ['a fractional limit', { limit: 1.5 }],
        ['non-object options', 'all'],
      ];
      for (const [what, options] of badReads) {
        it(`refuses read and wait with ${what}`, async () => {
          await expectCode(bus.read('t', options as never), 'ERR_INVALID_ARGUMENT');
          await expectCode(bus.wait('t', options as never), 'ERR_INVALID_ARGUMENT');
        });
      }

      it('refuses read and wait on an empty topic', async () => {
        await expectCode(bus.read(''), 'ERR_INVALID_ARGUMENT');
        await expectCode(bus.wait('', { afterSeq: 0 }), 'ERR_INVALID_ARGUMENT');
      });

      it('refuses a wait with a bad timeoutMs or signal and leaves no waiter or timer', async () => {
        const pendingBefore = clock.pending();
        const bad = [
          { timeoutMs: -1 },
          { timeoutMs: Number.NaN },
          { timeoutMs: Number.POSITIVE_INFINITY },
          { timeoutMs: '10' },
          { signal: {} },
          { signal: 'abort' },
        ];
        for (const options of bad)
          await expectCode(bus.wait('t', options as never), 'ERR_INVALID_ARGUMENT');
        expect(clock.pending()).toBe(pendingBefore);
      });
    });

    describe('close', () => {
      it('rejects later calls with ERR_CLOSED', async () => {
        await bus.close();
        await expectCode(bus.post('t', { from: 'x', body: 1 }), 'ERR_CLOSED');
        await expectCode(bus.read('t'), 'ERR_CLOSED');
        await expectCode(bus.wait('t', { afterSeq: 0 }), 'ERR_CLOSED');
      });

      it('rejects pending waiters with ERR_CLOSED and clears their timers', async () => {
        const pendingBefore = clock.pending();
        const waiting = bus.wait('t', { afterSeq: 0, timeoutMs: 10_000 });
        await settle();
        await bus.close();
        await expectCode(waiting, 'ERR_CLOSED');
        expect(clock.pending()).toBe(pendingBefore);
      });
    });
  });
}
