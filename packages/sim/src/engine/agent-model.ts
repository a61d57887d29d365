import {
  abortedError,
  type Clock,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type Rng,
  TroupeError,
} from '@troupe/core';
import type { SimEvent } from '../events.js';
import type { Scenario } from '../scenario.js';
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

function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal, 'model call'));
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortedError(signal, 'model call'));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A standard normal draw (Box-Muller) from a seeded rng. */
function gaussian(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * The scripted model of one simulated agent: a policy over the synthetic codebase. It picks an
 * open region when the call starts (so agents whose calls overlap can pick the same one and
 * conflict, as real ones do), claims it, edits it for the region's turns, then releases it and
 * sometimes shares a discovery or messages the team. Latency, tokens and faults are drawn from
 * the scenario's distributions with the agent's own seeded rng; injected provider faults are
 * retried inside the call with backoff on the clock, as a real provider client would.
 */
export function createAgentModel(options: AgentModelOptions): Model {
  const { agent, kind, brain, board, scenario, clock, rng, emit, team, calls } = options;
  const b = scenario.behaviour;
  const f = scenario.faults;
  const sigma =
    b.latencyMs.median > 0
      ? Math.log(Math.max(b.latencyMs.p95, b.latencyMs.median) / b.latencyMs.median) / 1.645
      : 0;
  const draw = ([min, max]: readonly [number, number]) => rng.int(Math.round(min), Math.round(max));
  const meanTokens =
    (b.inputTokens[0] + b.inputTokens[1] + b.outputTokens[0] + b.outputTokens[1]) / 2;

  const latency = (): number =>
    b.latencyMs.median <= 0 ? 0 : Math.round(b.latencyMs.median * Math.exp(sigma * gaussian(rng)));

  async function faults(request: ModelRequest): Promise<void> {
    if (f.crash > 0 && rng.next() < f.crash) {
      emit({
        t: clock.now(),
        team,
        type: 'model.failed',
        agent,
        code: 'ERR_INTERNAL',
        fault: 'crash',
      });
      throw new TroupeError('ERR_INTERNAL', `injected crash of agent ${agent}`);
    }
    for (let attempt = 0; ; attempt++) {
      const roll = rng.next();
      let fault: 'rate_limited' | 'server_error' | 'timeout' | undefined;
      if (roll < f.rateLimited) fault = 'rate_limited';
      else if (roll < f.rateLimited + f.serverError) fault = 'server_error';
      else if (roll < f.rateLimited + f.serverError + f.timeout) fault = 'timeout';
      if (fault === undefined) return;
      const code =
        fault === 'rate_limited'
          ? 'ERR_PROVIDER_RATE_LIMITED'
          : fault === 'timeout'
            ? 'ERR_TIMEOUT'
            : 'ERR_PROVIDER_UNAVAILABLE';
      emit({ t: clock.now(), team, type: 'model.failed', agent, code, fault });
      if (attempt + 1 >= MAX_ATTEMPTS)
        throw new TroupeError(code, `injected ${fault}, ${MAX_ATTEMPTS} attempts`);
      let waitMs: number;
      if (fault === 'rate_limited') {
        waitMs = rng.int(1_000, 5_000);
        request.onRateLimit?.({ retryAfterMs: waitMs });
      } else if (fault === 'timeout') {
        waitMs = f.timeoutMs;
      } else {
        waitMs = Math.round(500 * 2 ** attempt * (0.5 + rng.next()));
      }
      await sleep(clock, waitMs, request.signal);
    }
  }

  function decide(): Pick<ModelResponse, 'text' | 'toolCalls' | 'stopReason'> {
    const call = (name: string, args: Record<string, unknown>) => ({
      id: `${agent}-${calls.count}-${name}`,
      name,
      arguments: args,
    });
    if (kind === 'observer') {
      if (board.complete) return { text: 'Review complete.', toolCalls: [], stopReason: 'end' };
      return {
        text: '',
        toolCalls: [call('wait_messages', { topic: 'progress', timeoutMs: 20_000 })],
        stopReason: 'tool_calls',
      };
    }
    if (brain.phase === 'editing' && brain.task) {
      brain.turnsLeft--;
      if (brain.turnsLeft <= 0) brain.phase = 'finishing';
      const { resource, start, end } = brain.task;
      return {
        text: '',
        toolCalls: [call('edit_region', { resource, start, end })],
        stopReason: 'tool_calls',
      };
    }
    if (brain.phase === 'finishing' && brain.task) {
      brain.phase = 'releasing';
      const { resource } = brain.task;
      const toolCalls = [call('release_region', { resource })];
      if (rng.next() < b.discoveryProbability) {
        toolCalls.push(
          call('share_discovery', { topic: 'patterns', content: `pattern found in ${resource}` }),
        );
      }
      if (rng.next() < b.messageProbability) {
        toolCalls.push(
          call('post_message', {
            topic: 'progress',
            body: `${agent} finished ${resource}:${brain.task.start}`,
          }),
        );
      }
      return { text: '', toolCalls, stopReason: 'tool_calls' };
    }
    // 'pick', or a claim that neither was granted nor conflicted (the tool failed): pick again.
    // A region chosen at the start of the call that someone finished meanwhile is dropped
    // (the agent sees the new code); one someone else is still on is claimed and conflicts.
    if (brain.task?.status === 'done') brain.task = undefined;
    const region = brain.task ?? board.pickOpen(rng);
    if (region === undefined)
      return { text: 'No open work left.', toolCalls: [], stopReason: 'end' };
    brain.task = region;
    brain.phase = 'claiming';
    return {
      text: '',
      toolCalls: [
        call('claim_region', { resource: region.resource, start: region.start, end: region.end }),
      ],
      stopReason: 'tool_calls',
    };
  }

  return {
    id: `sim:${agent}`,
    estimateTokens: () => meanTokens,
    async generate(request) {
      const started = clock.now();
      calls.count++;
      await faults(request);
      // A worker with nothing in hand chooses its target now, before the call's latency:
      // agents whose calls overlap may choose the same region and one of them will conflict.
      if (kind === 'worker' && brain.phase === 'pick' && brain.task === undefined) {
        brain.task = board.pickOpen(rng);
      }
      await sleep(clock, latency(), request.signal);
      const answer = decide();
      const inputTokens = draw(b.inputTokens);
      const outputTokens = draw(b.outputTokens);
      const costUsd =
        (inputTokens * b.inputPricePerMTok + outputTokens * b.outputPricePerMTok) / 1e6;
      emit({
        t: clock.now(),
        team,
        type: 'model.answered',
        agent,
        latencyMs: clock.now() - started,
        inputTokens,
        outputTokens,
        costUsd,
      });
      return { ...answer, usage: { inputTokens, outputTokens, costUsd } };
    },
  };
}
