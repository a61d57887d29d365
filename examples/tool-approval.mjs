// Tool approval: a tool defined with `needsApproval` pauses its agent's run until a person
// decides. The run waits in the `awaitingApproval` state (holding no rate-limit lease), the
// team emits `tool.approval_requested`, and `team.approve` / `team.reject` let it go on; the
// model sees a rejection's reason as the call's result. Runs on a simulated clock with a
// scripted model: `node examples/tool-approval.mjs` after `npm run build`.
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  SimulatedClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { z } from 'zod';

const deleteBranch = defineTool({
  name: 'delete_branch',
  description: 'Deletes a git branch.',
  input: z.object({ branch: z.string() }),
  // Scratch branches go at once; any other branch waits for a person.
  needsApproval: ({ branch }) => !branch.startsWith('tmp/'),
  run: ({ branch }) => `deleted ${branch}`,
});

// The model asks to delete three branches, then reports what each call returned.
const model = scriptedModel({
  steps: (_request, call) =>
    call.turn === 0
      ? {
          toolCalls: ['tmp/spike', 'feature/login', 'main'].map((branch, i) => ({
            id: `call-${i + 1}`,
            name: 'delete_branch',
            arguments: { branch },
          })),
        }
      : { text: call.toolResults.map((r) => `- ${r.content}`).join('\n') },
});

const clock = new SimulatedClock();
const team = createTeam({
  clock,
  state: createSharedState({ clock }),
  limiter: createRateLimiter({ clock, rules: [] }),
  bus: createBus({ clock }),
});
await team.spawn(
  defineAgent({
    name: 'janitor',
    instructions: 'Tidy the repository.',
    model,
    tools: [deleteBranch],
  }),
  { name: 'janitor' },
);

// The person: approves everything but `main`. A real one would be asked (a UI, a chat, a
// terminal: `troupe run` asks on its terminal) and may take days; with a store the pause
// survives a restart of the process (`team.resume`), and the same decision can be given then.
team.on('tool.approval_requested', (e) => {
  const { branch } = e.arguments;
  console.log(`${e.agent} wants ${e.tool}(${branch}) [run ${e.runId}, call ${e.callId}]`);
  if (branch === 'main') void team.reject(e.runId, e.callId, 'main is protected');
  else void team.approve(e.runId, e.callId);
});

const result = await team.send('janitor', 'Delete the merged branches.');
console.log(`${result.status}:\n${result.text}`);
await team.close();
