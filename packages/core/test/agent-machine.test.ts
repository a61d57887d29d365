// The agent statechart on its own: it decides, effects are recorded. Driven through xstate's
// public API (createActor, send, getSnapshot, the pure transition function).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, getNextSnapshot } from 'xstate';
import { ActorHost } from '../src/agent/actor-host.js';
import {
  type AgentEffects,
  type AgentEvent,
  agentMachine,
  type WhenBusy,
} from '../src/agent/machine.js';
import type { Mail } from '../src/agent/mail.js';
import { TroupeError } from '../src/errors.js';

const mail = (seq: number): Mail => ({
  seq,
  id: undefined,
  kind: 'message',
  from: 'user',
  text: `m${seq}`,
  at: 0,
});

/** Effects that only record what the chart ordered; `queued` and `turns` steer its guards. */
function recorder() {
  const calls: string[] = [];
  const state = { queued: 0, turnsLeft: true };
  const effects: AgentEffects = {
    beginRun: (mails) => calls.push(`begin:${mails.map((m) => m.seq).join(',')}`),
    beginQueuedRun: () => {
      calls.push(`beginQueued:${state.queued}`);
      state.queued = 0;
    },
    requestLease: () => calls.push('lease'),
    callModel: () => calls.push('model'),
    runTools: () => calls.push('tools'),
    awaitApproval: () => calls.push('approval'),
    beginPausedRun: () => calls.push('beginPaused'),
    askRepair: () => calls.push('repair'),
    enqueue: (mails) => {
      state.queued += mails.length;
      calls.push(`enqueue:${mails.length}`);
    },
    steer: (mails) => calls.push(`steer:${mails.length}`),
    stopRun: (status) => calls.push(`stop:${status}`),
    endRun: (status) => calls.push(`end:${status}`),
    failRun: (error) => calls.push(`fail:${error.code}`),
    hasQueued: () => state.queued > 0,
    turnsLeft: () => state.turnsLeft,
  };
  return { calls, state, effects };
}

function start(whenBusy: WhenBusy = 'queue') {
  const rec = recorder();
  const actor = createActor(agentMachine, { input: { effects: rec.effects, whenBusy } });
  actor.start();
  const send = (event: AgentEvent) => actor.send(event);
  const value = () => actor.getSnapshot().value;
  return { ...rec, actor, send, value };
}

describe('agent statechart', () => {
  it('starts a run on a message to an idle agent: lease, model, tools, and round again', () => {
    const a = start();
    expect(a.value()).toBe('idle');
    a.send({ type: 'MAIL', mails: [mail(1)] });
    expect(a.value()).toEqual({ busy: 'waitingForLease' });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'ANSWERED', kind: 'tools' });
    expect(a.value()).toEqual({ busy: 'runningTools' });
    a.send({ type: 'TOOLS_DONE', handedOff: false });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'ANSWERED', kind: 'final' });
    expect(a.value()).toBe('done');
    expect(a.calls).toEqual([
      'begin:1',
      'lease',
      'model',
      'tools',
      'lease',
      'model',
      'end:completed',
    ]);
  });

  it('pauses for approval between the model answer and the tools, and resumes a stored pause', () => {
    const a = start('queue');
    a.send({ type: 'MAIL', mails: [mail(1)] });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'ANSWERED', kind: 'approval' });
    expect(a.value()).toEqual({ busy: 'awaitingApproval' });
    a.send({ type: 'MAIL', mails: [mail(2)] }); // busy: queued like in any busy state
    a.send({ type: 'APPROVALS_DONE' });
    expect(a.value()).toEqual({ busy: 'runningTools' });
    expect(a.calls).toEqual(['begin:1', 'lease', 'model', 'approval', 'enqueue:1', 'tools']);

    const b = start();
    b.send({ type: 'RESUME_PAUSED' });
    expect(b.value()).toEqual({ busy: 'awaitingApproval' });
    b.send({ type: 'CANCEL' });
    expect(b.value()).toBe('idle');
    expect(b.calls).toEqual(['beginPaused', 'approval', 'stop:cancelled']);
  });

  it('queues messages to a busy agent and takes them all in the next run', () => {
    const a = start('queue');
    a.send({ type: 'MAIL', mails: [mail(1)] });
    a.send({ type: 'MAIL', mails: [mail(2)] });
    a.send({ type: 'MAIL', mails: [mail(3)] });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'ANSWERED', kind: 'final' });
    // The run ended with two messages queued: a new run on both, at once.
    expect(a.value()).toEqual({ busy: 'waitingForLease' });
    expect(a.calls).toEqual([
      'begin:1',
      'lease',
      'enqueue:1',
      'enqueue:1',
      'model',
      'end:completed',
      'beginQueued:2',
      'lease',
    ]);
  });

  it('steers a message into the running conversation', () => {
    const a = start('steer');
    a.send({ type: 'MAIL', mails: [mail(1)] });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'MAIL', mails: [mail(2)] });
    expect(a.value()).toEqual({ busy: 'callingModel' });
    expect(a.calls.slice(-1)).toEqual(['steer:1']);
  });

  it('interrupts the run in progress and starts one on the new message', () => {
    const a = start('interrupt');
    a.send({ type: 'MAIL', mails: [mail(1)] });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'MAIL', mails: [mail(2)] });
    expect(a.value()).toEqual({ busy: 'waitingForLease' });
    expect(a.calls).toEqual(['begin:1', 'lease', 'model', 'stop:interrupted', 'begin:2', 'lease']);
  });

  it('repairs structured output, then fails the run when the answer stays invalid', () => {
    const a = start();
    a.send({ type: 'MAIL', mails: [mail(1)] });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'ANSWERED', kind: 'repair' });
    expect(a.value()).toEqual({ busy: 'waitingForLease' });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'ANSWERED', kind: 'invalid' });
    expect(a.value()).toBe('done');
    expect(a.calls.slice(2)).toEqual(['model', 'repair', 'lease', 'model', 'end:failed']);
  });

  it('ends a run at maxTurns, on a handoff, on a bound, and fails for good on FAIL', () => {
    const a = start();
    a.state.turnsLeft = false;
    a.send({ type: 'MAIL', mails: [mail(1)] });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'ANSWERED', kind: 'tools' });
    a.send({ type: 'TOOLS_DONE', handedOff: false });
    expect(a.calls.at(-1)).toBe('end:max_turns');
    a.send({ type: 'MAIL', mails: [mail(2)] });
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'ANSWERED', kind: 'tools' });
    a.send({ type: 'TOOLS_DONE', handedOff: true });
    expect(a.calls.at(-1)).toBe('end:handed_off');
    a.send({ type: 'MAIL', mails: [mail(3)] });
    a.send({ type: 'END', status: 'budget_exhausted' });
    expect([a.value(), a.calls.at(-1)]).toEqual(['done', 'end:budget_exhausted']);
    a.send({ type: 'MAIL', mails: [mail(4)] });
    a.send({ type: 'FAIL', error: new TroupeError('ERR_INTERNAL', 'boom') });
    expect(a.actor.getSnapshot().status).toBe('done');
    expect(a.calls.at(-1)).toBe('fail:ERR_INTERNAL');
  });

  it('cancels to idle, and an idle agent ignores what only a run can receive', () => {
    const a = start();
    a.send({ type: 'LEASE_GRANTED' });
    a.send({ type: 'ANSWERED', kind: 'final' });
    expect([a.value(), a.calls]).toEqual(['idle', []]);
    a.send({ type: 'MAIL', mails: [mail(1)] });
    a.send({ type: 'CANCEL' });
    expect([a.value(), a.calls.at(-1)]).toEqual(['idle', 'stop:cancelled']);
  });

  it('is a pure function of snapshot and event through xstate’s own transition API', () => {
    const a = start();
    const snapshot = a.actor.getSnapshot();
    const next = getNextSnapshot(agentMachine, snapshot, { type: 'MAIL', mails: [mail(1)] });
    expect(next.value).toEqual({ busy: 'waitingForLease' });
    // Computing a snapshot ran no effect and moved no actor.
    expect([a.value(), a.calls]).toEqual(['idle', []]);
  });
});

describe('the table-driven chart', () => {
  const EVENTS: AgentEvent[] = [
    { type: 'MAIL', mails: [mail(1)] },
    { type: 'LEASE_GRANTED' },
    { type: 'ANSWERED', kind: 'tools' },
    { type: 'ANSWERED', kind: 'final' },
    { type: 'ANSWERED', kind: 'repair' },
    { type: 'ANSWERED', kind: 'invalid' },
    { type: 'ANSWERED', kind: 'approval' },
    { type: 'APPROVALS_DONE' },
    { type: 'RESUME_PAUSED' },
    { type: 'TOOLS_DONE', handedOff: false },
    { type: 'TOOLS_DONE', handedOff: true },
    { type: 'END', status: 'rate_limited' },
    { type: 'CANCEL' },
    { type: 'FAIL', error: new TroupeError('ERR_INTERNAL', 'boom') },
  ];

  /** Recording effects whose guard answers follow a shared script. */
  function host(inspect: boolean, script: { queued: boolean; turnsLeft: boolean }) {
    const calls: string[] = [];
    const effects = new Proxy({} as AgentEffects, {
      get: (_target, name) => {
        if (name === 'hasQueued') return () => script.queued;
        if (name === 'turnsLeft') return () => script.turnsLeft;
        return (...args: unknown[]) =>
          calls.push(`${String(name)}${args.length > 0 ? `:${JSON.stringify(args[0])}` : ''}`);
      },
    });
    const states: string[] = [];
    const chart = new ActorHost(effects, 'queue', inspect ? () => {} : undefined, (state) =>
      states.push(state),
    );
    return { chart, calls, states };
  }

  it('moves and orders effects exactly as xstate’s own actor does, for random sequences', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            event: fc.integer({ min: 0, max: EVENTS.length - 1 }),
            queued: fc.boolean(),
            turnsLeft: fc.boolean(),
          }),
          { maxLength: 25 },
        ),
        (steps) => {
          const script = { queued: false, turnsLeft: true };
          const table = host(false, script);
          const actor = host(true, script);
          for (const step of steps) {
            script.queued = step.queued;
            script.turnsLeft = step.turnsLeft;
            const event = EVENTS[step.event]!;
            table.chart.send(event);
            actor.chart.send(event);
            expect([table.chart.state, table.chart.active]).toEqual([
              actor.chart.state,
              actor.chart.active,
            ]);
          }
          expect(table.calls).toEqual(actor.calls);
          expect(table.states).toEqual(actor.states);
        },
      ),
      { numRuns: 300 },
    );
  });
});
