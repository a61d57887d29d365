// The refactor team as a team module: 7 refactorers and a reviewer (a role that may not claim),
// an edit tool over a 200-file codebase, the 120 requests/min limit and a $50 budget. Live,
// `troupe run` gives it a real model; `troupe sim --team` replaces each agent's model with a
// policy model from refactor-team.json. This is what `troupe sim` (and `npm start`) runs by
// default; refactor-200.json runs the same workload on the built-in board engine, whose
// coordinated region picking is not a per-agent policy (see packages/sim/README.md).
import { defineAgent, defineTool } from '@troupe/core';
import { z } from 'zod';

const files = Array.from({ length: 200 }, (_, i) => `src/module-${String(i).padStart(4, '0')}.ts`);

const editRegion = defineTool({
  name: 'edit_region',
  description: 'Apply the refactoring to a claimed region of a file.',
  input: z.object({
    resource: z.enum(files),
    start: z.number().int().min(1).max(400),
    end: z.number().int().min(1).max(400),
  }),
  run: ({ resource, start, end }) => ({ edited: `${resource}:${start}-${end}` }),
});

const refactorer = (model) =>
  defineAgent({
    name: 'refactorer',
    instructions:
      'Refactor the codebase: claim a region, edit it, release it, share what you learn.',
    model,
    tools: [editRegion],
    maxTurns: 1000,
  });

export default ({ model }) => ({
  agents: [
    ...Array.from({ length: 7 }, (_, i) => ({
      definition: refactorer(model),
      name: `refactorer-${i + 1}`,
      role: { name: 'refactorer' },
    })),
    {
      definition: defineAgent({
        name: 'reviewer',
        instructions: 'Follow the team’s progress messages and review.',
        model,
        maxTurns: 1000,
      }),
      name: 'reviewer-1',
      role: { name: 'reviewer', denyTools: ['claim_region'] },
    },
  ],
  task: 'Refactor the open regions of the codebase.',
  to: 'refactorer-1',
  limits: [
    { key: 'model', windowMs: 60_000, requests: 120, tokens: 400_000 },
    { key: 'team', budgetUsd: 50 },
  ],
});
