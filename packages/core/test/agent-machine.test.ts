// The agent machine's shared (memoized) transitions against xstate's own, pair by pair.

import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { AGENT_EVENTS } from '../src/agent/lifecycle.js';
import { agentMachine, startAgentActor } from '../src/agent/machine.js';

const EVENTS = Object.values(AGENT_EVENTS);

/** Every event sequence of length `depth` (6^depth). */
function* sequences(depth: number): Generator<(typeof EVENTS)[number][]> {
  if (depth === 0) {
    yield [];
    return;
  }
  for (const head of sequences(depth - 1)) for (const event of EVENTS) yield [...head, event];
}

describe('agent machine', () => {
  it('moves like the same machine without shared transitions, for every sequence of 4 events', () => {
    const reference = createMachine(agentMachine.config);
    for (const events of sequences(4)) {
      const actor = startAgentActor();
      const plain = createActor(reference).start();
      for (const event of events) {
        if (plain.getSnapshot().status !== 'active') break; // final: the actor has stopped
        actor.send(event);
        plain.send(event);
        expect([actor.getSnapshot().value, actor.getSnapshot().status]).toEqual([
          plain.getSnapshot().value,
          plain.getSnapshot().status,
        ]);
      }
      actor.stop();
      plain.stop();
    }
  });

  it('keeps each agent’s state its own when agents share transitions', () => {
    const a = startAgentActor();
    const b = startAgentActor();
    a.send(AGENT_EVENTS.CALL_MODEL);
    a.send(AGENT_EVENTS.RUN_TOOLS);
    b.send(AGENT_EVENTS.CALL_MODEL);
    b.send(AGENT_EVENTS.FAIL);
    expect(a.getSnapshot().value).toBe('runningTools');
    expect(a.getSnapshot().status).toBe('active');
    expect(b.getSnapshot().value).toBe('failed');
    expect(b.getSnapshot().status).toBe('done');
    a.send(AGENT_EVENTS.FINISH);
    expect(a.getSnapshot().value).toBe('done');
    expect(b.getSnapshot().value).toBe('failed');
  });

  it('starts every new actor idle, whatever earlier actors went through', () => {
    const first = startAgentActor();
    first.send(AGENT_EVENTS.CALL_MODEL);
    first.send(AGENT_EVENTS.FAIL);
    const next = startAgentActor();
    expect([next.getSnapshot().value, next.getSnapshot().status]).toEqual(['idle', 'active']);
    next.send(AGENT_EVENTS.WAIT_LEASE);
    expect(next.getSnapshot().value).toBe('waitingForLease');
    expect(startAgentActor().getSnapshot().value).toBe('idle');
  });
});
