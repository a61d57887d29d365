import {
  createMemorySessionStore,
  createSessionLog,
  createSessionSaver,
  isTroupeError,
  type SessionLogEntry,
  type SessionStore,
  SimulatedClock,
  TroupeError,
} from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { codeOf } from './helpers/code-of.js';
import { instrumentedStore } from './session-helpers.js';

const line = (n: number, data: unknown = { n }): SessionLogEntry => ({
  sessionId: 's1',
  type: 'tick',
  at: n,
  data,
});

const cyclic = (): unknown => {
  const value: Record<string, unknown> = { a: 1 };
  value.self = value;
  return value;
};

describe('session log: non-JSON data is refused at append (issue 12, item 5)', () => {
  const bad: [string, unknown][] = [
    ['a BigInt', { n: 10n }],
    ['a cycle', cyclic()],
    ['a function', { run: () => 1 }],
    ['a symbol', [Symbol('x')]],
    ['nesting 4,175 levels deep', deep(4_175)],
  ];
  for (const [what, data] of bad) {
    it(`refuses ${what} with ERR_INVALID_ARGUMENT; the next 100 entries are written`, async () => {
      const clock = new SimulatedClock();
      const store = createMemorySessionStore();
      const log = createSessionLog({ store, clock });
      expect(codeOf(() => log.append(line(0, data)))).toBe('ERR_INVALID_ARGUMENT');
      expect(log.pending()).toBe(0);
      for (let i = 1; i <= 100; i++) log.append(line(i));
      await log.flush();
      await log.close();
      expect((await store.readLog()).length).toBe(100);
    });
  }

  it('keeps shared (non-cyclic) references and dates', () => {
    const clock = new SimulatedClock();
    const log = createSessionLog({ store: createMemorySessionStore(), clock });
    const shared = { x: 1 };
    expect(codeOf(() => log.append(line(1, { a: shared, b: [shared], when: new Date(0) })))).toBe(
      undefined,
    );
  });
});

describe('session log: one entry the store refuses never blocks the others', () => {
  it('writes the rest of the batch entry by entry and counts the refused one as dropped', async () => {
    const clock = new SimulatedClock();
    const inner = createMemorySessionStore();
    const { appendLogSync: _sync, ...asyncOnly } = inner;
    const store: SessionStore = {
      ...asyncOnly,
      appendLog: async (entries) => {
        if (entries.some((e) => e.type === 'poison')) {
          throw new TroupeError('ERR_INVALID_ARGUMENT', 'this store refuses poison');
        }
        await inner.appendLog(entries);
      },
      readLog: (q) => inner.readLog(q),
    };
    const errors: string[] = [];
    const log = createSessionLog({
      store,
      clock,
      onError: (error) => errors.push(isTroupeError(error) ? error.code : String(error)),
    });
    for (let i = 1; i <= 10; i++) log.append({ ...line(i), type: i === 4 ? 'poison' : 'tick' });
    await log.flush();
    for (let i = 11; i <= 20; i++) log.append(line(i));
    await log.close();
    const stored = (await inner.readLog()).map((e) => e.at);
    expect(stored).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(log.stats().dropped).toBe(1);
    expect(log.pending()).toBe(0);
    expect(errors).toEqual(['ERR_INVALID_ARGUMENT']);
  });
});

describe('session log backpressure (issue 12, item 15)', () => {
  it('never holds more than maxPending unwritten entries, however fast entries come', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const log = createSessionLog({ store, clock, flushIntervalMs: 100, maxPending: 500 });
    let most = 0;
    // 20,000 appends within one tick: far beyond what the interval alone could bound.
    for (let i = 1; i <= 20_000; i++) {
      log.append(line(i));
      most = Math.max(most, log.pending());
    }
    expect(most).toBeLessThanOrEqual(500);
    await log.close();
    expect((await store.readLog({ limit: 100_000 })).length).toBe(20_000);
  });

  it('does not retry the store on every append while it is failing', () => {
    const clock = new SimulatedClock();
    const down = (): never => {
      throw new TroupeError('ERR_BACKEND_UNAVAILABLE', 'disk I/O error');
    };
    const store: SessionStore = {
      ...createMemorySessionStore(),
      appendLog: async () => down(),
      appendLogSync: down,
    };
    let errors = 0;
    const log = createSessionLog({ store, clock, maxPending: 10, onError: () => errors++ });
    for (let i = 1; i <= 100; i++) log.append(line(i));
    expect(errors).toBe(1);
    expect(log.pending()).toBe(100);
  });

  it('starts the round at once when a full batch is buffered, without waiting for the interval', async () => {
    const clock = new SimulatedClock();
    const { store, inner } = instrumentedStore(clock);
    const log = createSessionLog({ store, clock, flushIntervalMs: 1_000, maxBatch: 50 });
    log.append(line(0));
    await clock.advance(0); // the first entry of an idle log goes at once
    for (let i = 1; i <= 50; i++) log.append(line(i));
    await clock.advance(0);
    expect((await inner.readLog({ limit: 1_000 })).length).toBe(51);
    expect(clock.now()).toBe(0);
    await log.close();
  });

  it('after a disk-full error, drains a backlog larger than the freed space as far as it fits', async () => {
    const clock = new SimulatedClock();
    const inner = createMemorySessionStore();
    let free = 0;
    const { appendLogSync: _sync, ...asyncOnly } = inner;
    const store: SessionStore = {
      ...asyncOnly,
      appendLog: async (entries) => {
        if (entries.length > free) {
          throw new TroupeError('ERR_BACKEND_UNAVAILABLE', 'SQLITE_FULL: database or disk is full');
        }
        free -= entries.length;
        await inner.appendLog(entries);
      },
      readLog: (q) => inner.readLog(q),
    };
    const log = createSessionLog({
      store,
      clock,
      maxBatch: 1_000,
      retry: { baseMs: 10, maxMs: 100, maxAttempts: 1_000 },
    });
    for (let i = 1; i <= 1_000; i++) log.append(line(i));
    await clock.advance(1_000);
    expect(log.stats().written).toBe(0);
    free = 300; // less than the backlog, and less than one batch
    await clock.advance(5_000);
    expect(log.stats().written).toBe(300);
    free = 10_000;
    await clock.advance(5_000);
    expect(log.stats().written).toBe(1_000);
    const stored = (await inner.readLog({ limit: 5_000 })).map((e) => e.at);
    expect(stored).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    await log.close();
  });
});

function deep(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe('strict options of the session log and saver (issue 12, item 17)', () => {
  it('refuses a misspelt option naming it, retry options included', () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    expect(() => createSessionLog({ store, clock, flushIntervalMS: 5 } as never)).toThrow(
      /options\.flushIntervalMS is not a session log option/,
    );
    expect(() => createSessionSaver({ store, clock, coalesceMS: 5 } as never)).toThrow(
      /options\.coalesceMS is not a session saver option/,
    );
    expect(() => createSessionLog({ store, clock, retry: { maxAttempt: 3 } } as never)).toThrow(
      /options\.retry\.maxAttempt/,
    );
  });
});
