// Property: whatever order parallel tool calls finish in, results and context updates come back
// in call order.
import { defineAgent, defineTool, toolResult } from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { drive, makeTeam } from './fixtures/harness.js';

it('returns results and applies updates in call order for any finishing order', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 8 }),
      async (delays) => {
        const { team, clock } = makeTeam('inline');
        const step = defineTool({
          name: 'step',
          description: 'Waits, then records its index',
          input: z.object({ index: z.number().int(), delayMs: z.number() }),
          run: ({ index, delayMs }, ctx) =>
            new Promise((resolve) =>
              ctx.clock.setTimeout(
                () =>
                  resolve(
                    toolResult(`done ${index}`, [{ op: 'append', key: 'order', value: index }]),
                  ),
                delayMs,
              ),
            ),
        });
        const calls = delays.map((delayMs, index) => ({
          name: 'step',
          arguments: { index, delayMs },
        }));
        const model = scriptedModel({ steps: [{ toolCalls: calls }, { text: 'ok' }] });
        await team.spawn(defineAgent({ name: 'a', instructions: '', model, tools: [step] }), {
          name: 'a',
        });
        await drive(team, clock, team.send('a', 'go'));
        const results = (await team.history('a'))
          .filter((m) => m.role === 'tool')
          .map((m) => m.content);
        expect(results).toEqual(delays.map((_, i) => `done ${i}`));
        expect(await team.context('a')).toEqual({ order: delays.map((_, i) => i) });
        await team.close();
      },
    ),
    { numRuns: 40 },
  );
});
