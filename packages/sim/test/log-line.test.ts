// The hand-written log line against JSON.stringify, for every event type, any strings and numbers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SimEvent } from '../src/events.js';
import { logLine } from '../src/log-line.js';

const text = fc.string({ unit: 'binary', maxLength: 12 });
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, Number.NaN, Infinity));
const base = { t: number, team: number, agent: text };

// Fields in the order SimEvent declares them (the order every emitter builds them in).
const events: fc.Arbitrary<SimEvent> = fc
  .oneof(
    fc.record({ ...base, type: fc.constantFrom('turn.started', 'turn.ended'), turn: number }),
    fc.record({
      ...base,
      type: fc.constant('model.answered'),
      latencyMs: number,
      inputTokens: number,
      outputTokens: number,
      costUsd: number,
    }),
    fc.record({
      ...base,
      type: fc.constant('claim.granted'),
      resource: text,
      start: number,
      end: number,
    }),
    fc.record({ ...base, type: fc.constant('claim.conflicted'), resource: text, holder: text }),
    fc.record({ ...base, type: fc.constant('claim.released'), resource: text }),
    fc.record({ ...base, type: fc.constant('region.done'), resource: text, region: number }),
    fc.record({
      ...base,
      type: fc.constantFrom('discovery.shared', 'message.posted'),
      topic: text,
    }),
    fc.record({ ...base, type: fc.constant('lease.waited'), waitMs: number }),
    fc.record({ ...base, type: fc.constant('model.failed'), code: text, fault: text }),
    fc.record({ ...base, type: fc.constant('agent.failed'), reason: text }),
    fc.record({ ...base, type: fc.constant('agent.restarted'), restarts: number }),
  )
  .map((event) => {
    // fc.record builds keys in its own order: rebuild in the declared one (t, team, type, agent, ...).
    const { t, team, type, agent, ...rest } = event as SimEvent & { agent: string };
    return { t, team, type, agent, ...rest } as SimEvent;
  });

describe('logLine', () => {
  it('writes exactly what JSON.stringify writes, for every event type', () => {
    fc.assert(
      fc.property(events, (event) => {
        expect(logLine(event)).toBe(JSON.stringify(event));
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes run.started and run.finished (the generic path) like JSON.stringify', () => {
    const started: SimEvent = {
      t: 0,
      team: 3,
      type: 'run.started',
      scenario: 'a "quoted" name',
      seed: 7,
      agents: ['dev-1', 'dev-2'],
      regions: 12,
    };
    const finished: SimEvent = {
      t: 99,
      team: 3,
      type: 'run.finished',
      reason: 'work-done',
      regionsDone: 12,
      regions: 12,
    };
    expect(logLine(started)).toBe(JSON.stringify(started));
    expect(logLine(finished)).toBe(JSON.stringify(finished));
  });
});
