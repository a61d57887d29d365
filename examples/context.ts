// Context policy: a long-lived agent under a 1,500-token prompt budget. Its standing order is
// pinned, older turns are summarised by a model call when the view outgrows the budget, and
// every call stays within it while the session keeps the whole history.
import {
  createBus,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  DEFAULT_SUMMARY_INSTRUCTIONS,
  defineAgent,
  type Model,
  type ModelRequest,
  SimulatedClock,
} from '@troupe/core';

/** A provider's count of a request: about 4 characters a token. */
const tokensOf = (request: ModelRequest): number =>
  Math.ceil(JSON.stringify([request.system, request.messages, request.tools]).length / 4);

export async function contextExample(): Promise<string[]> {
  const clock = new SimulatedClock();
  const store = createMemorySessionStore();
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [{ key: 'desk-model', budgetUsd: 1 }] }),
    bus: createBus({ clock }),
    store,
    id: 'support',
  });

  // A stand-in for a real model: it files tickets, writes summaries when compaction asks, and
  // reports its input tokens (which calibrate the runtime's estimate) and a price.
  let largest = 0;
  let summaries = 0;
  const model: Model = {
    id: 'desk-model',
    async generate(request) {
      const inputTokens = tokensOf(request);
      largest = Math.max(largest, inputTokens);
      const summary = request.system === DEFAULT_SUMMARY_INSTRUCTIONS;
      if (summary) summaries++;
      const text = summary ? 'Tickets 1 onwards were filed; all concern CSV exports.' : 'Filed.';
      return {
        text,
        toolCalls: [],
        usage: { inputTokens, outputTokens: 5, costUsd: inputTokens * 1e-7 },
        stopReason: 'end',
      };
    },
  };

  const desk = defineAgent({
    name: 'desk',
    instructions: 'File each ticket in one word.',
    model,
    context: { maxInputTokens: 1_500, pinned: { first: 1 }, summarize: { maxTokens: 100 } },
  });
  await team.spawn(desk, { name: 'desk' });
  await team.send('desk', 'Standing order: tickets about exports go to the data team.');
  for (let i = 1; i <= 60; i++) {
    await team.send('desk', `Ticket ${i}: the CSV export drops the last column.`);
  }

  const history = await team.history('desk');
  const usage = team.agent('desk')?.usage;
  await team.close();
  return [
    `every call within the budget: ${largest <= 1_500}`,
    `summaries written: ${summaries}`,
    `history kept: ${history.length} messages`,
    `model calls: ${usage?.requests}, each counted in usage and cost: ${(usage?.costUsd ?? 0) > 0}`,
  ];
}

// Run directly (`node examples/dist/context.js`): print the lines.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await contextExample()) console.log(line);
}
