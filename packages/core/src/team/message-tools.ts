// The team tools over the bus: posting to a teammate, a topic or the team, and waiting for
// messages.
import { z } from 'zod';
import { inboxTopic, mailFromMessage, topicCursorKey } from '../agent/mail.js';
import { sinkWants } from '../events/team-events.js';
import { type AnyTool, defineTool, type ToolContext, toolResult } from '../tools/define-tool.js';
import type { TeamToolServices } from './team-tools.js';
import { andThen, toolError } from './tool-outcome.js';

/** The topic `post_message` uses without `to` or `topic`. */
const TEAM_TOPIC = 'team';

// Input schemas are made once per module, not per team: the schema cache (tools/schema-cache.ts)
// keys JSON Schema conversions by schema, so every team's tools hit it.
const postInput = z.object({
  to: z.string().min(1).optional(),
  topic: z.string().min(1).optional(),
  body: z.string().min(1),
});
const waitInput = z.object({
  topic: z.string().min(1).optional(),
  timeoutMs: z.number().int().min(0).max(25_000).optional(),
});

/** `post_message` and `wait_messages`. */
export function messageTools(services: TeamToolServices): AnyTool[] {
  const { bus, events } = services;
  const postMessage = defineTool({
    name: 'post_message',
    description: 'Post a message to a teammate (to), to a topic, or to the whole team (neither).',
    input: postInput,
    run({ to, topic, body }, ctx) {
      if (to !== undefined && topic !== undefined)
        throw toolError('ERR_INVALID_ARGUMENT', 'give either to or topic, not both');
      if (to === undefined) return post(topic ?? TEAM_TOPIC, undefined, body, ctx);
      return andThen(services.exists(to), (found) => {
        if (!found) throw toolError('ERR_NOT_FOUND', `no agent named "${to}" in the team`);
        return post(inboxTopic(to), to, body, ctx);
      });
    },
  });
  const post = (target: string, to: string | undefined, body: string, ctx: ToolContext) =>
    andThen(bus.post(target, { from: ctx.agent, body }), ({ seq }) => {
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
  const waitMessages = defineTool({
    name: 'wait_messages',
    description: 'Wait for new messages in your inbox (or a topic). Returns [] after timeoutMs.',
    input: waitInput,
    async run({ topic, timeoutMs }, ctx) {
      const target = topic ?? inboxTopic(ctx.agent);
      const key = topicCursorKey(target);
      const cursor = ctx.context[key];
      let afterSeq = typeof cursor === 'number' ? cursor : 0;
      // Its own mailbox: after what its runs took too (the mailbox delivers the rest as runs).
      if (target === inboxTopic(ctx.agent))
        afterSeq = Math.max(afterSeq, services.handled(ctx.agent));
      const messages = await bus.wait(target, {
        afterSeq,
        timeoutMs: timeoutMs ?? 10_000,
        signal: ctx.signal,
      });
      const list = messages.map((m) => ({
        seq: m.seq,
        from: m.from,
        body: typeof m.body === 'string' ? m.body : mailFromMessage(m).text,
      }));
      const last = messages[messages.length - 1];
      return last === undefined ? list : toolResult(list, [{ op: 'set', key, value: last.seq }]);
    },
  });
  return [postMessage, waitMessages];
}
