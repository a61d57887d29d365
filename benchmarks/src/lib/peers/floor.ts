/**
 * The floor: the same 5 model calls and 4 tool calls as a hand-written loop, with what any
 * agent loop cannot skip (the shared async model, a zod parse of the tool arguments, the shared
 * async tool, message appends) and nothing else: no framework, no events, no limiter.
 */
import {
  addInput,
  addTool,
  answer,
  type Contestant,
  SYSTEM_PROMPT,
  Tally,
  TOOL_NAME,
  USER_INPUT,
} from './common.js';

type Message =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string;
      toolCall?: { id: string; name: string; arguments: unknown };
    }
  | { role: 'tool'; toolCallId: string; content: string };

export function createFloor(): Contestant {
  const tally = new Tally();

  async function model(messages: readonly Message[]): Promise<Message> {
    // system + user, then an assistant call and a tool result per step.
    const decision = await answer(tally, (messages.length - 2) / 2);
    return decision.kind === 'tool'
      ? {
          role: 'assistant',
          content: '',
          toolCall: { id: decision.callId, name: TOOL_NAME, arguments: decision.args },
        }
      : { role: 'assistant', content: decision.text };
  }

  return {
    name: 'floor (hand-written loop)',
    tally,
    async run() {
      const messages: Message[] = [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: USER_INPUT },
      ];
      for (;;) {
        const reply = await model(messages);
        messages.push(reply);
        if (reply.role !== 'assistant' || reply.toolCall === undefined) return reply.content;
        const call = reply.toolCall;
        const result = await addTool(tally, addInput.parse(call.arguments));
        messages.push({ role: 'tool', toolCallId: call.id, content: result });
      }
    },
  };
}
