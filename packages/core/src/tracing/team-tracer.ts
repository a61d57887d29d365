import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type Clock, systemClock } from '../clock.js';
import type { EventHub } from '../events/event-hub.js';
import type { TeamEvent, TeamEventOf, TeamEventType } from '../events/team-events.js';
import {
  AGENT,
  FAILED,
  INPUT_TOKENS,
  modelAttributes,
  OPERATION,
  OUTPUT_TOKENS,
  RUN,
  TEAM,
  TURN,
} from './attributes.js';
import { contextOf, formatTraceparent, traceparent } from './traceparent.js';

/** The event types a team tracer listens to: nothing else is built for it. */
export const TRACED_EVENTS: readonly TeamEventType[] = [
  'run.started',
  'run.finished',
  'turn.started',
  'lease.waited',
  'budget.exhausted',
  'model.requested',
  'model.answered',
  'tool.called',
  'tool.returned',
  'claim.granted',
  'claim.conflicted',
  'claim.released',
  'agent.stopped',
];

/** Why a message is posted, for {@link TeamTracer.contextFor}. */
export type TracedMessage = 'send' | 'ask' | 'handoff';

interface ToolSpan {
  readonly span: Span;
  readonly tool: string;
  /** A claim or release span hangs under this call already. */
  used: boolean;
}

interface RunSpans {
  readonly id: string;
  readonly agent: string;
  readonly span: Span;
  readonly ctx: Context;
  turn: Span | undefined;
  turnCtx: Context;
  model: Span | undefined;
  readonly tools: Map<string, ToolSpan>;
  /** `ask_agent` calls whose question is not posted yet, oldest first. */
  readonly asks: string[];
}

/**
 * Builds OpenTelemetry spans from a team's events: a span per run (`invoke_agent <agent>`), per
 * turn, per model call (`chat <model>`), per tool call (`execute_tool <tool>`), per lease wait
 * and per claim, parented by run id, turn and call id. Listening only to {@link TRACED_EVENTS},
 * it costs nothing while not subscribed. Span times are the events' `at`: the team clock's time
 * as is for `systemClock`, and for any other clock (a simulation) anchored at the wall time the
 * tracer was made, so durations are the clock's.
 */
export class TeamTracer {
  readonly #tracer: Tracer;
  readonly #team: string;
  readonly #clock: Clock;
  readonly #offset: number;
  readonly #runs = new Map<string, RunSpans>();
  /** Each agent's run in progress (claim events carry no run id). */
  readonly #current = new Map<string, RunSpans>();
  /** Each agent's last finished run: a handoff posted after it ended continues it. */
  readonly #ended = new Map<string, SpanContext>();

  constructor(tracer: Tracer, team: string, clock: Clock) {
    this.#tracer = tracer;
    this.#team = team;
    this.#clock = clock;
    this.#offset = clock === systemClock ? 0 : systemClock.now() - clock.now();
  }

  /** Subscribes to the hub's traced event types; returns the unsubscribe. */
  listen(hub: EventHub): () => void {
    return hub.onTypes(TRACED_EVENTS, (event) => this.#on(event));
  }

  /**
   * The `traceparent` a message posted now carries: for a send, the caller's active span; for
   * an ask, the asking agent's oldest `ask_agent` call not posted yet; for a handoff, the
   * handing-off agent's run.
   */
  contextFor(kind: TracedMessage, from: string): string | undefined {
    if (kind === 'send') return traceparent();
    if (kind === 'handoff') {
      const ended = this.#ended.get(from);
      return ended === undefined ? undefined : formatTraceparent(ended);
    }
    const run = this.#current.get(from);
    if (run === undefined) return undefined;
    const callId = run.asks.shift();
    const call = callId === undefined ? undefined : run.tools.get(callId);
    return formatTraceparent((call?.span ?? run.span).spanContext());
  }

  /** Ends every span still open (the team closed under them). */
  close(): void {
    const end = this.#time(this.#clock.now());
    for (const run of this.#runs.values()) this.#endRun(run, end, 'team closed');
    this.#runs.clear();
    this.#current.clear();
    this.#ended.clear();
  }

  #time(at: number): number {
    return at + this.#offset;
  }

  #start(
    name: string,
    at: number,
    parent: Context,
    attributes: Attributes,
    kind = SpanKind.INTERNAL,
  ): Span {
    return this.#tracer.startSpan(name, { kind, startTime: this.#time(at), attributes }, parent);
  }

  #on(event: TeamEvent): void {
    switch (event.type) {
      case 'run.started':
        this.#runStarted(event);
        break;
      case 'run.finished':
        this.#finished(event);
        break;
      case 'turn.started':
        this.#turnStarted(event);
        break;
      case 'lease.waited':
        this.#leaseWaited(event);
        break;
      case 'budget.exhausted':
        this.#runs
          .get(event.runId)
          ?.span.addEvent(
            'troupe.budget_exhausted',
            { 'troupe.limiter.keys': [...event.keys] },
            this.#time(event.at),
          );
        break;
      case 'model.requested':
        this.#modelRequested(event);
        break;
      case 'model.answered':
        this.#modelAnswered(event);
        break;
      case 'tool.called':
        this.#toolCalled(event);
        break;
      case 'tool.returned':
        this.#toolReturned(event);
        break;
      case 'claim.granted':
      case 'claim.conflicted':
      case 'claim.released':
        this.#claim(event);
        break;
      case 'agent.stopped':
        this.#ended.delete(event.agent);
        break;
      default:
        break;
    }
  }

  #leaseWaited(event: TeamEventOf<'lease.waited'>): void {
    const run = this.#runs.get(event.runId);
    if (run === undefined) return;
    const span = this.#start('troupe.lease_wait', event.at - event.waitedMs, run.turnCtx, {
      [AGENT]: event.agent,
      [TEAM]: this.#team,
      [RUN]: event.runId,
      'troupe.lease.waited_ms': event.waitedMs,
    });
    span.end(this.#time(event.at));
  }

  #runStarted(event: TeamEventOf<'run.started'>): void {
    const { agent, runId, at } = event;
    // An agent runs one message at a time: a run still open here never reported its end (its
    // pool worker died, say), so it ends now instead of staying open until the team closes.
    const stale = this.#current.get(agent);
    if (stale !== undefined) {
      stale.span.setStatus({ code: SpanStatusCode.ERROR, message: 'no end reported' });
      this.#endRun(stale, this.#time(at), 'no end reported');
      this.#runs.delete(stale.id);
    }
    const span = this.#start(`invoke_agent ${agent}`, at, contextOf(event.trace), {
      [OPERATION]: 'invoke_agent',
      [AGENT]: agent,
      [TEAM]: this.#team,
      [RUN]: runId,
    });
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    const run: RunSpans = {
      id: runId,
      agent,
      span,
      ctx,
      turn: undefined,
      turnCtx: ctx,
      model: undefined,
      tools: new Map(),
      asks: [],
    };
    this.#runs.set(runId, run);
    this.#current.set(agent, run);
  }

  #turnStarted(event: TeamEventOf<'turn.started'>): void {
    const run = this.#runs.get(event.runId);
    if (run === undefined) return;
    run.turn?.end(this.#time(event.at));
    run.turn = this.#start('troupe.turn', event.at, run.ctx, {
      [AGENT]: event.agent,
      [TEAM]: this.#team,
      [RUN]: event.runId,
      [TURN]: event.turn,
    });
    run.turnCtx = trace.setSpan(run.ctx, run.turn);
  }

  #modelRequested(event: TeamEventOf<'model.requested'>): void {
    const run = this.#runs.get(event.runId);
    if (run === undefined) return;
    const model = modelAttributes(event.model);
    const name = model['gen_ai.request.model'] ?? 'model';
    run.model?.end(this.#time(event.at));
    run.model = this.#start(
      `chat ${String(name)}`,
      event.at,
      run.turnCtx,
      {
        [OPERATION]: 'chat',
        ...model,
        [AGENT]: event.agent,
        [TEAM]: this.#team,
        [RUN]: event.runId,
        [TURN]: event.turn,
        'troupe.model.messages': event.messages,
      },
      SpanKind.CLIENT,
    );
  }

  #modelAnswered(event: TeamEventOf<'model.answered'>): void {
    const run = this.#runs.get(event.runId);
    const span = run?.model;
    if (run === undefined || span === undefined) return;
    run.model = undefined;
    span.setAttributes({
      [INPUT_TOKENS]: event.inputTokens,
      [OUTPUT_TOKENS]: event.outputTokens,
      'gen_ai.response.finish_reasons': [event.stopReason],
      'troupe.model.tool_calls': event.toolCalls,
    });
    span.end(this.#time(event.at));
  }

  #toolCalled(event: TeamEventOf<'tool.called'>): void {
    const run = this.#runs.get(event.runId);
    if (run === undefined) return;
    const { tool, callId } = event;
    const span = this.#start(`execute_tool ${tool}`, event.at, run.turnCtx, {
      [OPERATION]: 'execute_tool',
      'gen_ai.tool.name': tool,
      'gen_ai.tool.call.id': callId,
      'gen_ai.tool.type': 'function',
      [AGENT]: event.agent,
      [TEAM]: this.#team,
      [RUN]: event.runId,
    });
    run.tools.set(callId, { span, tool, used: false });
    if (tool === 'ask_agent') run.asks.push(callId);
  }

  #toolReturned(event: TeamEventOf<'tool.returned'>): void {
    const run = this.#runs.get(event.runId);
    const call = run?.tools.get(event.callId);
    if (run === undefined || call === undefined) return;
    run.tools.delete(event.callId);
    const ask = run.asks.indexOf(event.callId);
    if (ask >= 0) run.asks.splice(ask, 1); // refused before its question was posted
    const outcome = event.outcome ?? (event.isError ? 'error' : 'ok');
    call.span.setAttribute('troupe.tool.outcome', outcome);
    if (event.isError) {
      call.span.setAttribute('error.type', outcome);
      call.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    }
    call.span.end(this.#time(event.at));
  }

  /** A claim or release: a point in time under the tool call that made it (or the turn). */
  #claim(
    event:
      | TeamEventOf<'claim.granted'>
      | TeamEventOf<'claim.conflicted'>
      | TeamEventOf<'claim.released'>,
  ): void {
    const run = this.#current.get(event.agent);
    const released = event.type === 'claim.released';
    const tool = released ? 'release_region' : 'claim_region';
    let parent = run?.turnCtx ?? ROOT_CONTEXT;
    if (run !== undefined) {
      for (const call of run.tools.values()) {
        if (call.used || call.tool !== tool) continue;
        call.used = true;
        parent = trace.setSpan(run.turnCtx, call.span);
        break;
      }
    }
    const attributes: Attributes = {
      [AGENT]: event.agent,
      [TEAM]: this.#team,
      'troupe.claim.resource': event.resource,
    };
    if (run !== undefined) attributes[RUN] = run.id;
    if (event.type === 'claim.released') attributes['troupe.claim.released'] = event.released;
    else {
      attributes['troupe.claim.outcome'] =
        event.type === 'claim.granted' ? 'granted' : 'conflicted';
      attributes['troupe.claim.start'] = event.start;
      attributes['troupe.claim.end'] = event.end;
      if (event.type === 'claim.granted') attributes['troupe.claim.token'] = event.token;
      else attributes['troupe.claim.holder'] = event.holder;
    }
    const span = this.#start(
      released ? 'troupe.release' : 'troupe.claim',
      event.at,
      parent,
      attributes,
    );
    span.end(this.#time(event.at));
  }

  #finished(event: TeamEventOf<'run.finished'>): void {
    const run = this.#runs.get(event.runId);
    if (run === undefined) return;
    const { span } = run;
    span.setAttributes({
      'troupe.run.status': event.status,
      'troupe.run.turns': event.turns,
      [INPUT_TOKENS]: event.usage.inputTokens,
      [OUTPUT_TOKENS]: event.usage.outputTokens,
      'troupe.usage.cost_usd': event.usage.costUsd,
    });
    if (FAILED.has(event.status)) {
      span.setAttribute('error.type', event.status);
      span.setStatus({ code: SpanStatusCode.ERROR, message: event.status });
    }
    this.#endRun(run, this.#time(event.at), `run ${event.status}`);
    this.#runs.delete(event.runId);
    if (this.#current.get(run.agent) === run) this.#current.delete(run.agent);
    this.#ended.set(run.agent, span.spanContext());
  }

  /** Ends the run's span and what is still open under it (calls it abandoned, a model call). */
  #endRun(run: RunSpans, end: number, why: string): void {
    for (const call of run.tools.values()) {
      call.span.setAttribute('troupe.tool.outcome', 'abandoned');
      call.span.setStatus({ code: SpanStatusCode.ERROR, message: `abandoned: ${why}` });
      call.span.end(end);
    }
    run.tools.clear();
    if (run.model !== undefined) {
      run.model.setStatus({ code: SpanStatusCode.ERROR, message: `no answer: ${why}` });
      run.model.end(end);
      run.model = undefined;
    }
    run.turn?.end(end);
    run.turn = undefined;
    run.span.end(end);
  }
}
