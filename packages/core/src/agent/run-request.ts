import type { RateLimitFeedback } from '../backend/interfaces.js';
import type { ModelRequest } from '../model.js';
import type { AgentRuntime } from './agent-runtime.js';
import type { Run } from './run.js';

const AGENT = Symbol('agent');
const RUN = Symbol('run');

/** What a run's request reads its live fields from (non-enumerable: spreads and JSON skip it). */
interface Sources {
  readonly [AGENT]: AgentRuntime;
  readonly [RUN]: Run;
}

// One getter function per field for every request. Getters written in an object literal are new
// functions per request, and V8 then gives each request a hidden class of its own, allocated in
// old space and pointing at that run: the run and its agent then outlived every young-generation
// collection until the next full one. Shared getters keep one hidden class for all requests.
const MESSAGES: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: Sources) {
    // The context view (pinned turns, summary, recent turns), not the whole history.
    const agent = this[AGENT];
    return agent.contextWindow.messages(agent.history);
  },
};
const SIGNAL: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: Sources) {
    return this[RUN].signal;
  },
};
const ON_DELTA: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: Sources) {
    return this[RUN].onDelta;
  },
};

/**
 * The model request of one run, made once per run: `messages`, `signal` and `onDelta` are
 * enumerable getters that read the agent's history and the run as they are at each call (a
 * spread of the request copies their values then), the rest plain fields, in the order
 * `system`, `messages`, `tools`, `signal`, `onDelta`, then the optional ones the agent sets.
 */
export function runRequest(
  agent: AgentRuntime,
  run: Run,
  onRateLimit: ((feedback: RateLimitFeedback) => void) | undefined,
): ModelRequest {
  const definition = agent.definition;
  const request: Record<PropertyKey, unknown> = {};
  Object.defineProperty(request, AGENT, { value: agent });
  Object.defineProperty(request, RUN, { value: run });
  request.system = definition.instructions;
  Object.defineProperty(request, 'messages', MESSAGES);
  request.tools = agent.specs;
  Object.defineProperty(request, 'signal', SIGNAL);
  Object.defineProperty(request, 'onDelta', ON_DELTA);
  if (onRateLimit !== undefined) request.onRateLimit = onRateLimit;
  if (definition.maxOutputTokens !== undefined)
    request.maxOutputTokens = definition.maxOutputTokens;
  if (definition.temperature !== undefined) request.temperature = definition.temperature;
  if (definition.output !== undefined) request.responseFormat = definition.output.format;
  return request as unknown as ModelRequest;
}
