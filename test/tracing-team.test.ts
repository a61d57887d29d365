// Tracing of an inline team with the official SDK's in-memory exporter: the span tree of a
// two-agent run with an `ask_agent`, GenAI attributes, a send from inside an active span,
// simulated-clock span times, and a team that traces nothing when no provider is registered.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  SimulatedClock,
  type Team,
  type TeamOptions,
  TroupeError,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AsyncContextManager } from './fixtures/tracing/context-manager.js';
import { children, hrMs, isChildOf, only } from './fixtures/tracing/spans.js';

function setup(tracing: TeamOptions['tracing'], clock = new SimulatedClock()) {
  const team = createTeam({
    id: 'crew',
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    ...(tracing === undefined ? {} : { tracing }),
  });
  return { team, clock };
}

/** `lead` asks `coder`, who claims a file and answers; `lead` then answers. */
async function spawnPair(team: Team, clock: SimulatedClock, coderLatencyMs = 0): Promise<void> {
  const lead = defineAgent({
    name: 'lead',
    instructions: 'Plan the work.',
    model: scriptedModel({
      id: 'openai:gpt-4o-mini',
      steps: (_request, call) =>
        call.turn === 0
          ? {
              toolCalls: [
                { name: 'ask_agent', arguments: { agent: 'coder', task: 'Estimate a.ts' } },
              ],
            }
          : { text: `Plan: ${call.toolResults[0]?.content ?? ''}` },
    }),
  });
  const coder = defineAgent({
    name: 'coder',
    instructions: 'Estimate.',
    model: scriptedModel({
      id: 'anthropic:claude-sonnet-4',
      clock,
      latencyMs: coderLatencyMs,
      usage: { inputTokens: 120, outputTokens: 30 },
      steps: (_request, call) =>
        call.turn === 0
          ? { toolCalls: [{ name: 'claim_region', arguments: { resource: 'a.ts' } }] }
          : { text: '3 days' },
    }),
  });
  await team.spawn(lead, { name: 'lead' });
  await team.spawn(coder, { name: 'coder' });
}

/** Sends and moves the simulated clock until the answer comes. */
async function sendAndRun(team: Team, clock: SimulatedClock, send: () => Promise<unknown>) {
  let done = false;
  const answer = send().finally(() => {
    done = true;
  });
  for (let i = 0; i < 100 && !done; i++) {
    await team.settled();
    const due = clock.nextDue();
    if (due !== undefined) await clock.advance(due - clock.now());
  }
  return answer;
}

const teams: Team[] = [];
afterEach(async () => {
  for (const team of teams.splice(0)) await team.close();
  context.disable();
  trace.disable();
});

describe('tracing a team', () => {
  it('the span tree of a two-agent run: the asked run is a child of the ask_agent call', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const { team, clock } = setup({ tracerProvider: provider });
    teams.push(team);
    await spawnPair(team, clock);

    const result = await sendAndRun(team, clock, () => team.send('lead', 'Plan the sprint'));
    expect(result).toMatchObject({
      status: 'completed',
      text: 'Plan: {"agent":"coder","answer":"3 days"}',
    });
    const spans = exporter.getFinishedSpans();

    const leadRun = only(spans, 'invoke_agent lead');
    const coderRun = only(spans, 'invoke_agent coder');
    const ask = only(spans, 'execute_tool ask_agent');
    const claimCall = only(spans, 'execute_tool claim_region');
    expect(leadRun.parentSpanContext).toBeUndefined(); // a send from outside any span: a new trace
    expect(isChildOf(coderRun, ask)).toBe(true);
    expect(children(spans, leadRun)).toEqual(['troupe.turn', 'troupe.turn']);
    const [leadTurn1, leadTurn2] = spans
      .filter((s) => s.name === 'troupe.turn' && isChildOf(s, leadRun))
      .sort((a, b) => Number(a.attributes['troupe.turn']) - Number(b.attributes['troupe.turn']));
    expect(children(spans, leadTurn1!)).toEqual(['chat gpt-4o-mini', 'execute_tool ask_agent']);
    expect(children(spans, leadTurn2!)).toEqual(['chat gpt-4o-mini']);
    expect(children(spans, coderRun)).toEqual(['troupe.turn', 'troupe.turn']);
    expect(children(spans, claimCall)).toEqual(['troupe.claim']);
    // One trace from the send to the claim.
    const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
    expect(traceIds.size).toBe(1);

    expect(leadRun.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'lead',
      'troupe.team.id': 'crew',
      'troupe.run.status': 'completed',
      'troupe.run.turns': 2,
    });
    const coderChat = spans.find(
      (s) => s.name === 'chat claude-sonnet-4' && s.attributes['troupe.turn'] === 1,
    );
    expect(coderChat?.kind).toBe(2); // SpanKind.CLIENT
    expect(coderChat?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.agent.name': 'coder',
      'troupe.team.id': 'crew',
    });
    expect(ask.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'ask_agent',
      'troupe.tool.outcome': 'ok',
    });
    expect(only(spans, 'troupe.claim').attributes).toMatchObject({
      'troupe.claim.resource': 'a.ts',
      'troupe.claim.outcome': 'granted',
      'gen_ai.agent.name': 'coder',
    });
    expect(coderRun.attributes['gen_ai.usage.input_tokens']).toBe(240);
  });

  it('a handed-off task continues the trace: the next run is a child of the handing-off run', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const { team, clock } = setup({ tracerProvider: provider });
    teams.push(team);
    const triage = defineAgent({
      name: 'triage',
      instructions: 'Route.',
      model: scriptedModel({
        steps: [
          { toolCalls: [{ name: 'handoff', arguments: { agent: 'fixer', message: 'Fix a.ts' } }] },
        ],
      }),
    });
    const fixer = defineAgent({
      name: 'fixer',
      instructions: 'Fix.',
      model: scriptedModel({ steps: [{ text: 'fixed' }] }),
    });
    await team.spawn(triage, { name: 'triage' });
    await team.spawn(fixer, { name: 'fixer' });
    const result = await sendAndRun(team, clock, () => team.send('triage', 'a.ts is broken'));
    expect(result).toMatchObject({ agent: 'fixer', text: 'fixed' });
    const spans = exporter.getFinishedSpans();
    const handing = only(spans, 'invoke_agent triage');
    expect(handing.attributes['troupe.run.status']).toBe('handed_off');
    expect(isChildOf(only(spans, 'invoke_agent fixer'), handing)).toBe(true);
  });

  it('a send from inside an active span continues its trace', async () => {
    context.setGlobalContextManager(new AsyncContextManager());
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const { team, clock } = setup({ tracerProvider: provider });
    teams.push(team);
    await spawnPair(team, clock);
    const outer = provider.getTracer('app');

    await outer.startActiveSpan('handle request', async (span) => {
      await sendAndRun(team, clock, () => team.send('lead', 'Plan the sprint'));
      span.end();
    });
    const spans = exporter.getFinishedSpans();
    const request = only(spans, 'handle request');
    expect(isChildOf(only(spans, 'invoke_agent lead'), request)).toBe(true);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('with a simulated clock, spans last what the clock says (anchored at the wall time)', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const clock = new SimulatedClock(5_000);
    const before = Date.now();
    const { team } = setup({ tracerProvider: provider }, clock);
    teams.push(team);
    await spawnPair(team, clock, 1_500);

    await sendAndRun(team, clock, () => team.send('lead', 'Plan the sprint'));
    const spans = exporter.getFinishedSpans();
    const calls = spans.filter((s) => s.name === 'chat claude-sonnet-4');
    expect(calls.map((s) => hrMs(s.endTime) - hrMs(s.startTime))).toEqual([1_500, 1_500]);
    const leadRun = only(spans, 'invoke_agent lead');
    expect(hrMs(leadRun.endTime) - hrMs(leadRun.startTime)).toBe(3_000);
    // Simulated time 5,000 is the wall time the team was made at, not 1970.
    expect(hrMs(leadRun.startTime)).toBeGreaterThanOrEqual(before);
    expect(hrMs(leadRun.startTime)).toBeLessThan(Date.now());
  });

  it('a failed tool call and a failed run are error spans', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const { team, clock } = setup({ tracerProvider: provider });
    teams.push(team);
    const agent = defineAgent({
      name: 'solo',
      instructions: 'Work.',
      model: scriptedModel({
        steps: [
          { toolCalls: [{ name: 'ask_agent', arguments: { agent: 'nobody', task: 'help' } }] },
          { error: new TroupeError('ERR_PROVIDER_UNAVAILABLE', 'upstream 503') },
        ],
      }),
    });
    await team.spawn(agent, { name: 'solo' });
    const result = await sendAndRun(team, clock, () => team.send('solo', 'go'));
    expect(result).toMatchObject({ status: 'failed' });
    const spans = exporter.getFinishedSpans();
    const ask = only(spans, 'execute_tool ask_agent');
    expect(ask.status.code).toBe(SpanStatusCode.ERROR);
    expect(ask.attributes['error.type']).toBe('error');
    const run = spans.find((s) => s.name === 'invoke_agent solo');
    expect(run?.status.code).toBe(SpanStatusCode.ERROR);
    expect(run?.attributes['troupe.run.status']).toBe('failed');
    const unanswered = spans.filter(
      (s) => s.name === 'chat scripted' && s.status.code === SpanStatusCode.ERROR,
    );
    expect(unanswered).toHaveLength(1);
  });

  it('by default (and with true) a team traces if a global provider is registered when it is made', async () => {
    // Nothing registered: these teams have no tracer and no listener, so no event is built.
    const unset = setup(undefined);
    const on = setup(true);
    teams.push(unset.team, on.team);
    await spawnPair(unset.team, unset.clock);
    await spawnPair(on.team, on.clock);
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    await sendAndRun(unset.team, unset.clock, () => unset.team.send('lead', 'go'));
    await sendAndRun(on.team, on.clock, () => on.team.send('lead', 'go'));
    expect(exporter.getFinishedSpans()).toEqual([]); // decided when each team was made

    const traced = setup(true);
    const byDefault = setup(undefined);
    teams.push(traced.team, byDefault.team);
    for (const { team, clock } of [traced, byDefault]) {
      await spawnPair(team, clock);
      await sendAndRun(team, clock, () => team.send('lead', 'go'));
    }
    const runs = exporter.getFinishedSpans().filter((s) => s.name === 'invoke_agent lead');
    expect(runs).toHaveLength(2);

    const off = setup(false);
    teams.push(off.team);
    await spawnPair(off.team, off.clock);
    const count = exporter.getFinishedSpans().length;
    await sendAndRun(off.team, off.clock, () => off.team.send('lead', 'go'));
    expect(exporter.getFinishedSpans()).toHaveLength(count);
  });

  it('refuses a bad tracing option, naming it', () => {
    expect(() => setup({ tracer: {} as never })).toThrow(/tracing\.tracer must be/);
    expect(() => setup({} as never)).toThrow(/exactly one of tracer and tracerProvider/);
    expect(() => setup('yes' as never)).toThrow(/tracing must be a boolean/);
    expect(() => setup({ tracerProvider: new BasicTracerProvider(), sampler: 1 } as never)).toThrow(
      /tracing: unknown option "sampler"/,
    );
  });
});
