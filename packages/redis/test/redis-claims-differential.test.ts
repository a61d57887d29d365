// The Redis claim index (entries by start, a walk that stops at the first entry ending before
// the claimed range) against the in-memory shared state on random claims, releases and
// expiries: the same grants, the same conflicts, the same live claims.
import { createSharedState, SimulatedClock } from '@troupe/core';
import { createRedisSharedState } from '@troupe/redis';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { uniqueTeam, useRedisServer } from './helpers/server.js';

const ctx = useRedisServer();

type Op =
  | { kind: 'claim'; agent: number; resource: number; start: number; length: number; ttl: number }
  | { kind: 'release'; agent: number; resource: number }
  | { kind: 'advance'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      agent: fc.integer({ min: 0, max: 4 }),
      resource: fc.integer({ min: 0, max: 1 }),
      start: fc.integer({ min: 0, max: 40 }),
      length: fc.integer({ min: 0, max: 12 }),
      ttl: fc.integer({ min: 1, max: 60 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('release' as const),
      agent: fc.integer({ min: 0, max: 4 }),
      resource: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 1, max: 30 }),
    }),
  },
);

it('grants and refuses exactly as the in-memory shared state', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
      const memClock = new SimulatedClock();
      const redisClock = new SimulatedClock();
      const memory = createSharedState({ clock: memClock });
      const redis = createRedisSharedState({
        redis: ctx.server.url,
        clock: redisClock,
        team: uniqueTeam(),
      });
      try {
        for (const step of ops) {
          if (step.kind === 'advance') {
            await memClock.advance(step.ms);
            await redisClock.advance(step.ms);
          } else if (step.kind === 'release') {
            const args = [`a${step.agent}`, `r${step.resource}`] as const;
            expect(await redis.release(...args)).toBe(await memory.release(...args));
          } else {
            const request = {
              agent: `a${step.agent}`,
              resource: `r${step.resource}`,
              start: step.start,
              end: step.start + step.length,
              ttlMs: step.ttl,
            };
            const live = await memory.claims({ resource: request.resource });
            const [m, r] = [await memory.claim(request), await redis.claim(request)];
            expect(r.ok).toBe(m.ok);
            if (!r.ok) {
              // Any overlapping live claim of another agent is a valid answer (the contract
              // names none in particular).
              const holder = live.find((c) => c.agent === r.conflict.agent);
              expect(holder !== undefined && holder.agent !== request.agent).toBe(true);
              expect(holder!.start <= request.end && request.start <= holder!.end).toBe(true);
            }
          }
          const shape = (c: { agent: string; resource: string; start: number; end: number }) =>
            `${c.agent}@${c.resource}[${c.start},${c.end}]`;
          expect((await redis.claims()).map(shape).sort()).toEqual(
            (await memory.claims()).map(shape).sort(),
          );
        }
      } finally {
        await redis.close();
        memory.close();
      }
    }),
    { numRuns: 40 },
  );
}, 60_000);
