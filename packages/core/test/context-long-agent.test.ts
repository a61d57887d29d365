// The 2,000-message agent: its calls stay within the budget, the model sees a summary and the
// recent turns, the store keeps the whole history, and a resumed agent sees the same view.
import { createMemorySessionStore, defineAgent, SUMMARY_HEADING } from '@troupe/core';
import { afterEach, describe, expect, it } from 'vitest';
import { contextTeam, honestModel, withoutCacheHints } from './context-helpers.js';

const BUDGET = 2_000;
const MESSAGES = 2_000;
const text = (i: number) => `message ${i}: please note the figure ${i * 7} for the report`;

describe('a long-lived agent with a context budget', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it('keeps every call within the budget over 2,000 messages, with a summary and the recent turns; the store has it all; resume sees the same view', async () => {
    const store = createMemorySessionStore();
    const model = honestModel();
    const agent = defineAgent({
      name: 'clerk',
      instructions: 'Keep a running tally of the figures you are told.',
      model,
      context: { maxInputTokens: BUDGET, summarize: { maxTokens: 200 } },
    });
    const { team, limiter } = contextTeam(model.id, { store, id: 'long' });
    await team.spawn(agent, { name: 'ada' });
    for (let i = 1; i <= MESSAGES; i++) {
      const result = await team.send('ada', text(i));
      expect(result.status).toBe('completed');
    }

    // No call, the summary calls included, exceeds the budget (as the model itself counts).
    const calls = model.calls;
    const agentCalls = calls.filter((c) => c.kind === 'agent');
    const summaries = calls.filter((c) => c.kind === 'summary');
    expect(agentCalls).toHaveLength(MESSAGES);
    expect(Math.max(...calls.map((c) => c.tokens))).toBeLessThanOrEqual(BUDGET);
    // Without a policy the 2,000th call would carry 3,999 messages; here it carries a window.
    const last = agentCalls[agentCalls.length - 1]!;
    expect(last.messages.length).toBeLessThan(200);
    expect(last.tokens).toBeGreaterThan(BUDGET / 3);

    // Compaction happens once per threshold crossing, not per call.
    expect(summaries.length).toBeGreaterThan(5);
    let since = Number.POSITIVE_INFINITY;
    for (const call of calls) {
      if (call.kind === 'agent') since++;
      else {
        expect(since).toBeGreaterThanOrEqual(10);
        since = 0;
      }
    }

    // The model sees the latest summary first, then the most recent turns in order.
    const [first, ...recent] = last.messages;
    expect(first?.role).toBe('user');
    expect(first?.content.startsWith(SUMMARY_HEADING)).toBe(true);
    expect(first?.cache).toBe(true);
    const live = await team.history('ada');
    const tail = live.filter((m) => !(m.role === 'user' && m.summarizes !== undefined));
    expect(withoutCacheHints(recent)).toEqual(tail.slice(tail.length - 1 - recent.length, -1));
    expect(recent[recent.length - 1]?.cache).toBe(true);

    // Summary calls took leases and count in usage like any call.
    const usage = team.agent('ada')?.usage;
    expect(usage?.requests).toBe(calls.length);
    expect(limiter.usage(model.id).requests).toBe(calls.length);
    expect(usage?.inputTokens).toBe(calls.reduce((sum, c) => sum + c.tokens, 0));

    await team.close();
    // The store has the whole history: every message, every answer, and each summary.
    const stored = await store.loadHistory('long/ada');
    expect(stored).toEqual(live);
    const users = stored.filter((m) => m.role === 'user' && m.summarizes === undefined);
    expect(users.map((m) => m.content)).toEqual(
      Array.from({ length: MESSAGES }, (_, i) => text(i + 1)),
    );
    expect(stored.filter((m) => m.role === 'assistant')).toHaveLength(MESSAGES);
    expect(stored.length - 2 * MESSAGES).toBe(summaries.length);

    // Resumed from the store, the agent sends the view it had: summary and the same turns,
    // then the new message.
    const again = contextTeam(model.id, { store, id: 'long' }).team;
    closing.push(() => again.close());
    await again.spawn(agent, { name: 'ada' });
    const before = calls.length;
    expect((await again.send('ada', 'one more')).status).toBe('completed');
    const resumed = calls.slice(before);
    expect(resumed.map((c) => c.kind)).toEqual(['agent']);
    const sent = resumed[0]!.messages;
    const answer = stored[stored.length - 1]!;
    expect(withoutCacheHints(sent.slice(0, -1))).toEqual(
      withoutCacheHints([...last.messages, answer]),
    );
    expect(sent[sent.length - 1]?.content).toBe('one more');
    expect(resumed[0]!.tokens).toBeLessThanOrEqual(BUDGET);
  }, 60_000);
});
