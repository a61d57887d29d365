import { EventEmitter } from 'node:events';
import {
  createMemorySessionStore,
  createSessionLog,
  type ExitProcess,
  flushOnExit,
  isTroupeError,
  type SerializedLogEntry,
  type SessionLogEntry,
  type SessionStore,
  SimulatedClock,
  type WriteErrorInfo,
} from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { instrumentedStore } from './session-helpers.js';

const SLOW_MS = 300;
const line = (n: number, data: unknown = { n }): SessionLogEntry => ({
  sessionId: 's1',
  type: 'tick',
  at: n,
  data,
});

describe('createSessionLog', () => {
  it('hands a store with appendLogJson each entry serialized at append, secrets removed', async () => {
    const clock = new SimulatedClock();
    const inner = createMemorySessionStore();
    const received: SerializedLogEntry[][] = [];
    const store: SessionStore = {
      ...inner,
      appendLog: () => Promise.reject(new Error('appendLog must not be called')),
      appendLogJson: async (entries) => {
        received.push([...entries]);
      },
    };
    const log = createSessionLog({ store, clock });
    const data = { n: 1, apiKey: 'sk-live-0123456789abcdefghij', nested: { ok: true } };
    log.append(line(1, data));
    data.n = 2; // after append: what was appended is what is written
    log.append({ sessionId: 's1', type: 'tick', at: 2, data: undefined });
    await log.flush();
    expect(
      received.flat().map(({ sessionId, type, at, json }) => ({ sessionId, type, at, json })),
    ).toEqual([
      { sessionId: 's1', type: 'tick', at: 1, json: '{"n":1,"nested":{"ok":true}}' },
      { sessionId: 's1', type: 'tick', at: 2, json: 'null' },
    ]);
    await log.close();
  });

  it('buffers appends without touching the store', () => {
    const clock = new SimulatedClock();
    const { store, calls } = instrumentedStore(clock);
    const log = createSessionLog({ store, clock });
    for (let i = 1; i <= 5; i++) log.append(line(i));
    expect(calls.log).toBe(0);
    expect(log.pending()).toBe(5);
  });

  it('writes at most once per flushIntervalMs, each batch one appendLog call', async () => {
    const clock = new SimulatedClock();
    const { store, calls, inner } = instrumentedStore(clock);
    const log = createSessionLog({ store, clock, flushIntervalMs: 500 });
    // One entry every 10 ms for 2 s: 200 entries.
    for (let i = 1; i <= 200; i++) {
      log.append(line(i));
      await clock.advance(10);
    }
    await clock.runUntilIdle();
    expect(calls.log).toBeLessThanOrEqual(2_000 / 500 + 1);
    expect((await inner.readLog()).map((l) => l.at)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  });

  it('writes the first entry of an idle log at once and later ones after the interval', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const log = createSessionLog({ store, clock, flushIntervalMs: 500 });
    log.append(line(1));
    await clock.advance(0);
    expect(await inner.readLog()).toHaveLength(1);
    log.append(line(2));
    await clock.advance(499);
    expect(await inner.readLog()).toHaveLength(1);
    await clock.advance(1);
    expect(await inner.readLog()).toHaveLength(2);
  });

  it('never has two batches in flight, even when the store is slower than the interval', async () => {
    const clock = new SimulatedClock();
    const { store, calls, inner } = instrumentedStore(clock, SLOW_MS);
    const log = createSessionLog({ store, clock, flushIntervalMs: 100 });
    for (let i = 1; i <= 100; i++) {
      log.append(line(i));
      await clock.advance(7);
    }
    await clock.runUntilIdle();
    expect(calls.maxInFlight).toBe(1);
    expect((await inner.readLog()).map((l) => l.at)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  });

  it('does not slow the caller of append when every write takes 300 ms', async () => {
    const clock = new SimulatedClock();
    const { store } = instrumentedStore(clock, SLOW_MS);
    const log = createSessionLog({ store, clock, flushIntervalMs: 50 });
    for (let i = 1; i <= 10; i++) {
      log.append(line(i));
      await clock.advance(10);
    }
    expect(clock.now()).toBe(100);
    await clock.runUntilIdle();
  });

  it('splits a large backlog into transactions of at most maxBatch entries, in order', async () => {
    const clock = new SimulatedClock();
    const { store, calls, inner } = instrumentedStore(clock);
    const log = createSessionLog({ store, clock, maxBatch: 100 });
    for (let i = 1; i <= 250; i++) log.append(line(i));
    await clock.runUntilIdle();
    expect(calls.log).toBe(3);
    expect((await inner.readLog()).map((l) => l.at)).toEqual(
      Array.from({ length: 250 }, (_, i) => i + 1),
    );
  });

  it('flush() writes now and resolves once every earlier entry is durable', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const log = createSessionLog({ store, clock, flushIntervalMs: 10_000 });
    log.append(line(1));
    await clock.advance(0);
    log.append(line(2));
    log.append(line(3));
    await log.flush();
    expect(clock.now()).toBe(0);
    expect(await inner.readLog()).toHaveLength(3);
    expect(log.pending()).toBe(0);
  });

  it('flush() during a slow write waits for it, then writes the rest', async () => {
    const clock = new SimulatedClock();
    const { store, inner, calls } = instrumentedStore(clock, SLOW_MS);
    const log = createSessionLog({ store, clock, flushIntervalMs: 10_000 });
    log.append(line(1));
    await clock.advance(1); // batch [1] in flight
    log.append(line(2));
    let done = false;
    const flushed = log.flush().then(() => {
      done = true;
    });
    await clock.advance(SLOW_MS);
    expect(done).toBe(false);
    await clock.runUntilIdle();
    await flushed;
    expect(calls.maxInFlight).toBe(1);
    expect(await inner.readLog()).toHaveLength(2);
  });

  it('retries a failed batch with backoff, keeping order, and reports each error', async () => {
    const clock = new SimulatedClock();
    const { store, inner, failNext } = instrumentedStore(clock);
    const errors: WriteErrorInfo[] = [];
    const log = createSessionLog({
      store,
      clock,
      flushIntervalMs: 100,
      retry: { baseMs: 50 },
      onError: (_error, info) => errors.push(info),
    });
    failNext(2);
    log.append(line(1));
    log.append(line(2));
    await clock.advance(0);
    log.append(line(3));
    await clock.runUntilIdle();
    expect(errors.map((e) => [e.operation, e.attempt, e.willRetry])).toEqual([
      ['log', 1, true],
      ['log', 2, true],
    ]);
    expect((await inner.readLog()).map((l) => l.at)).toEqual([1, 2, 3]);
  });

  it('rejects flush() after giving up and keeps the entries for the next flush', async () => {
    const clock = new SimulatedClock();
    const { store, inner, failNext } = instrumentedStore(clock);
    const log = createSessionLog({ store, clock, retry: { baseMs: 10, maxAttempts: 2 } });
    failNext(2);
    log.append(line(1));
    const outcome = log.flush().then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await clock.runUntilIdle();
    expect(isTroupeError(await outcome, 'ERR_BACKEND_UNAVAILABLE')).toBe(true);
    expect(log.pending()).toBe(1);
    await log.flush();
    expect(await inner.readLog()).toHaveLength(1);
  });

  it('removes secrets from entry data', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const log = createSessionLog({ store, clock });
    log.append(
      line(1, { tool: 'fetch', args: { url: 'x', headers: { Authorization: 'Bearer t' } } }),
    );
    await log.flush();
    expect((await inner.readLog())[0]?.data).toEqual({
      tool: 'fetch',
      args: { url: 'x', headers: {} },
    });
  });

  it('flushSync() writes everything before returning when the store offers appendLogSync', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const log = createSessionLog({ store, clock, maxBatch: 2 });
    for (let i = 1; i <= 5; i++) log.append(line(i));
    expect(log.flushSync()).toBe(true);
    expect((await store.readLog()).map((l) => l.at)).toEqual([1, 2, 3, 4, 5]);
    expect(log.pending()).toBe(0);
  });

  it('flushSync() takes over a round paused between transactions without duplicates', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const log = createSessionLog({ store, clock, maxBatch: 2 });
    for (let i = 1; i <= 5; i++) log.append(line(i));
    await clock.advance(0); // the first transaction is written, the round yields
    log.append(line(6));
    expect(log.flushSync()).toBe(true);
    await clock.runUntilIdle();
    expect((await store.readLog()).map((l) => l.at)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('flushSync() returns false for a store without appendLogSync', () => {
    const clock = new SimulatedClock();
    const log = createSessionLog({ store: instrumentedStore(clock).store, clock });
    log.append(line(1));
    expect(log.flushSync()).toBe(false);
    expect(log.pending()).toBe(1);
  });

  it('close() flushes and drops later appends with an ERR_CLOSED report', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const errors: unknown[] = [];
    const log = createSessionLog({ store, clock, onError: (error) => errors.push(error) });
    log.append(line(1));
    await log.close();
    log.append(line(2));
    expect(await inner.readLog()).toHaveLength(1);
    expect(isTroupeError(errors[0], 'ERR_CLOSED')).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it('rejects bad options and entries with ERR_INVALID_ARGUMENT naming the field', () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    expect(() => createSessionLog({ store, clock, flushIntervalMs: -5 })).toThrow(
      /flushIntervalMs/,
    );
    expect(() => createSessionLog({ store, clock, maxBatch: 0 })).toThrow(/maxBatch/);
    const log = createSessionLog({ store, clock });
    expect(() => log.append({ sessionId: 's1', type: '', at: 0, data: null })).toThrow(
      /entry\.type/,
    );
    expect(log.pending()).toBe(0);
  });
});

class FakeProcess extends EventEmitter implements ExitProcess {
  exitCode: number | undefined;
  exit(code?: number): void {
    this.exitCode = code;
  }
}

describe('flushOnExit', () => {
  it('on SIGTERM flushes synchronously, then exits with 143', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const log = createSessionLog({ store, clock });
    const proc = new FakeProcess();
    flushOnExit(log, { process: proc });
    log.append(line(1));
    proc.emit('SIGTERM');
    expect(proc.exitCode).toBe(143);
    expect(await store.readLog()).toHaveLength(1);
  });

  it('on SIGINT exits with 130 after an async flush for a store without appendLogSync', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock, SLOW_MS);
    const log = createSessionLog({ store, clock });
    const proc = new FakeProcess();
    flushOnExit(log, { process: proc, clock });
    log.append(line(1));
    proc.emit('SIGINT');
    expect(proc.exitCode).toBeUndefined();
    await clock.advance(SLOW_MS);
    await Promise.resolve();
    expect(proc.exitCode).toBe(130);
    expect(await inner.readLog()).toHaveLength(1);
  });

  it('exits after timeoutMs when the async flush hangs', async () => {
    const clock = new SimulatedClock();
    const { store } = instrumentedStore(clock, 60_000);
    const log = createSessionLog({ store, clock });
    const proc = new FakeProcess();
    flushOnExit(log, { process: proc, clock, timeoutMs: 1_000 });
    log.append(line(1));
    proc.emit('SIGTERM');
    await clock.advance(1_000);
    expect(proc.exitCode).toBe(143);
  });

  it('flushes pending entries on beforeExit and synchronously on exit', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const log = createSessionLog({ store, clock, flushIntervalMs: 10_000 });
    const proc = new FakeProcess();
    flushOnExit(log, { process: proc });
    log.append(line(1));
    await clock.advance(0);
    log.append(line(2));
    proc.emit('beforeExit');
    await Promise.resolve();
    expect(await store.readLog()).toHaveLength(2);
    log.append(line(3));
    proc.emit('exit', 0);
    expect(await store.readLog()).toHaveLength(3);
  });

  it('removes its handlers when stopped', () => {
    const clock = new SimulatedClock();
    const log = createSessionLog({ store: createMemorySessionStore(), clock });
    const proc = new FakeProcess();
    const stop = flushOnExit([log], { process: proc });
    expect(proc.listenerCount('SIGTERM')).toBe(1);
    stop();
    for (const event of ['SIGINT', 'SIGTERM', 'beforeExit', 'exit'])
      expect(proc.listenerCount(event)).toBe(0);
  });
});
