// A planner and two coders, as a team module: `troupe run examples/planner-coders.mjs` runs it
// against a real model until the whole team is idle. The planner posts a part of the task to
// each coder; a message to an agent is what makes it run, so each coder works on its part and
// reports back, which runs the planner again to sum up. No agent polls for messages.
import { defineAgent } from '@troupe/core';

export default ({ model }) => ({
  agents: [
    defineAgent({
      name: 'planner',
      instructions:
        'You are the planner. Split the task in two and post one part to each coder with ' +
        'post_message (to "coder-1" and to "coder-2"). When a coder reports back, acknowledge ' +
        'it in one sentence; once both have, sum up the result.',
      model,
      maxTurns: 4,
    }),
    ...['coder-1', 'coder-2'].map((name) =>
      defineAgent({
        name,
        instructions:
          'You are a coder. Do the part of the task you are given, then report what you did to ' +
          'the planner with post_message (to "planner"), and answer with a one-line summary.',
        model,
        maxTurns: 4,
      }),
    ),
  ],
  task: 'Add a parse() function for ISO dates to utils.ts, with unit tests.',
  to: 'planner',
});
