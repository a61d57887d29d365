import {
  createSessionSaver,
  isTroupeError,
  SimulatedClock,
  type WriteErrorInfo,
} from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COALESCE_MS } from '../src/session/saver-types.js';
import { instrumentedStore, msg, snap } from './session-helpers.js';

const SLOW_MS = 300;

describe('createSessionSaver', () => {
  it('returns from schedule without touching the store', () => {
    const clock = new SimulatedClock();
    const { store, calls } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock });
    saver.schedule(snap(1), { fromIndex: 0, messages: [msg('a')] });
    expect(calls.snapshots + calls.history).toBe(0);
  });

  it('writes a scheduled save once the coalescing window (default 100 ms) has passed', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock });
    saver.schedule(snap(1), { fromIndex: 0, messages: [msg('a')] });
    await clock.advance(DEFAULT_COALESCE_MS - 1);
    expect(await inner.loadSnapshot('s1')).toBeUndefined();
    await clock.advance(1);
    expect(await inner.loadSnapshot('s1')).toEqual(snap(1));
    expect(await inner.loadHistory('s1')).toEqual([msg('a')]);
  });

  it('writes the saves of all sessions due in one window together, windows coalesceMs apart', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const writtenAt = new Map<string, number[]>();
    const watched = {
      ...store,
      saveSnapshot: async (snapshot: Parameters<typeof store.saveSnapshot>[0]) => {
        writtenAt.set(snapshot.sessionId, [
          ...(writtenAt.get(snapshot.sessionId) ?? []),
          clock.now(),
        ]);
        await store.saveSnapshot(snapshot);
      },
    };
    const shared = createSessionSaver({ store: watched, clock, coalesceMs: 100 });
    shared.schedule(snap(1, {}, 'a'));
    await clock.advance(60);
    shared.schedule(snap(1, {}, 'b')); // joins the window that ends at 100
    await clock.advance(40);
    expect(writtenAt).toEqual(
      new Map([
        ['a', [100]],
        ['b', [100]],
      ]),
    );
    await clock.advance(10);
    shared.schedule(snap(2, {}, 'a')); // a new window: 110 + 100
    await clock.advance(99);
    expect(writtenAt.get('a')).toEqual([100]);
    await clock.advance(1);
    expect(writtenAt.get('a')).toEqual([100, 210]);
    expect((await inner.loadSnapshot('a'))?.revision).toBe(2);
    await shared.close();
  });

  it('with coalesceMs 0 writes on the next clock tick', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock, coalesceMs: 0 });
    saver.schedule(snap(1));
    await clock.advance(0);
    expect(await inner.loadSnapshot('s1')).toEqual(snap(1));
  });

  it('coalesces 10 saves 1 ms apart into one write even on an instant store', async () => {
    const clock = new SimulatedClock();
    const { store, calls } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock });
    for (let revision = 1; revision <= 10; revision++) {
      saver.schedule(snap(revision));
      await clock.advance(1);
    }
    await clock.runUntilIdle();
    expect(calls.snapshots).toBe(1);
  });

  it('does not slow the caller when every write takes 300 ms', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock, SLOW_MS);
    const saver = createSessionSaver({ store, clock, coalesceMs: 0 });
    // Ten "turns" of 10 ms each, saving after every one.
    for (let turn = 1; turn <= 10; turn++) {
      saver.schedule(snap(turn), { fromIndex: turn - 1, messages: [msg(`m${turn}`)] });
      await clock.advance(10);
    }
    expect(clock.now()).toBe(100);
    await clock.runUntilIdle();
    expect((await inner.loadSnapshot('s1'))?.revision).toBe(10);
    expect(await inner.loadHistory('s1')).toHaveLength(10);
  });

  it('coalesces 10 rapid saves of one session into at most 2 snapshot writes', async () => {
    const clock = new SimulatedClock();
    const { store, calls, inner } = instrumentedStore(clock, SLOW_MS);
    const saver = createSessionSaver({ store, clock, coalesceMs: 0 });
    for (let revision = 1; revision <= 10; revision++) {
      saver.schedule(snap(revision));
      await clock.advance(1);
    }
    const flushed = saver.flush();
    await clock.runUntilIdle();
    await flushed;
    expect(calls.snapshots).toBeLessThanOrEqual(2);
    expect((await inner.loadSnapshot('s1'))?.revision).toBe(10);
  });

  it('keeps at most one write in flight per session', async () => {
    const clock = new SimulatedClock();
    const { store, calls } = instrumentedStore(clock, SLOW_MS);
    const saver = createSessionSaver({ store, clock, coalesceMs: 0 });
    for (let revision = 1; revision <= 20; revision++) {
      saver.schedule(snap(revision), { fromIndex: revision - 1, messages: [msg(`m${revision}`)] });
      await clock.advance(50);
    }
    await clock.runUntilIdle();
    expect(calls.maxInFlight).toBe(1);
  });

  it('writes different sessions concurrently', async () => {
    const clock = new SimulatedClock();
    const { store, calls } = instrumentedStore(clock, SLOW_MS);
    const saver = createSessionSaver({ store, clock, coalesceMs: 0 });
    saver.schedule(snap(1, {}, 'a'));
    saver.schedule(snap(1, {}, 'b'));
    await clock.advance(1);
    expect(calls.inFlight).toBe(2);
    await clock.runUntilIdle();
  });

  it('never lets an older snapshot replace a newer one', async () => {
    const clock = new SimulatedClock();
    const { store, inner, calls } = instrumentedStore(clock, SLOW_MS);
    const saver = createSessionSaver({ store, clock, coalesceMs: 0 });
    saver.schedule(snap(5));
    await clock.advance(1); // revision 5 is in flight
    saver.schedule(snap(3)); // late and older
    saver.schedule(snap(4));
    await clock.runUntilIdle();
    expect((await inner.loadSnapshot('s1'))?.revision).toBe(5);
    expect(calls.snapshots).toBe(1);
    expect(saver.stats().stale).toBe(2);
  });

  it('resolves save() only once the latest snapshot scheduled before it is durable', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock, SLOW_MS);
    const saver = createSessionSaver({ store, clock, coalesceMs: 0 });
    saver.schedule(snap(1));
    await clock.advance(1); // revision 1 went out at t=0 and is in flight until t=300
    saver.schedule(snap(2));
    let durableAt: number | undefined;
    let revisionThen: number | undefined;
    const saved = saver.save('s1').then(async () => {
      durableAt = clock.now();
      revisionThen = (await inner.loadSnapshot('s1'))?.revision;
    });
    await clock.advance(SLOW_MS);
    expect(durableAt).toBeUndefined(); // revision 1 is durable, 2 is not yet
    await clock.runUntilIdle();
    await saved;
    expect(revisionThen).toBe(2);
    expect(durableAt).toBe(2 * SLOW_MS);
  });

  it('starts an explicit save at once, without waiting for the coalescing delay', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock, coalesceMs: 1_000 });
    saver.schedule(snap(1));
    await saver.save('s1');
    expect(clock.now()).toBe(0);
    expect((await inner.loadSnapshot('s1'))?.revision).toBe(1);
  });

  it('resolves save() at once for a session with nothing queued', async () => {
    const clock = new SimulatedClock();
    const { store, calls } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock });
    let resolved = false;
    void saver.save('never-scheduled').then(() => {
      resolved = true;
    });
    // One macrotask turn, the simulated clock never moved: nothing to wait for, nothing written.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(resolved).toBe(true);
    expect(clock.now()).toBe(0);
    expect(clock.pending()).toBe(0);
    expect(calls.snapshots + calls.history).toBe(0);
  });

  it('loses no history when snapshots coalesce', async () => {
    const clock = new SimulatedClock();
    const { store, inner, calls } = instrumentedStore(clock, SLOW_MS);
    const saver = createSessionSaver({ store, clock });
    for (let i = 0; i < 10; i++) {
      saver.schedule(snap(i + 1), { fromIndex: i, messages: [msg(`m${i}`)] });
    }
    const flushed = saver.flush();
    await clock.runUntilIdle();
    await flushed;
    expect((await inner.loadHistory('s1')).map((m) => m.content)).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    expect(calls.history).toBe(1); // ten ranges merged into one append
  });

  it('merges history ranges that arrive out of order or overlapping', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock });
    saver.schedule(snap(1), { fromIndex: 2, messages: [msg('c'), msg('d')] });
    saver.schedule(snap(2), { fromIndex: 0, messages: [msg('a'), msg('b'), msg('c')] });
    saver.schedule(snap(3), { fromIndex: 3, messages: [msg('d'), msg('e')] });
    await saver.flush();
    expect((await inner.loadHistory('s1')).map((m) => m.content)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });

  it('writes history before the snapshot that covers it', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock, SLOW_MS);
    const saver = createSessionSaver({ store, clock, coalesceMs: 0 });
    saver.schedule(snap(1), { fromIndex: 0, messages: [msg('a')] });
    await clock.advance(SLOW_MS + 1); // the history append has finished, the snapshot is in flight
    expect(await inner.loadHistory('s1')).toHaveLength(1);
    expect(await inner.loadSnapshot('s1')).toBeUndefined();
    await clock.runUntilIdle();
  });

  it('copies the history array: later pushes by the caller are not written', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock });
    const messages = [msg('a')];
    saver.schedule(snap(1), { fromIndex: 0, messages });
    messages.push(msg('b'));
    await saver.flush();
    expect(await inner.loadHistory('s1')).toEqual([msg('a')]);
  });

  it('never writes secrets from the context', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock });
    const context = {
      repo: 'troupe',
      github: { access_token: 'ghp_secret', user: 'ann' },
      OPENAI_API_KEY: 'sk',
    };
    saver.schedule(snap(1, context));
    await saver.flush();
    expect((await inner.loadSnapshot('s1'))?.context).toEqual({
      repo: 'troupe',
      github: { user: 'ann' },
    });
    expect(context.github.access_token).toBe('ghp_secret'); // the agent's own context is untouched
  });

  it('retries a failing store with backoff on the clock and reports each error', async () => {
    const clock = new SimulatedClock();
    const { store, inner, failNext } = instrumentedStore(clock);
    const errors: WriteErrorInfo[] = [];
    const saver = createSessionSaver({
      store,
      clock,
      coalesceMs: 0,
      retry: { baseMs: 100, maxMs: 1_000 },
      onError: (_error, info) => errors.push(info),
    });
    failNext(2);
    saver.schedule(snap(1), { fromIndex: 0, messages: [msg('a')] });
    await clock.advance(0);
    expect(errors).toHaveLength(1);
    await clock.advance(99);
    expect(errors).toHaveLength(1); // still backing off
    await clock.advance(1);
    expect(errors).toHaveLength(2);
    await clock.advance(200);
    expect(errors.map((e) => [e.attempt, e.willRetry])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(await inner.loadHistory('s1')).toEqual([msg('a')]);
    expect((await inner.loadSnapshot('s1'))?.revision).toBe(1);
  });

  it('never throws store errors at the caller of schedule', async () => {
    const clock = new SimulatedClock();
    const { store, failNext } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock, coalesceMs: 0, retry: { maxAttempts: 1 } });
    failNext(100);
    expect(() => saver.schedule(snap(1))).not.toThrow();
    await clock.runUntilIdle();
    expect(saver.stats().errors).toBe(1);
  });

  it('rejects save() after giving up, keeps the data queued, and writes it on the next save', async () => {
    const clock = new SimulatedClock();
    const { store, inner, failNext } = instrumentedStore(clock);
    const saver = createSessionSaver({ store, clock, retry: { baseMs: 10, maxAttempts: 3 } });
    failNext(3);
    saver.schedule(snap(1), { fromIndex: 0, messages: [msg('a')] });
    const saved = saver.save('s1').then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await clock.runUntilIdle();
    const outcome = await saved;
    expect(isTroupeError(outcome, 'ERR_BACKEND_UNAVAILABLE')).toBe(true);
    await saver.save('s1');
    expect(await inner.loadHistory('s1')).toEqual([msg('a')]);
    expect((await inner.loadSnapshot('s1'))?.revision).toBe(1);
  });

  it('flush() makes every session durable and close() refuses later schedules', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock, SLOW_MS);
    const errors: unknown[] = [];
    const saver = createSessionSaver({ store, clock, onError: (error) => errors.push(error) });
    saver.schedule(snap(1, {}, 'a'));
    saver.schedule(snap(1, {}, 'b'));
    const closed = saver.close();
    await clock.runUntilIdle();
    await closed;
    expect(await inner.listSessions()).toEqual(['a', 'b']);
    saver.schedule(snap(2, {}, 'a'));
    expect(isTroupeError(errors[0], 'ERR_CLOSED')).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it('rejects bad options and bad snapshots with ERR_INVALID_ARGUMENT naming the field', () => {
    const clock = new SimulatedClock();
    const { store } = instrumentedStore(clock);
    const thrown = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const bad = thrown(() => createSessionSaver({ store, clock, coalesceMs: -1 }));
    expect(isTroupeError(bad, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((bad as Error).message).toContain('coalesceMs');
    expect(
      (thrown(() => createSessionSaver({ store, clock, retry: { maxAttempts: 0 } })) as Error)
        .message,
    ).toContain('maxAttempts');
    const saver = createSessionSaver({ store, clock });
    const badSnapshot = thrown(() => saver.schedule({ ...snap(1), sessionId: '' }));
    expect((badSnapshot as Error).message).toContain('snapshot.sessionId');
    const badRange = thrown(() => saver.schedule(snap(1), { fromIndex: -1, messages: [] }));
    expect((badRange as Error).message).toContain('history.fromIndex');
    expect(saver.stats().scheduled).toBe(0);
  });
});
