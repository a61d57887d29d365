// A benchmark suite: five capitals, a geographer with a lookup tool, four kinds of scorer.
// Run it: troupe eval packages/eval/examples/capitals-suite.mjs --out out/capitals
import { fileURLToPath } from 'node:url';
import { defineAgent, defineTool } from '@troupe/core';
import { defineSuite, includes, modelGraded, regex } from '@troupe/eval';
import { z } from 'zod';

const atlas = {
  France: 'Paris',
  Japan: 'Tokyo',
  Kenya: 'Nairobi',
  Peru: 'Lima',
  Australia: 'Canberra',
};

const capitalOf = defineTool({
  name: 'capital_of',
  description: 'The capital city of a country.',
  input: z.object({ country: z.string() }),
  run: ({ country }) => atlas[country] ?? 'unknown',
});

export default defineSuite({
  name: 'capitals',
  dataset: fileURLToPath(new URL('./capitals.jsonl', import.meta.url)),
  // Built afresh for every task, with the model `troupe eval` (or runEval) is given.
  team: ({ model }) => ({
    agents: [
      defineAgent({
        name: 'geographer',
        instructions: 'Answer with the capital, looked up with capital_of, in one sentence.',
        model,
        tools: [capitalOf],
        maxTurns: 4,
      }),
    ],
  }),
  scorers: [
    includes({ ignoreCase: true }),
    regex(/^[A-Z][^\n]{0,80}\.$/, { name: 'one-sentence' }),
    // A plain function: its name is the scorer's.
    function noTrap({ output, task }) {
      const trap = task.metadata?.trap;
      return trap && String(output).includes(trap) ? { score: 0, note: `said ${trap}` } : 1;
    },
    // A judge model under the same limiter and budget; its cost is the task's.
    modelGraded({
      name: 'judge',
      rubric: 'Does the answer name the right capital, and nothing false?',
    }),
  ],
  concurrency: 4,
  // One limiter for the whole suite: every team and every judge takes its leases here.
  limits: [{ key: 'provider', windowMs: 60_000, requests: 500, tokens: 200_000 }],
  budgetUsd: 1,
  timeoutMs: 120_000,
  retries: 1,
});
