// What the model sees under a context policy: whole turns (a tool call with its result), pinned
// turns first, a stable prefix between compactions with its prompt-cache hints, a summary by the
// policy's model, and a note when turns leave without one.
import {
  type ChatMessage,
  DEFAULT_SUMMARY_INSTRUCTIONS,
  defineAgent,
  defineTool,
  type Model,
} from '@troupe/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  contextTeam,
  honestModel,
  requestTokens,
  type SeenCall,
  withoutCacheHints,
} from './context-helpers.js';

const note = defineTool({
  name: 'note',
  description: 'Notes a figure',
  input: z.object({ figure: z.number() }),
  run: ({ figure }) => `noted ${figure}`,
});

/** Calls `note` once per message, then answers; reports honest input tokens. */
function noteTaker(): Model & { calls: SeenCall[] } {
  const calls: SeenCall[] = [];
  let id = 0;
  return {
    id: 'note-taker',
    calls,
    async generate(request) {
      const tokens = requestTokens(request);
      const summary = request.system === DEFAULT_SUMMARY_INSTRUCTIONS;
      calls.push({ kind: summary ? 'summary' : 'agent', tokens, messages: request.messages });
      const last = request.messages[request.messages.length - 1];
      const usage = { inputTokens: tokens, outputTokens: 5 };
      if (summary || last?.role !== 'user')
        return {
          text: summary ? 'Figures were noted.' : 'Noted.',
          toolCalls: [],
          usage,
          stopReason: 'end',
        };
      const figure = Number(/\d+/.exec(last.content)?.[0] ?? 0);
      return {
        text: '',
        toolCalls: [{ id: `c${++id}`, name: 'note', arguments: { figure } }],
        usage,
        stopReason: 'tool_calls',
      };
    },
  };
}

/** Every tool result has its call in the same request, and every call its result. */
function wellFormed(messages: readonly ChatMessage[]): boolean {
  const open = new Set<string>();
  for (const m of messages) {
    if (m.role === 'assistant') {
      if (open.size > 0) return false;
      for (const call of m.toolCalls ?? []) open.add(call.id);
    } else if (m.role === 'tool') {
      if (!open.delete(m.toolCallId)) return false;
    } else if (open.size > 0) return false;
  }
  return open.size === 0;
}

describe('the context view', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it('never sends a tool call without its result, and opens with a note when turns left without a summary', async () => {
    const model = noteTaker();
    const { team } = contextTeam(model.id);
    closing.push(() => team.close());
    await team.spawn(
      defineAgent({
        name: 'n',
        instructions: 'Note every figure.',
        model,
        tools: [note],
        context: { maxInputTokens: 1_600, summarize: false },
      }),
      { name: 'ada' },
    );
    for (let i = 1; i <= 150; i++) await team.send('ada', `figure ${i}`);
    const calls = model.calls;
    expect(calls.every((c) => c.kind === 'agent')).toBe(true);
    expect(calls).toHaveLength(300);
    for (const call of calls) {
      expect(wellFormed(call.messages)).toBe(true);
      expect(call.messages[0]?.role).toBe('user');
      expect(call.tokens).toBeLessThanOrEqual(1_600);
    }
    const last = calls[calls.length - 1]!.messages;
    expect(last[0]?.content).toMatch(/left out to fit the context window/);
    expect((await team.history('ada')).length).toBe(150 * 4);
  });

  it('keeps pinned turns first in every call, and the prefix byte-identical between compactions', async () => {
    const model = honestModel();
    const { team } = contextTeam(model.id);
    closing.push(() => team.close());
    await team.spawn(
      defineAgent({
        name: 'p',
        instructions: 'Answer.',
        model,
        context: { maxInputTokens: 2_000, pinned: { first: 1 }, summarize: { maxTokens: 100 } },
      }),
      { name: 'ada' },
    );
    await team.send('ada', 'The task: keep every figure I send you.');
    for (let i = 1; i <= 120; i++) await team.send('ada', `figure ${i} of the series, noted`);
    const calls = model.calls.filter((c) => c.kind === 'agent');
    const compactions = model.calls.filter((c) => c.kind === 'summary').length;
    expect(compactions).toBeGreaterThan(1);
    let stable = 0;
    for (let i = 0; i < calls.length; i++) {
      const messages = calls[i]!.messages;
      expect(messages[0]?.content).toBe('The task: keep every figure I send you.');
      // Hints: the end of the stable prefix (pinned turn, or the summary) and the newest message.
      const hinted = messages.flatMap((m, at) => (m.cache === true ? [at] : []));
      expect(hinted.at(-1)).toBe(messages.length - 1);
      expect(hinted.length).toBeLessThanOrEqual(2);
      const next = calls[i + 1]?.messages;
      if (next === undefined || next.length < messages.length) continue;
      // No compaction in between: the earlier call's messages are the next one's prefix.
      expect(JSON.stringify(withoutCacheHints(next.slice(0, messages.length)))).toBe(
        JSON.stringify(withoutCacheHints(messages)),
      );
      stable++;
    }
    expect(stable).toBeGreaterThan(calls.length - compactions - 2);
    const last = calls[calls.length - 1]!.messages;
    expect(last[1]?.role === 'user' && last[1].summarizes).toBeGreaterThan(0);
    expect(last[1]?.cache).toBe(true);
  });

  it('writes summaries with the policy model, not the agent one', async () => {
    const model = honestModel('agent-model');
    const summarizer = honestModel('summary-model');
    const { team } = contextTeam(model.id);
    closing.push(() => team.close());
    await team.spawn(
      defineAgent({
        name: 's',
        instructions: 'Answer.',
        model,
        context: { maxInputTokens: 1_500, summarize: { model: summarizer, maxTokens: 100 } },
      }),
      { name: 'ada' },
    );
    for (let i = 1; i <= 80; i++) await team.send('ada', `message number ${i} in the series`);
    expect(model.calls.every((c) => c.kind === 'agent')).toBe(true);
    expect(summarizer.calls.length).toBeGreaterThan(0);
    expect(summarizer.calls.every((c) => c.kind === 'summary')).toBe(true);
    // The second summary folds in the first.
    const second = summarizer.calls[1]?.messages[0]?.content ?? '';
    expect(second).toMatch(/^Summary so far:\nSummary 1:/);
    const usage = team.agent('ada')?.usage;
    expect(usage?.requests).toBe(model.calls.length + summarizer.calls.length);
  });
});
