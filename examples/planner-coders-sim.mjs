// The planner-and-coders team module (planner-coders.mjs) on a simulated clock: the same module
// `troupe run` takes, with a scripted model playing each role, so the whole exchange runs
// deterministically and for free. Run it with `node examples/planner-coders-sim.mjs` after
// `npm run build`.
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  SimulatedClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import plannerAndCoders from './planner-coders.mjs';

/** Plays each role from the system prompt and the conversation so far. */
function play(request) {
  const last = request.messages.at(-1);
  const replied = last?.role === 'tool';
  if (request.system.startsWith('You are the planner')) {
    if (last?.role === 'user' && last.from !== undefined) {
      return { text: `Noted ${last.from}'s report.`, latencyMs: 800 };
    }
    if (replied) return { text: 'Sent a part to each coder.', latencyMs: 800 };
    return {
      latencyMs: 800,
      toolCalls: [
        { name: 'post_message', arguments: { to: 'coder-1', body: 'Write parse() in utils.ts.' } },
        {
          name: 'post_message',
          arguments: { to: 'coder-2', body: 'Write the tests for parse().' },
        },
      ],
    };
  }
  if (replied) return { text: 'Done and reported.', latencyMs: 800 };
  const task = last?.content.split('\n').at(-1) ?? '';
  return {
    latencyMs: 2_000,
    toolCalls: [{ name: 'post_message', arguments: { to: 'planner', body: `Done: ${task}` } }],
  };
}

const clock = new SimulatedClock();
const model = scriptedModel({ clock, steps: (request) => play(request) });
const spec = plannerAndCoders({ model, clock });
const team = createTeam({
  clock,
  state: createSharedState({ clock }),
  limiter: createRateLimiter({ clock, rules: [] }),
  bus: createBus({ clock }),
});
for (const agent of spec.agents) await team.spawn(agent, { name: agent.name });

const outcome = team.run(spec.to, spec.task, { until: 'idle', maxTurnsTotal: 50 });
await clock.runUntilIdle();
const { status, answers, turns } = await outcome;
console.log(`${status} after ${turns} model calls and ${clock.now()} simulated ms`);
for (const [agent, text] of Object.entries(answers)) console.log(`${agent}: ${text}`);
await team.close();
