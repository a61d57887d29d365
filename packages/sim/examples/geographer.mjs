// A one-agent team module (the shape `troupe run` takes): a geographer with a lookup tool.
import { defineAgent, defineTool } from '@troupe/core';
import { z } from 'zod';

const capital = defineTool({
  name: 'capital_of',
  description: 'The capital city of a country.',
  input: z.object({ country: z.string() }),
  run: ({ country }) => (country === 'France' ? 'Paris' : 'unknown'),
});

export default ({ model }) => ({
  agents: [
    defineAgent({
      name: 'geographer',
      instructions: 'Answer geography questions; look capitals up with capital_of.',
      model,
      tools: [capital],
      maxTurns: 4,
    }),
  ],
  task: 'What is the capital of France?',
});
