import {
  type ChatMessage,
  createMemorySessionStore,
  createSessionLog,
  createSessionSaver,
  type SessionStore,
  SimulatedClock,
  TroupeError,
} from '@troupe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instrumentedStore, snap } from './session-helpers.js';

const SESSIONS = ['a', 'b', 'c'] as const;
const message = (session: string, i: number): ChatMessage => ({
  role: 'user',
  content: `${session}:${i}`,
});

type Op =
  | { kind: 'schedule'; session: number; revision: number; add: number; replay: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'fail'; writes: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('schedule' as const),
    session: fc.nat({ max: SESSIONS.length - 1 }),
    revision: fc.integer({ min: 1, max: 40 }),
    add: fc.nat({ max: 3 }),
    replay: fc.nat({ max: 2 }),
  }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.nat({ max: 400 }) }),
  fc.record({ kind: fc.constant('fail' as const), writes: fc.nat({ max: 3 }) }),
);

/** A memory store whose writes take `delayMs`, fail on demand, and track writes in flight per session. */
function store(clock: SimulatedClock, delayMs: number) {
  const inner = createMemorySessionStore();
  const inFlight = new Map<string, number>();
  let maxPerSession = 0;
  let failures = 0;
  const write = async (sessionId: string, work: () => Promise<void>) => {
    const now = (inFlight.get(sessionId) ?? 0) + 1;
    inFlight.set(sessionId, now);
    maxPerSession = Math.max(maxPerSession, now);
    try {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delayMs));
      if (failures > 0) {
        failures--;
        throw new TroupeError('ERR_BACKEND_UNAVAILABLE', 'down');
      }
      await work();
    } finally {
      inFlight.set(sessionId, (inFlight.get(sessionId) ?? 1) - 1);
    }
  };
  const wrapped: SessionStore = {
    ...inner,
    saveSnapshot: (s) => write(s.sessionId, () => inner.saveSnapshot(s)),
    appendHistory: (id, from, messages) => write(id, () => inner.appendHistory(id, from, messages)),
  };
  return {
    store: wrapped,
    inner,
    maxPerSession: () => maxPerSession,
    fail: (n: number) => {
      failures += n;
    },
  };
}

describe('createSessionSaver (property)', () => {
  it('ends with the newest snapshot and every history message, one write in flight per session', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 40 }),
        fc.nat({ max: 300 }),
        async (ops, delayMs) => {
          const clock = new SimulatedClock();
          const s = store(clock, delayMs);
          const saver = createSessionSaver({
            store: s.store,
            clock,
            retry: { baseMs: 10, maxAttempts: 1_000 },
          });
          const length = SESSIONS.map(() => 0);
          const newest = SESSIONS.map(() => 0);
          for (const o of ops) {
            if (o.kind === 'advance') await clock.advance(o.ms);
            else if (o.kind === 'fail') s.fail(o.writes);
            else {
              const id = SESSIONS[o.session]!;
              // Some already-sent messages again (a replayed range), then `add` new ones.
              const from = Math.max(0, length[o.session]! - o.replay);
              const to = length[o.session]! + o.add;
              const messages = [];
              for (let i = from; i < to; i++) messages.push(message(id, i));
              saver.schedule(snap(o.revision, { r: o.revision }, id), {
                fromIndex: from,
                messages,
              });
              length[o.session] = to;
              newest[o.session] = Math.max(newest[o.session]!, o.revision);
            }
          }
          const flushed = saver.flush();
          await clock.runUntilIdle();
          await flushed;
          for (const [i, id] of SESSIONS.entries()) {
            const history = await s.inner.loadHistory(id);
            expect(history).toEqual(Array.from({ length: length[i]! }, (_, n) => message(id, n)));
            expect((await s.inner.loadSnapshot(id))?.revision).toBe(
              newest[i] === 0 ? undefined : newest[i],
            );
          }
          expect(s.maxPerSession()).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('createSessionLog (property)', () => {
  it('writes every entry once, in order, one batch at a time, whatever the failures and delays', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.nat({ max: 700 }) }),
      fc.record({ kind: fc.constant('fail' as const), writes: fc.nat({ max: 3 }) }),
      fc.record({ kind: fc.constant('flush' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 30 }),
        fc.nat({ max: 300 }),
        fc.integer({ min: 1, max: 50 }),
        async (steps, delayMs, maxBatch) => {
          const clock = new SimulatedClock();
          const s = instrumentedStore(clock, delayMs);
          const log = createSessionLog({
            store: s.store,
            clock,
            maxBatch,
            retry: { baseMs: 10, maxAttempts: 1_000 },
          });
          let n = 0;
          const flushes: Promise<void>[] = [];
          for (const st of steps) {
            if (st.kind === 'append') {
              for (let i = 0; i < st.count; i++)
                log.append({ sessionId: `s${n % 3}`, type: 't', at: n++, data: null });
            } else if (st.kind === 'advance') await clock.advance(st.ms);
            else if (st.kind === 'fail') s.failNext(st.writes);
            else flushes.push(log.flush());
          }
          const closed = log.close();
          await clock.runUntilIdle();
          await closed;
          await Promise.all(flushes);
          const lines = await s.inner.readLog();
          expect(lines.map((l) => l.at)).toEqual(Array.from({ length: n }, (_, i) => i));
          expect(s.calls.maxInFlight).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 100 },
    );
  });
});
