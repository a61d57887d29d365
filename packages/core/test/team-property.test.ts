// A property test over whole teams (issue 12): random valid and invalid input, random provider
// faults (429 with any retry-after, 5xx, stalls, huge and deep answers) and random backend
// outages, checking after every step that nothing is stuck beyond its bound, the limiter's
// counters equal the sum of its live entries, no secret reaches any persisted byte, and every
// refusal changed nothing.
import {
  type ChatMessage,
  createBus,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  type LimiterBackend,
  type ModelRequest,
  type ModelResponse,
  SimulatedClock,
  type Team,
  TroupeError,
} from '@troupe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drive, makeTeam, type Placements, PUPPET, script } from './fixtures/harness.js';

const SECRET = 'sk-live-0123456789abcdefSECRET';

/** What one model call does, drawn by fast-check. */
type Fault =
  | { readonly kind: 'answer' }
  | { readonly kind: 'tool'; readonly deep: number }
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'stall'; readonly ms: number }
  | { readonly kind: 'huge'; readonly chars: number };

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.constant({ kind: 'answer' as const }),
  fc.record({ kind: fc.constant('tool' as const), deep: fc.integer({ min: 1, max: 5_000 }) }),
  fc.record({
    kind: fc.constant('rate_limited' as const),
    retryAfterMs: fc.oneof(fc.integer({ min: 0, max: 120_000 }), fc.constant(999_999_999_000)),
  }),
  fc.constant({ kind: 'unavailable' as const }),
  fc.record({ kind: fc.constant('stall' as const), ms: fc.integer({ min: 1, max: 50_000 }) }),
  fc.record({ kind: fc.constant('huge' as const), chars: fc.integer({ min: 1, max: 200_000 }) }),
);

/** Arguments nested `depth` levels deep (a model can send anything). */
function nested(depth: number): unknown {
  let value: unknown = { secret: SECRET };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** A model that plays the drawn faults in order, on the team's clock. */
function faultyModel(clock: SimulatedClock, faults: readonly Fault[]) {
  let call = 0;
  return {
    id: 'faulty',
    async generate(request: ModelRequest): Promise<ModelResponse> {
      const fault = faults[call++ % faults.length]!;
      const usage = { inputTokens: 10, outputTokens: 5 };
      const last = request.messages.at(-1);
      if (last?.role === 'tool') return { text: 'done', toolCalls: [], usage, stopReason: 'end' };
      switch (fault.kind) {
        case 'answer':
          return { text: 'answer', toolCalls: [], usage, stopReason: 'end' };
        case 'tool':
          return {
            text: '',
            toolCalls: [{ id: `c${call}`, name: 'note', arguments: nested(fault.deep) }],
            usage,
            stopReason: 'tool_calls',
          };
        case 'rate_limited':
          request.onRateLimit?.({ retryAfterMs: fault.retryAfterMs });
          throw new TroupeError('ERR_PROVIDER_RATE_LIMITED', `429 for ${SECRET.slice(0, 3)}`);
        case 'unavailable':
          throw new TroupeError('ERR_PROVIDER_UNAVAILABLE', '503');
        case 'stall':
          await new Promise<void>((resolve, reject) => {
            const timer = clock.setTimeout(resolve, fault.ms);
            request.signal?.addEventListener('abort', () => {
              clock.clearTimeout(timer);
              reject(request.signal?.reason);
            });
          });
          return { text: 'late', toolCalls: [], usage, stopReason: 'end' };
        case 'huge':
          return { text: 'x'.repeat(fault.chars), toolCalls: [], usage, stopReason: 'end' };
      }
    },
  };
}

/** A limiter whose backend is down for the given (simulated) intervals. */
function flakyLimiter(inner: LimiterBackend, clock: SimulatedClock, outages: [number, number][]) {
  const down = () => outages.some(([from, to]) => clock.now() >= from && clock.now() < to);
  const outage = () => new TroupeError('ERR_BACKEND_UNAVAILABLE', 'limiter backend is down');
  const limiter: LimiterBackend = {
    tryAcquire: (keys, options) =>
      down() ? Promise.reject(outage()) : Promise.resolve(inner.tryAcquire(keys, options)),
    acquire: (keys, options) => (down() ? Promise.reject(outage()) : inner.acquire(keys, options)),
    observe: (key, feedback) => inner.observe(key, feedback),
    usage: (key) => inner.usage(key),
    close: () => inner.close(),
  };
  return limiter;
}

describe('a team under random input and faults (inline)', () => {
  it('never hangs past its bounds, never leaks a secret into the store, refuses bad input unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(faultArb, { minLength: 1, maxLength: 8 }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 5_000 })),
          {
            maxLength: 2,
          },
        ),
        fc.array(fc.oneof(fc.string(), fc.constant(''), fc.integer(), fc.constant(null)), {
          minLength: 1,
          maxLength: 6,
        }),
        async (faults, outageSpans, inputs) => {
          const clock = new SimulatedClock();
          const store = createMemorySessionStore();
          const inner = createRateLimiter({
            clock,
            rules: [{ key: 'faulty', windowMs: 1_000, requests: 3 }],
          });
          const outages = outageSpans.map(
            ([from, length]) => [from, from + length] as [number, number],
          );
          const bus = createBus({ clock });
          const inbox = async () => (await bus.read('inbox:a', { limit: 1_000 })).length;
          const team: Team = createTeam({
            clock,
            state: createSharedState({ clock }),
            limiter: flakyLimiter(inner, clock, outages),
            bus,
            store,
            leaseTimeoutMs: 30_000,
            supervision: { maxRestarts: 2, windowMs: 60_000 },
          });
          try {
            const { defineTool } = await import('@troupe/core');
            const { z } = await import('zod');
            const note = defineTool({
              name: 'note',
              description: 'Notes anything',
              input: z.object({}).passthrough(),
              run: () => 'noted',
            });
            const model = faultyModel(clock, faults);
            await team.spawn(
              defineAgent({ name: 'a', instructions: '', model, tools: [note], maxTurns: 3 }),
              { name: 'a' },
            );
            const sends: Promise<unknown>[] = [];
            for (const input of inputs) {
              const before = await inbox();
              if (typeof input !== 'string' || input === '') {
                // Bad input is refused with a coded error and changes nothing.
                await expect(team.post('a', input as never)).rejects.toMatchObject({
                  code: 'ERR_INVALID_ARGUMENT',
                });
                expect(await inbox()).toBe(before);
                continue;
              }
              sends.push(team.send('a', input));
            }
            // Every wait is bounded: model stalls (50 s), lease waits (30 s), restart backoff,
            // outages. Driving the clock far enough must settle every send and idle the team.
            const settled = Promise.all(sends);
            let done = false;
            settled.then(() => {
              done = true;
            });
            for (let i = 0; i < 400 && !done; i++) {
              await team.settled();
              const next = clock.nextDue();
              if (next === undefined) break;
              await clock.advance(Math.max(0, next - clock.now()));
            }
            expect(done).toBe(true);
            await drive(team, clock, team.idle());
            // The limiter's own counters agree with its entries (never negative, never NaN).
            const usage = inner.usage('faulty') as { requests: number; tokens: number };
            expect(Number.isFinite(usage.requests) && usage.requests >= 0).toBe(true);
            expect(Number.isFinite(usage.tokens) && usage.tokens >= 0).toBe(true);
            await team.close();
            // No secret in any persisted byte: snapshots, history and the session log.
            const persisted = JSON.stringify([
              await store.listSessions(),
              await store.loadSnapshot(`${team.id}/a`),
              await store.loadHistory(`${team.id}/a`),
              await store.readLog({}),
            ]);
            expect(persisted).not.toContain(SECRET);
          } finally {
            await team.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});

describe('the same team in the pool placement under random scripts', () => {
  const kind: Placements = 'pool';
  it('answers every message, whatever the script, and goes idle', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant({ text: 'fine' }),
            fc.constant({ fail: 'ERR_PROVIDER_UNAVAILABLE' }),
            fc.constant({ toolCalls: [{ name: 'slow', arguments: { ms: 200 } }] }),
            fc.constant({ toolCalls: [{ name: 'nope', arguments: {} }] }),
            fc.constant({ toolCalls: [{ name: 'echo', arguments: { text: 5 } }] }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 1, max: 3 }),
        async (steps, messages) => {
          const { team, clock } = makeTeam(kind, {
            supervision: { maxRestarts: 5, windowMs: 60_000 },
          });
          try {
            await team.spawn(PUPPET, { name: 'p' });
            const sends = Array.from({ length: messages }, () => team.send('p', script(...steps)));
            const results = await drive(team, clock, Promise.all(sends));
            for (const result of results) expect(result.status).not.toBe('cancelled');
            await drive(team, clock, team.idle());
            const history: ChatMessage[] = await team.history('p');
            // Each message appears once in history.
            expect(history.filter((m) => m.role === 'user')).toHaveLength(messages);
          } finally {
            await team.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});
