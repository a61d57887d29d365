import {
  type Claim,
  type Clock,
  createSharedState,
  SimulatedClock,
  type TimerHandle,
} from '@troupe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeOf } from './helpers/code-of.js';

/** A clock whose timers fire only when the test says so: "however late its timer fires". */
class ManualClock implements Clock {
  time = 0;
  readonly timers = new Map<object, () => void>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void): TimerHandle {
    const handle = {};
    this.timers.set(handle, fn);
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle);
  }
  /** Fires every timer set so far, whatever its due time (early or late). */
  fireAll(): void {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const fn of due) fn();
  }
}

describe('createSharedState (memory)', () => {
  it('refuses bad options with ERR_INVALID_ARGUMENT naming the option', () => {
    const clock = new SimulatedClock();
    expect(codeOf(() => createSharedState(undefined as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => createSharedState({} as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => createSharedState({ clock: { now: () => 0 } } as never))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    for (const defaultTtlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      expect(codeOf(() => createSharedState({ clock, defaultTtlMs } as never))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
    try {
      createSharedState({ clock, defaultTtlMs: -1 });
    } catch (error) {
      expect((error as Error).message).toContain('options.defaultTtlMs');
    }
  });

  it('keeps its methods on the state itself: a wrapper may spread it or take a method off it', () => {
    const state = createSharedState({ clock: new SimulatedClock() });
    const { claim } = state;
    const wrapped = { ...state };
    expect(claim({ agent: 'a', resource: 'r' }).ok).toBe(true);
    expect(wrapped.claims().map((c) => c.agent)).toEqual(['a']);
  });

  it('defaults the claim TTL to 5 minutes', async () => {
    const state = createSharedState({ clock: new SimulatedClock() });
    const result = await state.claim({ agent: 'a', resource: 'f' });
    expect(result.ok && result.claim.expiresAt).toBe(300_000);
  });

  it('answers every call at once with a value, not a promise', () => {
    const state = createSharedState({ clock: new SimulatedClock() });
    const claim = { agent: 'a', resource: 'f', start: 0, end: 9, token: 1, grantedAt: 0 };
    const granted = state.claim({ agent: 'a', resource: 'f', start: 0, end: 9 });
    const refused = state.claim({ agent: 'b', resource: 'f', start: 5, end: 5 });
    const renewed = state.renew('a', 'f', 1_000);
    const listed = state.claims();
    const released = state.release('a', 'f');
    const found = state.discover({ agent: 'a', topic: 't', content: 1 });
    const all = state.discoveries();
    expect(granted).toEqual({ ok: true, claim: { ...claim, expiresAt: 300_000 } });
    expect(refused).toEqual({ ok: false, conflict: { ...claim, expiresAt: 300_000 } });
    expect(renewed).toEqual({ ...claim, expiresAt: 1_000 });
    expect(listed).toEqual([{ ...claim, expiresAt: 1_000 }]);
    expect(released).toBe(true);
    expect(found).toEqual({ seq: 1, agent: 'a', topic: 't', content: 1, at: 0 });
    expect(all).toEqual([found]);
  });

  it('throws bad input and calls after close synchronously, as TroupeErrors', async () => {
    const state = createSharedState({ clock: new SimulatedClock() });
    expect(codeOf(() => state.claim({ agent: '', resource: 'f' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => state.release('a', ''))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => state.discoveries({ limit: 0 }))).toBe('ERR_INVALID_ARGUMENT');
    await state.close();
    expect(codeOf(() => state.claim({ agent: 'a', resource: 'f' }))).toBe('ERR_CLOSED');
    expect(codeOf(() => state.claims())).toBe('ERR_CLOSED');
  });

  it('hands out claims as fresh copies: changing one changes neither the store nor later results', () => {
    const state = createSharedState({ clock: new SimulatedClock() });
    const granted = state.claim({ agent: 'a', resource: 'f', start: 0, end: 9 });
    if (!granted.ok) throw new Error('expected a grant');
    (granted.claim as { end: number }).end = 1;
    const conflict = state.claim({ agent: 'b', resource: 'f', start: 5, end: 5 });
    expect(conflict.ok ? undefined : conflict.conflict.end).toBe(9);
    if (!conflict.ok) (conflict.conflict as { agent: string }).agent = 'z';
    const [listed] = state.claims();
    expect(listed).toEqual({ ...granted.claim, end: 9 });
    (listed as { expiresAt: number }).expiresAt = 0;
    expect(state.claims({ agent: 'a', resource: 'f' })[0]?.expiresAt).toBe(300_000);
    expect(state.renew('a', 'f')).toEqual({ ...granted.claim, end: 9 });
  });

  it('returns deeply frozen discoveries', () => {
    const state = createSharedState({ clock: new SimulatedClock() });
    const discovery = state.discover({ agent: 'a', topic: 't', content: { nested: [1] } });
    expect(Object.isFrozen(discovery)).toBe(true);
    expect(Object.isFrozen((discovery.content as { nested: number[] }).nested)).toBe(true);
  });

  it('stores a __proto__ key in content as data, never as a prototype', async () => {
    const state = createSharedState({ clock: new SimulatedClock() });
    const d = await state.discover({
      agent: 'a',
      topic: 't',
      content: JSON.parse('{"__proto__":{"x":1}}'),
    });
    const content = d.content as Record<string, unknown>;
    expect(Object.getPrototypeOf(content)).toBe(Object.prototype);
    expect(Object.hasOwn(content, '__proto__')).toBe(true);
    expect((content as { x?: number }).x).toBeUndefined();
  });

  it('drops object properties whose value is undefined, as JSON does', async () => {
    const state = createSharedState({ clock: new SimulatedClock() });
    const d = await state.discover({
      agent: 'a',
      topic: 't',
      content: { kept: 1, gone: undefined },
    });
    expect(Object.keys(d.content as object)).toEqual(['kept']);
  });

  describe('expiry whatever the timers do', () => {
    it('sweeps a claim filed into a time slot whose timer already fired early', () => {
      const clock = new ManualClock();
      const state = createSharedState({ clock });
      state.claim({ agent: 'a', resource: 'f', ttlMs: 100 }); // expires at 100: slot 1,000
      clock.time = 50;
      clock.fireAll(); // the slot's timer fires early: a is re-filed under a new timer
      state.claim({ agent: 'b', resource: 'g', ttlMs: 100 }); // expires at 150: same slot time
      clock.time = 2_000;
      clock.fireAll();
      expect(state.size()).toBe(0);
    });

    it('never lists or conflicts an expired claim whose timer has not fired', async () => {
      const clock = new ManualClock();
      const state = createSharedState({ clock });
      await state.claim({ agent: 'a', resource: 'f', start: 0, end: 10, ttlMs: 100 });
      clock.time = 100; // no timer fires
      expect(await state.claims()).toEqual([]);
      expect(await state.release('a', 'f')).toBe(false);
      expect(await state.renew('a', 'f', 100)).toBeUndefined();
      const b = await state.claim({ agent: 'b', resource: 'f', start: 5, end: 5 });
      expect(b.ok).toBe(true);
    });

    it('drops an expired claim found in the way of a new one', async () => {
      const clock = new ManualClock();
      const state = createSharedState({ clock });
      await state.claim({ agent: 'a', resource: 'f', start: 0, end: 10, ttlMs: 100 });
      clock.time = 500;
      await state.claim({ agent: 'b', resource: 'f', start: 0, end: 10 });
      expect(state.size()).toBe(1);
    });

    it('lets a late timer fire after the claim was replaced without touching the new one', async () => {
      const clock = new ManualClock();
      const state = createSharedState({ clock });
      await state.claim({ agent: 'a', resource: 'f', ttlMs: 100 });
      clock.time = 200;
      const b = await state.claim({ agent: 'b', resource: 'f', ttlMs: 10_000 });
      clock.fireAll(); // a's timer, long overdue, and b's, early
      expect((await state.claims()).map((c) => c.token)).toEqual([b.ok ? b.claim.token : -1]);
      expect(state.size()).toBe(1);
    });

    it('keeps a live claim when a timer fires early', async () => {
      const clock = new ManualClock();
      const state = createSharedState({ clock });
      await state.claim({ agent: 'a', resource: 'f', ttlMs: 5_000 });
      clock.time = 10;
      clock.fireAll();
      expect(await state.claims()).toHaveLength(1);
      expect(state.size()).toBe(1);
      expect(clock.timers.size).toBe(1); // re-armed for the real expiry
    });
  });

  describe('long TTLs', () => {
    it('never hands the clock a timer longer than 2^31 - 1 ms, and keeps the claim live', async () => {
      const delays: number[] = [];
      const clock = new ManualClock();
      const setTimeout = clock.setTimeout.bind(clock);
      clock.setTimeout = (fn: () => void, ms?: number) => {
        delays.push(ms ?? 0);
        return setTimeout(fn);
      };
      const state = createSharedState({ clock });
      await state.claim({ agent: 'a', resource: 'f', ttlMs: 1e15 });
      clock.fireAll(); // fires early: the claim is re-filed, not expired
      expect(await state.claims()).toHaveLength(1);
      expect(Math.max(...delays)).toBeLessThanOrEqual(2_147_483_647);
      expect(delays).toHaveLength(2);
    });
  });

  describe('cleanup', () => {
    it('unrefs its cleanup timers, so live claims do not keep a process alive', async () => {
      let unrefs = 0;
      const clock = new ManualClock();
      const setTimeout = clock.setTimeout.bind(clock);
      clock.setTimeout = (fn: () => void) =>
        Object.assign(setTimeout(fn), { unref: () => void unrefs++ });
      const state = createSharedState({ clock });
      await state.claim({ agent: 'a', resource: 'f' });
      expect(unrefs).toBe(1);
    });

    it('sweeps expired claims from memory within a second of expiry, leaving no timer', async () => {
      const clock = new SimulatedClock();
      const state = createSharedState({ clock });
      for (let i = 0; i < 100; i++) {
        await state.claim({
          agent: `a${i}`,
          resource: `f${i % 7}`,
          start: i,
          end: i,
          ttlMs: 50 + i,
        });
      }
      expect(state.size()).toBe(100);
      await clock.advance(1_200);
      expect(state.size()).toBe(0);
      expect(clock.pending()).toBe(0);
    });

    it('uses one timer per second of expiry times, not one per claim', async () => {
      const clock = new SimulatedClock();
      const state = createSharedState({ clock });
      for (let i = 0; i < 1_000; i++) {
        await state.claim({ agent: `a${i}`, resource: 'f', start: i, end: i, ttlMs: 10_000 });
      }
      expect(clock.pending()).toBe(1);
    });

    it('holds one entry per (agent, resource) however often it is re-claimed', async () => {
      const clock = new SimulatedClock();
      const state = createSharedState({ clock });
      for (let i = 0; i < 500; i++)
        await state.claim({ agent: 'a', resource: 'f', start: i, end: i + 3 });
      expect(state.size()).toBe(1);
    });

    it('stays correct after many releases on one resource compact its index', async () => {
      const clock = new SimulatedClock();
      const state = createSharedState({ clock });
      for (let i = 0; i < 300; i++) {
        await state.claim({ agent: `a${i}`, resource: 'f', start: i * 10, end: i * 10 + 9 });
      }
      for (let i = 0; i < 300; i++) if (i % 4 !== 0) await state.release(`a${i}`, 'f');
      for (let round = 0; round < 200; round++) {
        await state.claim({ agent: 'churn', resource: 'f', start: 15, end: 15 });
        await state.release('churn', 'f');
      }
      const listed = await state.claims({ resource: 'f' });
      expect(listed.map((c) => c.agent)).toEqual(Array.from({ length: 75 }, (_, i) => `a${i * 4}`));
      expect((await state.claim({ agent: 'x', resource: 'f', start: 40, end: 40 })).ok).toBe(false);
      expect((await state.claim({ agent: 'x', resource: 'f', start: 10, end: 39 })).ok).toBe(true);
      expect(state.size()).toBe(76);
    });

    it('clears its timers and memory on close', async () => {
      const clock = new SimulatedClock();
      const state = createSharedState({ clock });
      await state.claim({ agent: 'a', resource: 'f' });
      await state.claim({ agent: 'a', resource: 'g', ttlMs: 5_000 });
      await state.close();
      expect(clock.pending()).toBe(0);
      expect(state.size()).toBe(0);
    });
  });

  describe('against a naive array store that scans every claim', () => {
    interface NaiveClaim {
      agent: string;
      resource: string;
      start: number;
      end: number;
      expiresAt: number;
      token: number;
    }

    type Op =
      | { kind: 'claim'; agent: number; resource: number; start: number; len: number; ttl: number }
      | { kind: 'release'; agent: number; resource: number }
      | { kind: 'renew'; agent: number; resource: number; ttl: number }
      | { kind: 'advance'; ms: number };

    /** Ops over `agents` agents and `resources` resources, ranges starting in [0, span]. */
    const opsOver = (
      agents: number,
      resources: number,
      span = 60,
      maxAdvanceMs = 1_500,
    ): fc.Arbitrary<Op> =>
      fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record({
            kind: fc.constant('claim' as const),
            agent: fc.nat(agents - 1),
            resource: fc.nat(resources - 1),
            start: fc.nat(span),
            len: fc.nat(12),
            ttl: fc.integer({ min: 1, max: 3_000 }),
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('release' as const),
            agent: fc.nat(agents - 1),
            resource: fc.nat(resources - 1),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('renew' as const),
            agent: fc.nat(agents - 1),
            resource: fc.nat(resources - 1),
            ttl: fc.integer({ min: 1, max: 3_000 }),
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('advance' as const),
            ms: fc.integer({ min: 0, max: maxAdvanceMs }),
          }),
        },
      );

    it('agrees on a hot file with hundreds of claims (index blocks split and empty)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              agent: fc.nat(599),
              start: fc.nat(3_000),
              len: fc.nat(3),
              release: fc.boolean(),
            }),
            { minLength: 500, maxLength: 1_500 },
          ),
          async (ops) => {
            const state = createSharedState({ clock: new SimulatedClock() });
            const naive = new Map<string, { start: number; end: number; token: number }>();
            for (const o of ops) {
              const agent = `a${o.agent}`;
              if (o.release) {
                expect(await state.release(agent, 'hot')).toBe(naive.delete(agent));
                continue;
              }
              const start = o.start;
              const end = o.start + o.len;
              const blocked = [...naive].some(
                ([holder, c]) => holder !== agent && c.start <= end && start <= c.end,
              );
              const result = await state.claim({ agent, resource: 'hot', start, end });
              expect(result.ok).toBe(!blocked);
              if (result.ok) naive.set(agent, { start, end, token: result.claim.token });
            }
            const listed = await state.claims({ resource: 'hot' });
            expect(listed.map((c) => [c.agent, c.start, c.end])).toEqual(
              [...naive]
                .sort((x, y) => x[1].token - y[1].token)
                .map(([agent, c]) => [agent, c.start, c.end]),
            );
            expect(state.size()).toBe(naive.size);
          },
        ),
        { numRuns: 25 },
      );
    });

    const agreesWithNaive = (
      op: fc.Arbitrary<Op>,
      lengths: { minLength: number; maxLength: number },
      numRuns: number,
    ) =>
      fc.assert(
        fc.asyncProperty(fc.array(op, lengths), async (ops) => {
          const clock = new SimulatedClock();
          const state = createSharedState({ clock });
          let naive: NaiveClaim[] = [];
          let lastToken = 0;
          const live = () => naive.filter((c) => c.expiresAt > clock.now());
          for (const o of ops) {
            if (o.kind === 'advance') {
              await clock.advance(o.ms);
              continue;
            }
            const agent = `a${o.agent}`;
            const resource = `r${o.resource}`;
            if (o.kind === 'claim') {
              const start = o.start;
              const end = o.start + o.len;
              const blockers = live().filter(
                (c) =>
                  c.resource === resource && c.agent !== agent && c.start <= end && start <= c.end,
              );
              const result = await state.claim({ agent, resource, start, end, ttlMs: o.ttl });
              expect(result.ok).toBe(blockers.length === 0);
              if (result.ok) {
                naive = naive.filter((c) => !(c.agent === agent && c.resource === resource));
                const token = result.claim.token;
                expect(token).toBeGreaterThan(lastToken);
                lastToken = token;
                naive.push({ agent, resource, start, end, expiresAt: clock.now() + o.ttl, token });
              } else {
                expect(blockers.map((c) => c.token)).toContain(result.conflict.token);
              }
            } else if (o.kind === 'release') {
              const had = live().some((c) => c.agent === agent && c.resource === resource);
              expect(await state.release(agent, resource)).toBe(had);
              naive = naive.filter((c) => !(c.agent === agent && c.resource === resource));
            } else {
              const mine = live().find((c) => c.agent === agent && c.resource === resource);
              const renewed = await state.renew(agent, resource, o.ttl);
              expect(renewed?.token).toBe(mine?.token);
              if (mine) mine.expiresAt = clock.now() + o.ttl;
            }
            const view = (cs: readonly (Claim | NaiveClaim)[]) =>
              cs.map((c) => [c.agent, c.resource, c.start, c.end, c.expiresAt, c.token]);
            expect(view(await state.claims())).toEqual(
              view(live().sort((x, y) => x.token - y.token)),
            );
          }
          await state.close();
        }),
        { numRuns },
      );

    it('agrees on every grant, conflict, release, renew and listing', async () => {
      await agreesWithNaive(opsOver(6, 3), { minLength: 0, maxLength: 80 }, 300);
    });

    it('agrees with expiry on a resource held by more agents than the small layout keeps', async () => {
      // 120 agents on one resource, time moving slowly: dozens of live claims at once, past the
      // small layout (16) and over several index blocks (32 each), with expiry and renewals.
      await agreesWithNaive(opsOver(120, 1, 6_000, 60), { minLength: 300, maxLength: 400 }, 30);
    });
  });
});
