import {
  type Clock,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type Rng,
  type ToolCall,
  TroupeError,
} from '@troupe/core';
import type { SimEvent } from '../events.js';
import { sleep } from '../internal/sleep.js';
import type { Scenario } from '../scenario.js';
import { requestTokens } from '../team/request-tokens.js';
import { isSummaryRequest, summaryAnswer } from '../team/summary-call.js';
import type { Board, Region } from './board.js';

/** What one simulated agent is doing, updated by the team's claim events as they happen. */
export interface AgentBrain {
  phase: 'pick' | 'claiming' | 'editing' | 'finishing' | 'releasing';
  task: Region | undefined;
  turnsLeft: number;
}

export interface AgentModelOptions {
  readonly agent: string;
  /** Workers claim and edit regions; observers (roles without claim_region) follow progress. */
  readonly kind: 'worker' | 'observer';
  readonly brain: AgentBrain;
  readonly board: Board;
  readonly scenario: Scenario;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly emit: (event: SimEvent) => void;
  readonly team: number;
  /** Counts every model call of the team (for the stopping rule). */
  readonly calls: { count: number };
}

const MAX_ATTEMPTS = 6;

type Fault = 'rate_limited' | 'server_error' | 'timeout';
type Decision = Pick<ModelResponse, 'text' | 'toolCalls' | 'stopReason'>;

const CODES = {
  rate_limited: 'ERR_PROVIDER_RATE_LIMITED',
  timeout: 'ERR_TIMEOUT',
  server_error: 'ERR_PROVIDER_UNAVAILABLE',
} as const;

/**
 * The scripted model of one simulated agent: a policy over the synthetic codebase. It picks an
 * open region when the call starts (so agents whose calls overlap can pick the same one and
 * conflict, as real ones do), claims it, edits it for the region's turns, then releases it and
 * sometimes shares a discovery or messages the team. Latency, tokens and faults are drawn from
 * the scenario's distributions with the agent's own seeded rng; injected provider faults are
 * retried inside the call with backoff on the clock, as a real provider client would.
 */
export function createAgentModel(options: AgentModelOptions): Model {
  return new AgentModel(options);
}

/** {@link createAgentModel}'s model: one per agent, all its state in fields (no per-call closures). */
class AgentModel implements Model {
  readonly id: string;
  readonly #o: AgentModelOptions;
  readonly #b: Scenario['behaviour'];
  readonly #f: Scenario['faults'];
  readonly #sigma: number;
  readonly #meanTokens: number;

  constructor(options: AgentModelOptions) {
    this.#o = options;
    this.id = `sim:${options.agent}`;
    const b = options.scenario.behaviour;
    this.#b = b;
    this.#f = options.scenario.faults;
    this.#sigma =
      b.latencyMs.median > 0
        ? Math.log(Math.max(b.latencyMs.p95, b.latencyMs.median) / b.latencyMs.median) / 1.645
        : 0;
    this.#meanTokens =
      (b.inputTokens[0] + b.inputTokens[1] + b.outputTokens[0] + b.outputTokens[1]) / 2;
  }

  estimateTokens(): number {
    return this.#meanTokens;
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    const { kind, brain, board, clock, rng, calls } = this.#o;
    const started = clock.now();
    calls.count++;
    // Awaited only when a fault was injected: a call without one goes on in this tick.
    const faulted = this.#faults(request);
    if (faulted !== undefined) await faulted;
    if (isSummaryRequest(request)) return this.#summarize(request, started);
    // A worker with nothing in hand chooses its target now, before the call's latency:
    // agents whose calls overlap may choose the same region and one of them will conflict.
    if (kind === 'worker' && brain.phase === 'pick' && brain.task === undefined) {
      brain.task = board.pickOpen(rng);
    }
    const latencyMs = this.#latency();
    // Not `request.signal`: reading it makes the run an AbortController (which Node keeps past
    // young-generation collections: every one is promoted, with what it holds), and nothing
    // here needs it. The engine interrupts and cancels no run before the team closes (drivers
    // send one task at a time into queueing agents), and once it closes the clock stops: a
    // call still sleeping then is dropped with its team, as an aborted one would be.
    if (latencyMs > 0) await sleep(clock, latencyMs, undefined);
    const answer = this.#decide();
    const b = this.#b;
    const inputTokens = this.#draw(b.inputTokens);
    const outputTokens = this.#draw(b.outputTokens);
    const costUsd = (inputTokens * b.inputPricePerMTok + outputTokens * b.outputPricePerMTok) / 1e6;
    this.#answered(started, inputTokens, outputTokens, costUsd);
    return {
      text: answer.text,
      toolCalls: answer.toolCalls,
      stopReason: answer.stopReason,
      usage: { inputTokens, outputTokens, costUsd },
    };
  }

  /**
   * A compaction's summary call (an agent with a context policy): a summary of bounded size,
   * billed by the request it got. It is not a turn: the agent's brain is left as it is.
   */
  async #summarize(request: ModelRequest, started: number): Promise<ModelResponse> {
    await sleep(this.#o.clock, this.#latency(), request.signal);
    const b = this.#b;
    const inputTokens = requestTokens(request);
    const { text, outputTokens } = summaryAnswer(
      this.#o.agent,
      request,
      this.#draw(b.outputTokens),
    );
    const costUsd = (inputTokens * b.inputPricePerMTok + outputTokens * b.outputPricePerMTok) / 1e6;
    this.#answered(started, inputTokens, outputTokens, costUsd);
    return {
      text,
      toolCalls: [],
      stopReason: 'end',
      usage: { inputTokens, outputTokens, costUsd },
    };
  }

  #answered(started: number, inputTokens: number, outputTokens: number, costUsd: number): void {
    const { clock, team, agent } = this.#o;
    const t = clock.now();
    this.#o.emit({
      t,
      team,
      type: 'model.answered',
      agent,
      latencyMs: t - started,
      inputTokens,
      outputTokens,
      costUsd,
    });
  }

  #draw([min, max]: readonly [number, number]): number {
    return this.#o.rng.int(Math.round(min), Math.round(max));
  }

  #latency(): number {
    const { median } = this.#b.latencyMs;
    if (median <= 0) return 0;
    // A lognormal draw: a standard normal (Box-Muller) from the agent's seeded rng.
    const rng = this.#o.rng;
    const u = 1 - rng.next();
    const v = rng.next();
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.round(median * Math.exp(this.#sigma * g));
  }

  /** One fault roll per attempt (and one for a crash, when crashes are on). */
  #roll(): Fault | undefined {
    const f = this.#f;
    const roll = this.#o.rng.next();
    if (roll < f.rateLimited) return 'rate_limited';
    if (roll < f.rateLimited + f.serverError) return 'server_error';
    if (roll < f.rateLimited + f.serverError + f.timeout) return 'timeout';
    return undefined;
  }

  /**
   * The injected faults of one call: `undefined` when the first roll injects none (the common
   * case, with no promise to await), else the retries, with backoff on the clock, until an
   * attempt gets through or the last one fails. A crash fails the call at once.
   */
  #faults(request: ModelRequest): Promise<void> | undefined {
    const { agent, clock, rng, emit, team } = this.#o;
    const f = this.#f;
    if (f.crash > 0 && rng.next() < f.crash) {
      emit({
        t: clock.now(),
        team,
        type: 'model.failed',
        agent,
        code: 'ERR_INTERNAL',
        fault: 'crash',
      });
      return Promise.reject(new TroupeError('ERR_INTERNAL', `injected crash of agent ${agent}`));
    }
    const fault = this.#roll();
    return fault === undefined ? undefined : this.#retry(request, fault);
  }

  async #retry(request: ModelRequest, first: Fault): Promise<void> {
    const { agent, clock, rng, emit, team } = this.#o;
    let fault: Fault | undefined = first;
    for (let attempt = 0; fault !== undefined; attempt++, fault = this.#roll()) {
      const code = CODES[fault];
      emit({ t: clock.now(), team, type: 'model.failed', agent, code, fault });
      if (attempt + 1 >= MAX_ATTEMPTS)
        throw new TroupeError(code, `injected ${fault}, ${MAX_ATTEMPTS} attempts`);
      let waitMs: number;
      if (fault === 'rate_limited') {
        waitMs = rng.int(1_000, 5_000);
        request.onRateLimit?.({ retryAfterMs: waitMs });
      } else if (fault === 'timeout') {
        waitMs = this.#f.timeoutMs;
      } else {
        waitMs = Math.round(500 * 2 ** attempt * (0.5 + rng.next()));
      }
      await sleep(clock, waitMs, request.signal);
    }
  }

  #call(name: string, args: Record<string, unknown>): ToolCall {
    return { id: `${this.#o.agent}-${this.#o.calls.count}-${name}`, name, arguments: args };
  }

  #decide(): Decision {
    const { kind, brain, board } = this.#o;
    if (kind === 'observer') {
      if (board.complete) return { text: 'Review complete.', toolCalls: [], stopReason: 'end' };
      return {
        text: '',
        toolCalls: [this.#call('wait_messages', { topic: 'progress', timeoutMs: 20_000 })],
        stopReason: 'tool_calls',
      };
    }
    if (brain.phase === 'editing' && brain.task) {
      brain.turnsLeft--;
      if (brain.turnsLeft <= 0) brain.phase = 'finishing';
      const { resource, start, end } = brain.task;
      return {
        text: '',
        toolCalls: [this.#call('edit_region', { resource, start, end })],
        stopReason: 'tool_calls',
      };
    }
    if (brain.phase === 'finishing' && brain.task) return this.#finish(brain, brain.task);
    // 'pick', or a claim that neither was granted nor conflicted (the tool failed): pick again.
    // A region chosen at the start of the call that someone finished meanwhile is dropped
    // (the agent sees the new code); one someone else is still on is claimed and conflicts.
    if (brain.task?.status === 'done') brain.task = undefined;
    const region = brain.task ?? board.pickOpen(this.#o.rng);
    if (region === undefined)
      return { text: 'No open work left.', toolCalls: [], stopReason: 'end' };
    brain.task = region;
    brain.phase = 'claiming';
    const { resource, start, end } = region;
    return {
      text: '',
      toolCalls: [this.#call('claim_region', { resource, start, end })],
      stopReason: 'tool_calls',
    };
  }

  /** The region is edited: release it, sometimes share a discovery or message the team. */
  #finish(brain: AgentBrain, task: Region): Decision {
    const { rng, agent } = this.#o;
    const b = this.#b;
    brain.phase = 'releasing';
    const { resource } = task;
    const toolCalls = [this.#call('release_region', { resource })];
    if (rng.next() < b.discoveryProbability) {
      toolCalls.push(
        this.#call('share_discovery', {
          topic: 'patterns',
          content: `pattern found in ${resource}`,
        }),
      );
    }
    if (rng.next() < b.messageProbability) {
      toolCalls.push(
        this.#call('post_message', {
          topic: 'progress',
          body: `${agent} finished ${resource}:${task.start}`,
        }),
      );
    }
    return { text: '', toolCalls, stopReason: 'tool_calls' };
  }
}
