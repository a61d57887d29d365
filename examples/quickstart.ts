// Quickstart: two agents share one codebase. Each claims a region of a file before editing it,
// the second one's overlapping claim conflicts, and they coordinate through discoveries and
// messages — deterministically, on a simulated clock, with scripted models.
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  SimulatedClock,
  toolResult,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing/doubles';
import { z } from 'zod';

export async function quickstart(): Promise<string[]> {
  const clock = new SimulatedClock();
  const team = createTeam({
    clock,
    state: createSharedState({ clock, defaultTtlMs: 300_000 }),
    limiter: createRateLimiter({
      clock,
      rules: [{ key: 'model', windowMs: 60_000, requests: 60, tokens: 100_000 }],
    }),
    bus: createBus({ clock }),
    limiterKeys: ['model'],
  });

  // A tool of our own: zod validates the arguments; the result can update the agent's context.
  const editFile = defineTool({
    name: 'edit_file',
    description: 'Rewrite lines [start, end] of a file.',
    input: z.object({ path: z.string(), start: z.number().int(), end: z.number().int() }),
    run: ({ path, start, end }) =>
      toolResult({ edited: `${path}:${start}-${end}` }, [
        { op: 'append', key: 'edited', value: path },
      ]),
  });

  const ada = defineAgent({
    name: 'refactorer',
    instructions: 'Claim a region before you edit it; share what you learn.',
    tools: [editFile],
    model: scriptedModel({
      clock,
      latencyMs: 200,
      steps: [
        {
          toolCalls: [
            { name: 'claim_region', arguments: { resource: 'src/auth.ts', start: 1, end: 40 } },
          ],
        },
        {
          toolCalls: [{ name: 'edit_file', arguments: { path: 'src/auth.ts', start: 1, end: 40 } }],
        },
        {
          toolCalls: [
            {
              name: 'share_discovery',
              arguments: { topic: 'auth', content: 'tokens are checked twice' },
            },
            { name: 'release_region', arguments: { resource: 'src/auth.ts' } },
            {
              name: 'post_message',
              arguments: { to: 'grace', body: 'src/auth.ts lines 1-40 are done' },
            },
          ],
        },
        { text: 'Refactored src/auth.ts lines 1-40.' },
      ],
    }),
  });

  const grace = defineAgent({
    name: 'reviewer',
    instructions: 'Review what the others finish.',
    model: scriptedModel({
      clock,
      latencyMs: 500,
      steps: [
        // Overlaps ada's claim: a conflict is a normal tool result, not an error.
        {
          toolCalls: [
            { name: 'claim_region', arguments: { resource: 'src/auth.ts', start: 30, end: 60 } },
          ],
        },
        { toolCalls: [{ name: 'wait_messages', arguments: { timeoutMs: 10_000 } }] },
        { toolCalls: [{ name: 'list_discoveries', arguments: { topic: 'auth' } }] },
        { text: 'Reviewed src/auth.ts.' },
      ],
    }),
  });

  const log: string[] = [];
  team.on('*', (event) => {
    if (event.type === 'claim.granted' || event.type === 'claim.conflicted') {
      log.push(`${event.at} ms ${event.agent} ${event.type} ${event.resource}`);
    } else if (event.type === 'discovery.shared' || event.type === 'message.posted') {
      log.push(`${event.at} ms ${event.agent} ${event.type} ${event.topic}`);
    }
  });

  await team.spawn(ada, { name: 'ada' });
  await team.spawn(grace, { name: 'grace' });
  const runs = Promise.all([
    team.send('ada', 'Refactor src/auth.ts'),
    team.send('grace', 'Review'),
  ]);
  await clock.runUntilIdle(); // simulated time: the whole exchange takes no real time
  for (const result of await runs) log.push(`${result.agent}: ${result.status} — ${result.text}`);
  await team.close();
  return log;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await quickstart()) console.log(line);
}
