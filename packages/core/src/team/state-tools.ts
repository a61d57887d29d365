// The team tools over the shared state: claims on regions of resources, and discoveries.
import { z } from 'zod';
import type { ClaimRequest, ClaimResult } from '../backend/interfaces.js';
import { type EventSink, sinkWants } from '../events/team-events.js';
import { type AnyTool, defineTool, type ToolContext } from '../tools/define-tool.js';
import type { TeamToolServices } from './team-tools.js';
import { andThen } from './tool-outcome.js';

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

/** A granted claim or a conflict: the event, then what the model sees. */
function claimed(events: EventSink, result: ClaimResult, resource: string, ctx: ToolContext) {
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
}

/** `claim_region`, `release_region`, `share_discovery` and `list_discoveries`. */
export function stateTools({
  state,
  events,
}: Pick<TeamToolServices, 'state' | 'events'>): AnyTool[] {
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
      return andThen(state.claim(request), (result) => claimed(events, result, resource, ctx));
    },
  });
  const releaseRegion = defineTool({
    name: 'release_region',
    description: 'Release your claim on a resource.',
    input: releaseInput,
    run: ({ resource }, ctx) =>
      andThen(state.release(ctx.agent, resource), (released) => {
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
      andThen(state.discover({ agent: ctx.agent, topic, content }), (discovery) => {
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
      return andThen(state.discoveries(query), (found) =>
        found.map((d) => ({ seq: d.seq, agent: d.agent, topic: d.topic, content: d.content })),
      );
    },
  });
  return [claimRegion, releaseRegion, shareDiscovery, listDiscoveries];
}
