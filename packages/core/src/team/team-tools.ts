import { z } from 'zod';
import type {
  BusBackend,
  ClaimRequest,
  ClaimResult,
  MaybePromise,
  SharedStateBackend,
} from '../backends.js';
import { type AgentState, type EventSink, sinkWants } from '../events/team-events.js';
import { type AnyTool, defineTool, type ToolContext, toolResult } from '../tools/define-tool.js';

/**
 * One line of `list_team`.
 *
 * @example
 * ```ts
 * const member: TeamMember = { name: 'ada', role: 'reviewer', state: 'idle' };
 * ```
 */
export interface TeamMember {
  readonly name: string;
  readonly role: string | undefined;
  readonly state: AgentState;
}

/** What team tools reach: the team's services, wherever the agent runs. */
export interface TeamToolServices {
  readonly state: SharedStateBackend;
  readonly bus: BusBackend;
  readonly events: EventSink;
  roster(): Promise<TeamMember[]>;
}

/**
 * Names of the tools every agent gets.
 *
 * @example
 * ```ts
 * const readOnly: Role = { name: 'reader', allowTools: TEAM_TOOL_NAMES.filter((n) => n.startsWith('list')) };
 * ```
 */
export const TEAM_TOOL_NAMES = [
  'claim_region',
  'release_region',
  'share_discovery',
  'list_discoveries',
  'post_message',
  'wait_messages',
  'list_team',
] as const;

/**
 * The bus topic of an agent's inbox (`post_message({ to })` posts there).
 *
 * @example
 * ```ts
 * await bus.post(inboxTopic('ada'), { from: 'lead', body: 'please review' });
 * ```
 */
export const inboxTopic = (agent: string): string => `inbox:${agent}`;
/**
 * The topic `post_message` uses without `to` or `topic`.
 *
 * @example
 * ```ts
 * const broadcasts = await bus.read(TEAM_TOPIC);
 * ```
 */
export const TEAM_TOPIC = 'team';
const cursorKey = (topic: string): string => `cursor:${topic}`;

/**
 * `fn(value)`, at once when the backend answered synchronously (the in-memory services may):
 * the tool then returns a plain value and its call finishes without a promise, a microtask hop
 * or a timeout timer (tools/run-tools.ts).
 */
function then<T, R>(value: MaybePromise<T>, fn: (value: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

// Input schemas are made once per module, not per team: the schema cache (tools/schema-cache.ts)
// keys JSON Schema conversions by schema, so every team's tools hit it.
const claimInput = z.object({
  resource: z.string().min(1),
  start: z.number().int().min(0).optional(),
  end: z.number().int().min(0).optional(),
  ttlMs: z.number().positive().optional(),
});
const releaseInput = z.object({ resource: z.string().min(1) });
const shareInput = z.object({ topic: z.string().min(1), content: z.string() });
const listDiscoveriesInput = z.object({
  topic: z.string().optional(),
  afterSeq: z.number().int().min(0).optional(),
  limit: z.number().int().positive().max(1000).optional(),
});
const postInput = z.object({
  to: z.string().min(1).optional(),
  topic: z.string().min(1).optional(),
  body: z.string(),
});
const waitInput = z.object({
  topic: z.string().min(1).optional(),
  timeoutMs: z.number().int().min(0).max(25_000).optional(),
});
const listTeamInput = z.object({});

/**
 * The team tools over `services`: claims and discoveries on the shared state, messages on the
 * bus, the roster. A conflict or an empty wait is a normal result, not an error. `wait_messages`
 * keeps its read position per topic in the agent's context (`cursor:<topic>`), so an agent
 * never reads a message twice and never misses one posted between two waits.
 *
 * @example
 * ```ts
 * const tools = createTeamTools({ state, bus, events, roster: async () => [] });
 * ```
 */
export function createTeamTools(services: TeamToolServices): readonly AnyTool[] {
  const { state, bus, events } = services;
  // A granted claim or a conflict: the event, then what the model sees.
  const claimed = (result: ClaimResult, resource: string, ctx: ToolContext) => {
    if (result.ok) {
      const { claim } = result;
      if (sinkWants(events, 'claim.granted')) {
        events.emit({
          type: 'claim.granted',
          at: ctx.clock.now(),
          agent: ctx.agent,
          resource,
          start: claim.start,
          end: claim.end,
          token: claim.token,
        });
      }
      return {
        ok: true,
        resource,
        start: claim.start,
        end: claim.end,
        token: claim.token,
        expiresAt: claim.expiresAt,
      };
    }
    const { conflict } = result;
    if (sinkWants(events, 'claim.conflicted')) {
      events.emit({
        type: 'claim.conflicted',
        at: ctx.clock.now(),
        agent: ctx.agent,
        resource,
        holder: conflict.agent,
        start: conflict.start,
        end: conflict.end,
      });
    }
    return {
      ok: false,
      resource,
      heldBy: conflict.agent,
      start: conflict.start,
      end: conflict.end,
    };
  };
  const claimRegion = defineTool({
    name: 'claim_region',
    description:
      'Claim a region [start, end] of a resource (a file, say) so no one else edits it. Without start/end, the whole resource.',
    input: claimInput,
    run({ resource, start, end, ttlMs }, ctx) {
      const request: { -readonly [K in keyof ClaimRequest]: ClaimRequest[K] } = {
        agent: ctx.agent,
        resource,
      };
      if (start !== undefined) request.start = start;
      if (end !== undefined) request.end = end;
      if (ttlMs !== undefined) request.ttlMs = ttlMs;
      return then(state.claim(request), (result) => claimed(result, resource, ctx));
    },
  });
  const releaseRegion = defineTool({
    name: 'release_region',
    description: 'Release your claim on a resource.',
    input: releaseInput,
    run: ({ resource }, ctx) =>
      then(state.release(ctx.agent, resource), (released) => {
        if (sinkWants(events, 'claim.released'))
          events.emit({
            type: 'claim.released',
            at: ctx.clock.now(),
            agent: ctx.agent,
            resource,
            released,
          });
        return { released };
      }),
  });
  const shareDiscovery = defineTool({
    name: 'share_discovery',
    description: 'Share a finding with the team under a topic.',
    input: shareInput,
    run: ({ topic, content }, ctx) =>
      then(state.discover({ agent: ctx.agent, topic, content }), (discovery) => {
        if (sinkWants(events, 'discovery.shared'))
          events.emit({
            type: 'discovery.shared',
            at: ctx.clock.now(),
            agent: ctx.agent,
            topic,
            seq: discovery.seq,
          });
        return { seq: discovery.seq };
      }),
  });
  const listDiscoveries = defineTool({
    name: 'list_discoveries',
    description:
      "List the team's discoveries, oldest first, optionally by topic or after a sequence number.",
    input: listDiscoveriesInput,
    run({ topic, afterSeq, limit }) {
      const query = {
        ...(topic === undefined ? {} : { topic }),
        ...(afterSeq === undefined ? {} : { afterSeq }),
        limit: limit ?? 100,
      };
      return then(state.discoveries(query), (found) =>
        found.map((d) => ({ seq: d.seq, agent: d.agent, topic: d.topic, content: d.content })),
      );
    },
  });
  const postMessage = defineTool({
    name: 'post_message',
    description: 'Post a message to a teammate (to), to a topic, or to the whole team (neither).',
    input: postInput,
    run({ to, topic, body }, ctx) {
      const target = to !== undefined ? inboxTopic(to) : (topic ?? TEAM_TOPIC);
      return then(bus.post(target, { from: ctx.agent, body }), ({ seq }) => {
        if (sinkWants(events, 'message.posted')) {
          events.emit({
            type: 'message.posted',
            at: ctx.clock.now(),
            agent: ctx.agent,
            topic: target,
            seq,
            ...(to === undefined ? {} : { to }),
          });
        }
        return { topic: target, seq };
      });
    },
  });
  const waitMessages = defineTool({
    name: 'wait_messages',
    description: 'Wait for new messages in your inbox (or a topic). Returns [] after timeoutMs.',
    input: waitInput,
    async run({ topic, timeoutMs }, ctx) {
      const target = topic ?? inboxTopic(ctx.agent);
      const key = cursorKey(target);
      const cursor = ctx.context[key];
      const afterSeq = typeof cursor === 'number' ? cursor : 0;
      const messages = await bus.wait(target, {
        afterSeq,
        timeoutMs: timeoutMs ?? 10_000,
        signal: ctx.signal,
      });
      const list = messages.map((m) => ({ seq: m.seq, from: m.from, body: m.body }));
      const last = messages[messages.length - 1];
      return last === undefined ? list : toolResult(list, [{ op: 'set', key, value: last.seq }]);
    },
  });
  const listTeam = defineTool({
    name: 'list_team',
    description: 'List your teammates: name, role and state.',
    input: listTeamInput,
    run: () => services.roster(),
  });
  return Object.freeze([
    claimRegion,
    releaseRegion,
    shareDiscovery,
    listDiscoveries,
    postMessage,
    waitMessages,
    listTeam,
  ]);
}
