// Doubles for the context tests: a model that reports honest input tokens (its request's JSON,
// about 4 characters a token, as a provider's own count would grow) and writes summaries.
import {
  type ChatMessage,
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  DEFAULT_SUMMARY_INSTRUCTIONS,
  type Model,
  type ModelRequest,
  type SessionStore,
  SimulatedClock,
  type Team,
  type TeamOptions,
} from '@troupe/core';

/** One call the model saw. */
export interface SeenCall {
  readonly kind: 'agent' | 'summary';
  /** Input tokens as the model counts (and reports) them. */
  readonly tokens: number;
  readonly messages: readonly ChatMessage[];
}

export interface HonestModel extends Model {
  readonly calls: SeenCall[];
}

/** Tokens of a request as this model counts them: its JSON, 4 characters a token. */
export function requestTokens(request: ModelRequest): number {
  const { system, messages, tools } = request;
  return Math.ceil(JSON.stringify({ system, messages, tools }).length / 4);
}

/**
 * A model that answers `answer <n>` to the agent and a fixed-size summary to compaction, and
 * reports its request's size as input tokens.
 */
export function honestModel(id = 'honest'): HonestModel {
  const calls: SeenCall[] = [];
  let summaries = 0;
  return {
    id,
    calls,
    async generate(request) {
      const tokens = requestTokens(request);
      const kind = request.system === DEFAULT_SUMMARY_INSTRUCTIONS ? 'summary' : 'agent';
      calls.push({ kind, tokens, messages: request.messages.slice() });
      const text =
        kind === 'summary'
          ? `Summary ${++summaries}: the user sent numbered messages and got numbered answers.`
          : `answer ${calls.filter((c) => c.kind === 'agent').length}`;
      return {
        text,
        toolCalls: [],
        usage: { inputTokens: tokens, outputTokens: Math.ceil(text.length / 4) },
        stopReason: 'end',
      };
    },
  };
}

/** A team on a simulated clock, with a limiter rule on `key` that admits everything. */
export function contextTeam(
  key: string,
  extra: Partial<TeamOptions> & { store?: SessionStore } = {},
): { team: Team; clock: SimulatedClock; limiter: ReturnType<typeof createRateLimiter> } {
  const clock = new SimulatedClock();
  const limiter = createRateLimiter({
    clock,
    rules: [{ key, windowMs: 3_600_000, requests: 1_000_000, tokens: 1_000_000_000 }],
  });
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter,
    bus: createBus({ clock }),
    ...extra,
  });
  return { team, clock, limiter };
}

/** Messages without prompt-cache hints, to compare what two calls sent. */
export function withoutCacheHints(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((m) => {
    if (m.cache === undefined) return m;
    const { cache: _, ...rest } = m;
    return rest as ChatMessage;
  });
}
