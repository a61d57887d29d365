import type { Clock } from '../clock.js';
import { abortedError, type ErrorCode, invalidArgument, TroupeError } from '../errors.js';
import { createRng } from '../ids.js';
import type {
  ChatMessage,
  Model,
  ModelDelta,
  ModelRequest,
  ModelResponse,
  ModelUsage,
  StopReason,
  ToolCall,
} from '../model.js';

/**
 * A tool call in a script; `id` defaults to `call_<n>`, unique per model.
 *
 * @example
 * ```ts
 * const call: ScriptedToolCall = { name: 'claim_region', arguments: { resource: 'a.ts' } };
 * ```
 */
export interface ScriptedToolCall {
  readonly name: string;
  readonly arguments?: unknown;
  readonly id?: string;
}

/**
 * One scripted answer: text and/or tool calls, or an error to throw.
 *
 * @example
 * ```ts
 * const steps: ScriptedStep[] = [
 *   { toolCalls: [{ name: 'add', arguments: { a: 1, b: 2 } }], usage: { inputTokens: 50 } },
 *   { error: new TroupeError('ERR_PROVIDER_RATE_LIMITED', '429') },
 *   { text: 'done', latencyMs: 200 },
 *   { text: 'Hello', deltas: [{ type: 'text', text: 'Hel' }, { type: 'text', text: 'lo' }] },
 * ];
 * ```
 */
export interface ScriptedStep {
  readonly text?: string;
  readonly toolCalls?: readonly ScriptedToolCall[];
  readonly usage?: Partial<ModelUsage>;
  readonly stopReason?: StopReason;
  /** Throw this instead of answering (after the latency). */
  readonly error?: TroupeError;
  /** This call's latency on the clock, instead of the model's `latencyMs`. */
  readonly latencyMs?: number;
  /**
   * Streamed before the answer (after the latency) to the request's `onDelta`, in order, when
   * the caller asked for deltas; ignored otherwise.
   */
  readonly deltas?: readonly ModelDelta[];
}

/**
 * What a script function is told about the call it answers.
 *
 * @example
 * ```ts
 * scriptedModel({ steps: (_request, call: ScriptCall) => (call.turn < 3 ? { toolCalls } : { text: call.lastUser }) });
 * ```
 */
export interface ScriptCall {
  /** 0-based index of this call among all calls to this model. */
  readonly index: number;
  /**
   * 0-based turn within the current run: the number of assistant messages after the last user
   * message (so 0 on the run's first call).
   */
  readonly turn: number;
  /** The last user message's content ('' when there is none). */
  readonly lastUser: string;
  /** The tool results since the last assistant message (the previous turn's results). */
  readonly toolResults: readonly Extract<ChatMessage, { role: 'tool' }>[];
}

/**
 * Options of {@link scriptedModel}.
 *
 * @example
 * ```ts
 * const options: ScriptedModelOptions = { steps, clock, latencyMs: 50, failures: { probability: 0.01, seed: 7 } };
 * ```
 */
export interface ScriptedModelOptions {
  /**
   * The answers, in order (one per call across all callers), or a function of the request.
   * When a list runs out, the model answers `''` with stop reason `end`.
   */
  readonly steps:
    | readonly ScriptedStep[]
    | ((request: ModelRequest, call: ScriptCall) => ScriptedStep);
  /** Required with `latencyMs`: the latency elapses on this clock. */
  readonly clock?: Clock;
  /** Delay per call on `clock`: a number or a function of the call index. Default 0 (no timer). */
  readonly latencyMs?: number | ((index: number) => number);
  /** Injected failures: a TroupeError (default code ERR_PROVIDER_UNAVAILABLE). */
  readonly failures?: {
    /** 0-based call indexes that throw. */
    readonly at?: readonly number[];
    /** Probability each call throws, drawn from a PRNG seeded with `seed`. */
    readonly probability?: number;
    readonly seed?: number | string;
    readonly code?: ErrorCode;
  };
  /** Usage reported when a step gives none. Default 10 input and 5 output tokens. */
  readonly usage?: ModelUsage;
  /** Record every request in `requests` (messages copied at call time). Default true. */
  readonly record?: boolean;
  /** Default `scripted`. */
  readonly id?: string;
  /** Default `json-schema`. */
  readonly toolFormat?: string;
}

/**
 * A recorded request: the request with `messages` as they were when the call was made.
 *
 * @example
 * ```ts
 * const first: RecordedRequest | undefined = model.requests[0];
 * console.log(first?.tools.map((t) => t.name));
 * ```
 */
export type RecordedRequest = Omit<ModelRequest, 'messages'> & {
  readonly messages: readonly ChatMessage[];
};

/**
 * A {@link Model} that answers from a script.
 *
 * @example
 * ```ts
 * const model: ScriptedModel = scriptedModel({ steps: [{ text: 'hi' }] });
 * await team.send('a', 'hello');
 * console.log(model.calls, model.requests.length); // 1 1
 * ```
 */
export interface ScriptedModel extends Model {
  /** Every request, in call order (empty when `record: false`). */
  readonly requests: readonly RecordedRequest[];
  /** Number of calls so far. */
  readonly calls: number;
}

const DEFAULT_USAGE: ModelUsage = Object.freeze({ inputTokens: 10, outputTokens: 5 });
const NO_CALLS: readonly ToolCall[] = Object.freeze([]);

/** One call's view for a script function; the tool results are sliced only if read. */
class Call implements ScriptCall {
  readonly index: number;
  turn = 0;
  lastUser = '';
  #messages: readonly ChatMessage[];
  #resultsFrom: number;

  constructor(request: ModelRequest, index: number) {
    this.index = index;
    const messages = request.messages;
    this.#messages = messages;
    let resultsFrom = messages.length;
    let seenAssistant = false;
    for (let i = messages.length - 1; i >= 0; i--) {
      const message = messages[i]!;
      if (message.role === 'user') {
        this.lastUser = message.content;
        break;
      }
      if (message.role === 'assistant') {
        this.turn++;
        seenAssistant = true;
      } else if (!seenAssistant) resultsFrom = i;
    }
    this.#resultsFrom = resultsFrom;
  }

  get toolResults(): readonly Extract<ChatMessage, { role: 'tool' }>[] {
    return this.#messages.slice(this.#resultsFrom) as Extract<ChatMessage, { role: 'tool' }>[];
  }
}

/**
 * A model for tests and simulation: answers from a list of steps or a function of the request,
 * records every request, and can add latency on a clock and inject failures. Zero latency
 * answers without a timer. It imports no test runner.
 *
 * @example
 * ```ts
 * import { scriptedModel } from '@troupe/core/testing';
 *
 * const model = scriptedModel({
 *   steps: [
 *     { toolCalls: [{ name: 'add', arguments: { a: 1, b: 2 } }] },
 *     { text: 'The sum is 3.' },
 *   ],
 * });
 * ```
 */
export function scriptedModel(options: ScriptedModelOptions): ScriptedModel {
  const { steps, clock, latencyMs = 0, failures, usage = DEFAULT_USAGE, record = true } = options;
  const probability = checkScriptOptions(options);
  const script = new Script(steps, usage, {
    at: new Set(failures?.at ?? []),
    probability,
    rng: probability > 0 ? createRng(failures?.seed ?? 0) : undefined,
    code: failures?.code ?? 'ERR_PROVIDER_UNAVAILABLE',
  });
  const requests: RecordedRequest[] = [];
  let calls = 0;

  const model: ScriptedModel = {
    id: options.id ?? 'scripted',
    toolFormat: options.toolFormat ?? 'json-schema',
    get requests() {
      return requests;
    },
    get calls() {
      return calls;
    },
    estimateTokens: (request) => 16 + request.messages.length * 8,
    generate(request) {
      const index = calls++;
      if (record) requests.push({ ...request, messages: request.messages.slice() });
      let step: ScriptedStep | undefined;
      try {
        step = script.pick(request, index);
      } catch (error) {
        return Promise.reject(error);
      }
      const delay =
        step?.latencyMs ?? (typeof latencyMs === 'number' ? latencyMs : latencyMs(index));
      const answer = (): ModelResponse => script.answer(request, step, index);
      if (delay === 0 || clock === undefined) {
        // Answered synchronously: an abort cannot land in between, so the signal is not read.
        try {
          return Promise.resolve(answer());
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return answerAfter(clock, delay, request.signal, answer);
    },
  };
  return model;
}

/** Checks the options `scriptedModel` reads up front; returns the failure probability. */
function checkScriptOptions(options: ScriptedModelOptions): number {
  const { steps, clock, latencyMs = 0, failures } = options;
  if (!Array.isArray(steps) && typeof steps !== 'function') {
    throw invalidArgument('steps must be an array of steps or a function');
  }
  if (typeof latencyMs === 'number' && !(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw invalidArgument('latencyMs must be a non-negative finite number', { latencyMs });
  }
  if (latencyMs !== 0 && clock === undefined)
    throw invalidArgument('clock is required with latencyMs');
  if (clock !== undefined && typeof clock.setTimeout !== 'function')
    throw invalidArgument('clock must be a Clock');
  const probability = failures?.probability ?? 0;
  if (!(probability >= 0 && probability <= 1)) {
    throw invalidArgument('failures.probability must be between 0 and 1', { probability });
  }
  return probability;
}

/** `answer()` after `delay` ms on `clock`, unless `signal` aborts first. */
function answerAfter(
  clock: Clock,
  delay: number,
  signal: AbortSignal | undefined,
  answer: () => ModelResponse,
): Promise<ModelResponse> {
  if (signal?.aborted) return Promise.reject(abortedError(signal, 'model call'));
  return new Promise<ModelResponse>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(abortedError(signal, 'model call'));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      try {
        resolve(answer());
      } catch (error) {
        reject(error);
      }
    }, delay);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Injected failures, checked. */
interface Failures {
  readonly at: ReadonlySet<number>;
  readonly probability: number;
  readonly rng: { next(): number } | undefined;
  readonly code: ErrorCode;
}

/** The steps of one scripted model and what they turn into: answers, failures, call ids. */
class Script {
  readonly #steps: ScriptedModelOptions['steps'];
  readonly #usage: ModelUsage;
  readonly #failures: Failures;
  #nextCallId = 0;

  constructor(steps: ScriptedModelOptions['steps'], usage: ModelUsage, failures: Failures) {
    this.#steps = steps;
    this.#usage = usage;
    this.#failures = failures;
  }

  pick(request: ModelRequest, index: number): ScriptedStep | undefined {
    const steps = this.#steps;
    return Array.isArray(steps)
      ? (steps as readonly ScriptedStep[])[index]
      : (steps as (r: ModelRequest, c: ScriptCall) => ScriptedStep)(
          request,
          new Call(request, index),
        );
  }

  answer(request: ModelRequest, step: ScriptedStep | undefined, index: number): ModelResponse {
    const failures = this.#failures;
    if (
      failures.at.has(index) ||
      (failures.rng !== undefined && failures.rng.next() < failures.probability)
    ) {
      throw new TroupeError(failures.code, `scripted failure at call ${index}`, {
        details: { index },
      });
    }
    const usage = this.#usage;
    if (step === undefined) return { text: '', toolCalls: NO_CALLS, usage, stopReason: 'end' };
    if (step.error !== undefined) throw step.error;
    const onDelta = request.onDelta;
    if (onDelta !== undefined && step.deltas !== undefined) {
      for (const delta of step.deltas) onDelta(delta);
    }
    const toolCalls = this.#toolCalls(step.toolCalls);
    return {
      text: step.text ?? '',
      toolCalls,
      usage: step.usage === undefined ? usage : { ...usage, ...step.usage },
      stopReason: step.stopReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'end'),
    };
  }

  #toolCalls(scripted: readonly ScriptedToolCall[] | undefined): readonly ToolCall[] {
    if (scripted === undefined || scripted.length === 0) return NO_CALLS;
    const made: ToolCall[] = new Array(scripted.length);
    for (let i = 0; i < scripted.length; i++) {
      const call = scripted[i]!;
      made[i] = {
        id: call.id ?? `call_${this.#nextCallId++}`,
        name: call.name,
        arguments: call.arguments ?? {},
      };
    }
    return made;
  }
}
