import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Claim, ClaimRequest, SharedStateBackend } from '../../backend/interfaces.js';
import { MAX_CLAIM_END } from '../../backend/method-inputs.js';
import type { SimulatedClock } from '../../clock.js';
import type { ErrorCode } from '../../errors.js';
import { TroupeError } from '../../errors.js';

/**
 * What a shared-state contract `setup` returns: a fresh backend bound to `clock`.
 *
 * @example
 * ```ts
 * const fixture: SharedStateFixture = { state: createSharedState({ clock }), clock };
 * ```
 */
export interface SharedStateFixture {
  readonly state: SharedStateBackend;
  readonly clock: SimulatedClock;
  /** The backend's `defaultTtlMs`, when known: the default-TTL rules are then checked exactly. */
  readonly defaultTtlMs?: number;
  readonly cleanup?: () => Promise<void>;
}

/**
 * The error `call` raises, whether it throws at once (a synchronous backend) or returns a
 * promise that rejects (a remote one); fails the test if it succeeds.
 */
async function refusal(call: () => unknown): Promise<unknown> {
  let value: unknown;
  try {
    value = await call();
  } catch (error) {
    return error;
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(value)}`);
}

async function expectCode(call: () => unknown, code: ErrorCode): Promise<void> {
  const error = await refusal(call);
  expect(error).toBeInstanceOf(TroupeError);
  expect((error as TroupeError).code).toBe(code);
}

/** Plain copy of a claim, for comparing stored values across backends. */
const plain = (claim: Claim | undefined): Claim | undefined =>
  claim === undefined ? undefined : { ...claim };

/**
 * The contract every {@link SharedStateBackend} passes: every rule of packages/core/docs/shared-state.md.
 * `setup` runs before each test and must return a fresh, empty backend bound to a
 * `SimulatedClock`; `cleanup` (if any) runs after it. Every call is `await`ed and nothing
 * assumes either synchronous or asynchronous answers, so the in-memory backend (which answers
 * at once and throws bad input synchronously) and remote ones (which return promises and
 * reject) run it unchanged.
 *
 * @example
 * ```ts
 * import { createSharedState, SimulatedClock } from '@troupe/core';
 * import { sharedStateContract } from '@troupe/core/testing';
 *
 * sharedStateContract('memory', async () => {
 *   const clock = new SimulatedClock();
 *   const state = createSharedState({ clock, defaultTtlMs: 60_000 });
 *   return { state, clock, defaultTtlMs: 60_000, cleanup: () => state.close() };
 * });
 * ```
 */
export function sharedStateContract(name: string, setup: () => Promise<SharedStateFixture>): void {
  describe(`SharedStateBackend contract: ${name}`, () => {
    let fixture: SharedStateFixture;
    let state: SharedStateBackend;
    let clock: SimulatedClock;

    beforeEach(async () => {
      fixture = await setup();
      state = fixture.state;
      clock = fixture.clock;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    const grant = async (request: ClaimRequest): Promise<Claim> => {
      const result = await state.claim(request);
      if (!result.ok)
        throw new Error(`expected a grant, got a conflict with ${result.conflict.agent}`);
      return result.claim;
    };

    describe('claims', () => {
      it('grants a free range with its fields, grantedAt now and expiresAt now + ttlMs', async () => {
        await clock.advance(1_000);
        const claim = await grant({ agent: 'a', resource: 'f', start: 10, end: 20, ttlMs: 500 });
        expect(claim).toMatchObject({
          agent: 'a',
          resource: 'f',
          start: 10,
          end: 20,
          grantedAt: 1_000,
          expiresAt: 1_500,
        });
        expect(Number.isSafeInteger(claim.token)).toBe(true);
      });

      it('uses the default TTL when the request names none', async () => {
        const claim = await grant({ agent: 'a', resource: 'f' });
        expect(claim.expiresAt).toBeGreaterThan(claim.grantedAt);
        if (fixture.defaultTtlMs !== undefined) {
          expect(claim.expiresAt - claim.grantedAt).toBe(fixture.defaultTtlMs);
        }
      });

      it('claims the whole resource, [0, MAX_CLAIM_END], when no range is given', async () => {
        const claim = await grant({ agent: 'a', resource: 'f' });
        expect([claim.start, claim.end]).toEqual([0, MAX_CLAIM_END]);
      });

      it('reads a missing end as the end of the resource and a missing start as 0', async () => {
        const tail = await grant({ agent: 'a', resource: 'f', start: 50 });
        const head = await grant({ agent: 'a', resource: 'g', end: 9 });
        expect([tail.start, tail.end]).toEqual([50, MAX_CLAIM_END]);
        expect([head.start, head.end]).toEqual([0, 9]);
      });

      it('accepts a single-point range (start === end)', async () => {
        const claim = await grant({ agent: 'a', resource: 'f', start: 7, end: 7 });
        expect([claim.start, claim.end]).toEqual([7, 7]);
      });

      it('refuses an overlapping range of another agent, naming the blocking claim', async () => {
        const first = await grant({ agent: 'a', resource: 'f', start: 10, end: 20 });
        const result = await state.claim({ agent: 'b', resource: 'f', start: 15, end: 30 });
        expect(result.ok).toBe(false);
        expect(result.ok ? undefined : plain(result.conflict)).toEqual(plain(first));
      });

      it('treats ranges as inclusive: [10,20] and [20,30] conflict', async () => {
        await grant({ agent: 'a', resource: 'f', start: 10, end: 20 });
        expect((await state.claim({ agent: 'b', resource: 'f', start: 20, end: 30 })).ok).toBe(
          false,
        );
        expect((await state.claim({ agent: 'b', resource: 'f', start: 0, end: 10 })).ok).toBe(
          false,
        );
      });

      it('grants adjacent ranges: [10,20] and [21,30] do not conflict', async () => {
        await grant({ agent: 'a', resource: 'f', start: 10, end: 20 });
        expect((await state.claim({ agent: 'b', resource: 'f', start: 21, end: 30 })).ok).toBe(
          true,
        );
        expect((await state.claim({ agent: 'c', resource: 'f', start: 0, end: 9 })).ok).toBe(true);
      });

      it('refuses a range that contains, or is contained in, another agent’s range', async () => {
        await grant({ agent: 'a', resource: 'f', start: 40, end: 50 });
        expect((await state.claim({ agent: 'b', resource: 'f', start: 0, end: 100 })).ok).toBe(
          false,
        );
        expect((await state.claim({ agent: 'b', resource: 'f', start: 42, end: 44 })).ok).toBe(
          false,
        );
      });

      it('refuses a range that spans several other claims and names one of them', async () => {
        await grant({ agent: 'a', resource: 'f', start: 0, end: 9 });
        await grant({ agent: 'b', resource: 'f', start: 20, end: 29 });
        const result = await state.claim({ agent: 'c', resource: 'f', start: 5, end: 25 });
        if (result.ok) throw new Error('expected a conflict');
        expect(['a', 'b']).toContain(result.conflict.agent);
      });

      it('refuses a whole-resource claim while another agent holds any range, and vice versa', async () => {
        await grant({ agent: 'a', resource: 'f', start: 1_000, end: 1_001 });
        expect((await state.claim({ agent: 'b', resource: 'f' })).ok).toBe(false);
        await grant({ agent: 'c', resource: 'g' });
        expect((await state.claim({ agent: 'd', resource: 'g', start: 5, end: 5 })).ok).toBe(false);
      });

      it('never conflicts across different resources', async () => {
        await grant({ agent: 'a', resource: 'f' });
        expect((await state.claim({ agent: 'b', resource: 'g' })).ok).toBe(true);
        expect((await state.claim({ agent: 'b', resource: 'F' })).ok).toBe(true);
        expect((await state.claim({ agent: 'b', resource: 'f/' })).ok).toBe(true);
      });

      it('never conflicts an agent with itself', async () => {
        await grant({ agent: 'a', resource: 'f', start: 0, end: 10 });
        expect((await state.claim({ agent: 'a', resource: 'f', start: 5, end: 15 })).ok).toBe(true);
      });

      it('keeps one entry per (agent, resource): a re-claim replaces the range', async () => {
        await grant({ agent: 'a', resource: 'f', start: 0, end: 10 });
        await grant({ agent: 'a', resource: 'f', start: 50, end: 60 });
        const listed = await state.claims({ resource: 'f' });
        expect(listed.map((c) => [c.agent, c.start, c.end])).toEqual([['a', 50, 60]]);
        // The old range is free again.
        expect((await state.claim({ agent: 'b', resource: 'f', start: 0, end: 10 })).ok).toBe(true);
      });

      it('gives a re-claim a new, larger token and a renewed TTL', async () => {
        const first = await grant({ agent: 'a', resource: 'f', ttlMs: 100 });
        await clock.advance(60);
        const second = await grant({ agent: 'a', resource: 'f', ttlMs: 100 });
        expect(second.token).toBeGreaterThan(first.token);
        expect(second.grantedAt).toBe(60);
        expect(second.expiresAt).toBe(160);
        await clock.advance(60);
        expect((await state.claims({ agent: 'a' })).map((c) => c.token)).toEqual([second.token]);
      });

      it('leaves the existing claim unchanged when a re-claim conflicts', async () => {
        const mine = await grant({ agent: 'a', resource: 'f', start: 0, end: 10 });
        await grant({ agent: 'b', resource: 'f', start: 20, end: 30 });
        const result = await state.claim({ agent: 'a', resource: 'f', start: 0, end: 25 });
        expect(result.ok).toBe(false);
        expect((await state.claims({ agent: 'a' })).map(plain)).toEqual([plain(mine)]);
      });

      it('gives exactly one of 25 agents racing for one region the claim', async () => {
        const agents = Array.from({ length: 25 }, (_, i) => `agent-${i}`);
        const results = await Promise.all(
          agents.map((agent) => state.claim({ agent, resource: 'hot.ts', start: 100, end: 200 })),
        );
        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        const winner = winners[0]!.ok ? winners[0]!.claim : undefined;
        for (const r of results) {
          if (!r.ok) expect(r.conflict.agent).toBe(winner?.agent);
        }
        expect((await state.claims({ resource: 'hot.ts' })).map(plain)).toEqual([plain(winner)]);
      });

      it('grants all of 25 agents racing for distinct ranges of one resource', async () => {
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            state.claim({
              agent: `agent-${i}`,
              resource: 'hot.ts',
              start: i * 10,
              end: i * 10 + 9,
            }),
          ),
        );
        expect(results.every((r) => r.ok)).toBe(true);
        expect(await state.claims({ resource: 'hot.ts' })).toHaveLength(25);
      });

      it('issues fencing tokens strictly increasing across agents, resources and re-claims', async () => {
        const tokens: number[] = [];
        for (let i = 0; i < 30; i++) {
          const claim = await grant({
            agent: `a${i % 4}`,
            resource: `r${i % 3}`,
            start: i,
            end: i,
          });
          tokens.push(claim.token);
          if (i % 5 === 0) await state.release(`a${i % 4}`, `r${i % 3}`);
        }
        for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
      });

      it('issues strictly increasing tokens to concurrent claims', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => grant({ agent: `a${i}`, resource: `r${i}` })),
        );
        const tokens = results.map((c) => c.token).sort((x, y) => x - y);
        expect(new Set(tokens).size).toBe(20);
      });

      it('never reissues a token after a release', async () => {
        const first = await grant({ agent: 'a', resource: 'f' });
        await state.release('a', 'f');
        const second = await grant({ agent: 'a', resource: 'f' });
        expect(second.token).toBeGreaterThan(first.token);
      });
    });

    describe('release', () => {
      it('releases a live claim (true) and frees its range for others', async () => {
        await grant({ agent: 'a', resource: 'f', start: 0, end: 10 });
        expect(await state.release('a', 'f')).toBe(true);
        expect(await state.claims()).toEqual([]);
        expect((await state.claim({ agent: 'b', resource: 'f', start: 0, end: 10 })).ok).toBe(true);
      });

      it('is idempotent: a second release returns false', async () => {
        await grant({ agent: 'a', resource: 'f' });
        expect(await state.release('a', 'f')).toBe(true);
        expect(await state.release('a', 'f')).toBe(false);
      });

      it('returns false for a claim that never existed', async () => {
        expect(await state.release('nobody', 'nothing')).toBe(false);
      });

      it("never releases another agent's claim", async () => {
        await grant({ agent: 'a', resource: 'f' });
        expect(await state.release('b', 'f')).toBe(false);
        expect((await state.claims()).map((c) => c.agent)).toEqual(['a']);
      });

      it("releases only the named resource of the agent's claims", async () => {
        await grant({ agent: 'a', resource: 'f' });
        await grant({ agent: 'a', resource: 'g' });
        await state.release('a', 'f');
        expect((await state.claims()).map((c) => c.resource)).toEqual(['g']);
      });
    });

    describe('expiry', () => {
      it('keeps a claim live until just before expiresAt', async () => {
        await grant({ agent: 'a', resource: 'f', ttlMs: 100 });
        await clock.advance(99);
        expect(await state.claims()).toHaveLength(1);
        expect((await state.claim({ agent: 'b', resource: 'f' })).ok).toBe(false);
      });

      it('expires a claim at expiresAt: not listed, no conflict', async () => {
        await grant({ agent: 'a', resource: 'f', start: 0, end: 10, ttlMs: 100 });
        await clock.advance(100);
        expect(await state.claims()).toEqual([]);
        expect(await state.claims({ resource: 'f' })).toEqual([]);
        expect(await state.claims({ agent: 'a' })).toEqual([]);
        expect((await state.claim({ agent: 'b', resource: 'f', start: 5, end: 5 })).ok).toBe(true);
      });

      it('treats a claim as expired at expiresAt even before its own timers have fired', async () => {
        // This timer is set before the claim, so at t = 100 it fires before any timer the
        // backend sets for that claim (ties fire in the order they were set).
        let checks: Promise<[Claim[], boolean, boolean]> | undefined;
        clock.setTimeout(() => {
          checks = Promise.all([
            state.claims({ resource: 'f' }),
            Promise.resolve(state.claim({ agent: 'b', resource: 'f', start: 5, end: 5 })).then(
              (r) => r.ok,
            ),
            state.release('a', 'f'),
          ]);
        }, 100);
        await grant({ agent: 'a', resource: 'f', start: 0, end: 10, ttlMs: 100 });
        await clock.advance(100);
        const [listed, bGranted, aReleased] = await checks!;
        expect(listed.map((c) => c.agent)).not.toContain('a');
        expect(bGranted).toBe(true);
        expect(aReleased).toBe(false);
      });

      it('never lists or conflicts an expired claim at any later time', async () => {
        await grant({ agent: 'a', resource: 'f', ttlMs: 10 });
        for (const step of [5, 5, 1, 100, 10_000, 1_000_000]) {
          await clock.advance(step);
          if (clock.now() < 10) continue;
          expect(await state.claims({ resource: 'f' })).toEqual([]);
        }
        expect((await state.claim({ agent: 'b', resource: 'f' })).ok).toBe(true);
      });

      it('does not let an expired claim block, even when a live claim sits beside it', async () => {
        await grant({ agent: 'a', resource: 'f', start: 0, end: 10, ttlMs: 50 });
        await grant({ agent: 'b', resource: 'f', start: 20, end: 30, ttlMs: 10_000 });
        await clock.advance(50);
        expect((await state.claim({ agent: 'c', resource: 'f', start: 0, end: 19 })).ok).toBe(true);
        expect((await state.claim({ agent: 'c', resource: 'f', start: 0, end: 20 })).ok).toBe(
          false,
        );
      });

      it('answers release with false once the claim has expired', async () => {
        await grant({ agent: 'a', resource: 'f', ttlMs: 10 });
        await clock.advance(10);
        expect(await state.release('a', 'f')).toBe(false);
      });

      it('lets the expired holder claim again with a new token', async () => {
        const first = await grant({ agent: 'a', resource: 'f', ttlMs: 10 });
        await clock.advance(20);
        const second = await grant({ agent: 'a', resource: 'f', ttlMs: 10 });
        expect(second.token).toBeGreaterThan(first.token);
        expect(second.grantedAt).toBe(20);
      });
    });

    describe('renew', () => {
      it('extends a live claim from now, keeping its token, range and grantedAt', async () => {
        const claim = await grant({ agent: 'a', resource: 'f', start: 1, end: 2, ttlMs: 100 });
        await clock.advance(80);
        const renewed = await state.renew('a', 'f', 100);
        expect(plain(renewed)).toEqual({ ...claim, expiresAt: 180 });
        await clock.advance(99);
        expect(await state.claims()).toHaveLength(1);
        await clock.advance(1);
        expect(await state.claims()).toEqual([]);
      });

      it('renews with the default TTL when none is given', async () => {
        await grant({ agent: 'a', resource: 'f', ttlMs: 10 });
        await clock.advance(5);
        const renewed = await state.renew('a', 'f');
        expect(renewed?.expiresAt).toBeGreaterThan(15);
        if (fixture.defaultTtlMs !== undefined) {
          expect(renewed?.expiresAt).toBe(5 + fixture.defaultTtlMs);
        }
      });

      it('returns undefined for a claim that does not exist', async () => {
        expect(await state.renew('a', 'f', 100)).toBeUndefined();
      });

      it('returns undefined for an expired claim and does not bring it back', async () => {
        await grant({ agent: 'a', resource: 'f', ttlMs: 10 });
        await clock.advance(10);
        expect(await state.renew('a', 'f', 1_000)).toBeUndefined();
        expect(await state.claims()).toEqual([]);
      });

      it("does not renew another agent's claim", async () => {
        await grant({ agent: 'a', resource: 'f', ttlMs: 10 });
        expect(await state.renew('b', 'f', 1_000)).toBeUndefined();
        await clock.advance(10);
        expect(await state.claims()).toEqual([]);
      });
    });

    describe('listing claims', () => {
      it('lists live claims in grant order across resources', async () => {
        await grant({ agent: 'a', resource: 'r2' });
        await grant({ agent: 'b', resource: 'r1' });
        await grant({ agent: 'a', resource: 'r3' });
        const listed = await state.claims();
        expect(listed.map((c) => `${c.agent}:${c.resource}`)).toEqual(['a:r2', 'b:r1', 'a:r3']);
        const tokens = listed.map((c) => c.token);
        expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
      });

      it('moves a re-claimed entry to the end of grant order', async () => {
        await grant({ agent: 'a', resource: 'f', start: 0, end: 0 });
        await grant({ agent: 'b', resource: 'f', start: 1, end: 1 });
        await grant({ agent: 'a', resource: 'f', start: 2, end: 2 });
        expect((await state.claims({ resource: 'f' })).map((c) => c.agent)).toEqual(['b', 'a']);
      });

      it('filters by resource, by agent, and by both', async () => {
        await grant({ agent: 'a', resource: 'f', start: 0, end: 0 });
        await grant({ agent: 'b', resource: 'f', start: 1, end: 1 });
        await grant({ agent: 'a', resource: 'g' });
        const key = (cs: Claim[]) => cs.map((c) => `${c.agent}:${c.resource}`);
        expect(key(await state.claims({ resource: 'f' }))).toEqual(['a:f', 'b:f']);
        expect(key(await state.claims({ agent: 'a' }))).toEqual(['a:f', 'a:g']);
        expect(key(await state.claims({ agent: 'a', resource: 'g' }))).toEqual(['a:g']);
        expect(await state.claims({ resource: 'none' })).toEqual([]);
        expect(await state.claims({ agent: 'none' })).toEqual([]);
      });

      it('returns results whose mutation does not change the store', async () => {
        await grant({ agent: 'a', resource: 'f', start: 0, end: 10 });
        const listed = await state.claims();
        try {
          (listed[0] as { end: number }).end = 1_000;
        } catch {
          // frozen results throw in strict mode: equally fine
        }
        listed.pop();
        const again = await state.claims();
        expect(again.map((c) => c.end)).toEqual([10]);
        expect((await state.claim({ agent: 'b', resource: 'f', start: 11, end: 20 })).ok).toBe(
          true,
        );
      });
    });

    describe('discoveries', () => {
      it('numbers discoveries from 1 in insertion order, stamped with the clock', async () => {
        await clock.advance(7);
        const first = await state.discover({ agent: 'a', topic: 't', content: { x: 1 } });
        const second = await state.discover({ agent: 'b', topic: 'u', content: 'text' });
        expect({ ...first }).toEqual({ seq: 1, agent: 'a', topic: 't', content: { x: 1 }, at: 7 });
        expect(second.seq).toBe(2);
        expect((await state.discoveries()).map((d) => d.seq)).toEqual([1, 2]);
      });

      it('keeps content of every JSON kind', async () => {
        const contents = [null, true, 0, -1.5, '', 'x', [], [1, [2]], {}, { a: { b: [null] } }];
        for (const content of contents) await state.discover({ agent: 'a', topic: 't', content });
        expect((await state.discoveries()).map((d) => d.content)).toEqual(contents);
      });

      it('filters by topic, agent, afterSeq and limit, in seq order', async () => {
        for (let i = 0; i < 10; i++) {
          await state.discover({
            agent: i % 2 ? 'odd' : 'even',
            topic: i < 5 ? 'low' : 'high',
            content: i,
          });
        }
        const seqs = async (q: Parameters<SharedStateBackend['discoveries']>[0]) =>
          (await state.discoveries(q)).map((d) => d.seq);
        expect(await seqs({ topic: 'low' })).toEqual([1, 2, 3, 4, 5]);
        expect(await seqs({ agent: 'odd' })).toEqual([2, 4, 6, 8, 10]);
        expect(await seqs({ afterSeq: 7 })).toEqual([8, 9, 10]);
        expect(await seqs({ limit: 3 })).toEqual([1, 2, 3]);
        expect(await seqs({ topic: 'high', agent: 'even', afterSeq: 6, limit: 1 })).toEqual([7]);
        expect(await seqs({ topic: 'low', afterSeq: 5 })).toEqual([]);
        expect(await seqs({ afterSeq: 100 })).toEqual([]);
        expect(await seqs({ topic: 'none' })).toEqual([]);
      });

      it('stores a copy: changing the passed or returned content changes nothing', async () => {
        const content = { list: [1, 2], nested: { a: 1 } };
        const stored = await state.discover({ agent: 'a', topic: 't', content });
        content.list.push(3);
        content.nested.a = 2;
        const [read] = await state.discoveries<typeof content>();
        try {
          read!.content.list.push(4);
        } catch {
          // frozen results throw: equally fine
        }
        expect((await state.discoveries())[0]!.content).toEqual({ list: [1, 2], nested: { a: 1 } });
        expect(stored.content).toEqual({ list: [1, 2], nested: { a: 1 } });
      });
    });

    describe('bad input', () => {
      const badClaims: [string, unknown][] = [
        ['no request', undefined],
        ['a non-object request', 'f'],
        ['an empty agent', { agent: '', resource: 'f' }],
        ['a missing agent', { resource: 'f' }],
        ['a non-string agent', { agent: 7, resource: 'f' }],
        ['an empty resource', { agent: 'a', resource: '' }],
        ['a non-string resource', { agent: 'a', resource: null }],
        ['a negative start', { agent: 'a', resource: 'f', start: -1, end: 5 }],
        ['a fractional start', { agent: 'a', resource: 'f', start: 1.5, end: 5 }],
        ['a NaN end', { agent: 'a', resource: 'f', start: 0, end: Number.NaN }],
        ['an infinite end', { agent: 'a', resource: 'f', start: 0, end: Number.POSITIVE_INFINITY }],
        ['a string end', { agent: 'a', resource: 'f', start: 0, end: '5' }],
        ['start > end', { agent: 'a', resource: 'f', start: 6, end: 5 }],
        ['a zero ttlMs', { agent: 'a', resource: 'f', ttlMs: 0 }],
        ['a negative ttlMs', { agent: 'a', resource: 'f', ttlMs: -5 }],
        ['a NaN ttlMs', { agent: 'a', resource: 'f', ttlMs: Number.NaN }],
        ['an infinite ttlMs', { agent: 'a', resource: 'f', ttlMs: Number.POSITIVE_INFINITY }],
        ['a string ttlMs', { agent: 'a', resource: 'f', ttlMs: '100' }],
      ];
      for (const [what, request] of badClaims) {
        it(`refuses a claim with ${what} (ERR_INVALID_ARGUMENT) and stores nothing`, async () => {
          await expectCode(() => state.claim(request as ClaimRequest), 'ERR_INVALID_ARGUMENT');
          expect(await state.claims()).toEqual([]);
          expect((await state.claim({ agent: 'b', resource: 'f', start: 0, end: 10 })).ok).toBe(
            true,
          );
        });
      }

      it('refuses release and renew with bad names or TTLs and changes nothing', async () => {
        const claim = await grant({ agent: 'a', resource: 'f', ttlMs: 100 });
        const bad: (() => unknown)[] = [
          () => state.release('', 'f'),
          () => state.release('a', ''),
          () => state.release(undefined as unknown as string, 'f'),
          () => state.renew('', 'f', 10),
          () => state.renew('a', '', 10),
          () => state.renew('a', 'f', 0),
          () => state.renew('a', 'f', -1),
          () => state.renew('a', 'f', Number.NaN),
          () => state.renew('a', 'f', Number.POSITIVE_INFINITY),
          () => state.renew('a', 'f', '10' as unknown as number),
        ];
        for (const call of bad) await expectCode(call, 'ERR_INVALID_ARGUMENT');
        expect((await state.claims()).map(plain)).toEqual([plain(claim)]);
      });

      it('refuses claim queries with bad filters', async () => {
        for (const query of [{ resource: '' }, { agent: '' }, { agent: 5 }, 'f']) {
          await expectCode(() => state.claims(query as never), 'ERR_INVALID_ARGUMENT');
        }
      });

      it('refuses bad discoveries (ERR_INVALID_ARGUMENT) and stores nothing', async () => {
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        const bad: unknown[] = [
          undefined,
          { agent: '', topic: 't', content: 1 },
          { agent: 'a', topic: '', content: 1 },
          { agent: 'a', topic: 7, content: 1 },
          { agent: 'a', topic: 't' },
          { agent: 'a', topic: 't', content: () => 1 },
          { agent: 'a', topic: 't', content: Number.NaN },
          { agent: 'a', topic: 't', content: { n: 10n } },
          { agent: 'a', topic: 't', content: { d: new Map() } },
          { agent: 'a', topic: 't', content: cyclic },
        ];
        for (const entry of bad) {
          await expectCode(() => state.discover(entry as never), 'ERR_INVALID_ARGUMENT');
        }
        expect(await state.discoveries()).toEqual([]);
        expect((await state.discover({ agent: 'a', topic: 't', content: 1 })).seq).toBe(1);
      });

      it('refuses discovery queries with bad filters', async () => {
        const bad = [
          { afterSeq: -1 },
          { afterSeq: 1.5 },
          { afterSeq: '1' },
          { limit: 0 },
          { limit: -1 },
          { limit: 2.5 },
          { topic: '' },
          { agent: '' },
        ];
        for (const query of bad)
          await expectCode(() => state.discoveries(query as never), 'ERR_INVALID_ARGUMENT');
      });
    });

    describe('close', () => {
      it('rejects every later call with ERR_CLOSED', async () => {
        await grant({ agent: 'a', resource: 'f' });
        await state.close();
        await expectCode(() => state.claim({ agent: 'a', resource: 'g' }), 'ERR_CLOSED');
        await expectCode(() => state.release('a', 'f'), 'ERR_CLOSED');
        await expectCode(() => state.renew('a', 'f'), 'ERR_CLOSED');
        await expectCode(() => state.claims(), 'ERR_CLOSED');
        await expectCode(
          () => state.discover({ agent: 'a', topic: 't', content: 1 }),
          'ERR_CLOSED',
        );
        await expectCode(() => state.discoveries(), 'ERR_CLOSED');
      });

      it('can be closed twice', async () => {
        await state.close();
        await expect(state.close()).resolves.toBeUndefined();
      });
    });
  });
}
