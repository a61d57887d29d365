// The memory tools inside a real agent run: an inline team, a scripted model that remembers,
// then recalls, then reads what recall returned.
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  SimulatedClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';
import { createHashEmbedder, createInMemoryStore, memoryTools } from '../src/index.js';

describe('memory tools in an agent run', () => {
  it('an agent remembers, then recalls what it remembered', async () => {
    const clock = new SimulatedClock();
    const memory = createInMemoryStore({
      clock,
      embedder: createHashEmbedder(),
      minSimilarity: 0.2,
    });
    const team = createTeam({
      clock,
      state: createSharedState({ clock }),
      bus: createBus({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
    });
    const recalled: string[] = [];
    const model = scriptedModel({
      steps: (_request, call) => {
        if (call.turn === 0) {
          return {
            toolCalls: [
              {
                name: 'remember',
                arguments: { content: 'The build cache lives in S3', importance: 0.8 },
              },
            ],
          };
        }
        if (call.turn === 1)
          return {
            toolCalls: [{ name: 'recall', arguments: { query: 'where is the build cache' } }],
          };
        recalled.push(...call.toolResults.map((r) => r.content));
        return { text: 'done' };
      },
    });
    const tools = memoryTools(memory, { scope: (ctx) => ({ team: 'research', agent: ctx.agent }) });
    await team.spawn(
      defineAgent({ name: 'scout', instructions: 'Remember things.', model, tools, maxTurns: 5 }),
      {
        name: 'scout',
      },
    );
    const run = await team.send('scout', 'go');
    await team.close();

    expect(run.status).toBe('completed');
    expect(model.requests[0]?.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['remember', 'recall', 'forget']),
    );
    const [stored] = await memory.list({ scope: { team: 'research', agent: 'scout' } });
    expect(stored).toMatchObject({
      content: 'The build cache lives in S3',
      importance: 0.8,
      accessCount: 1,
    });
    expect(recalled).toHaveLength(1);
    expect(JSON.parse(recalled[0]!)).toEqual([
      expect.objectContaining({
        id: stored!.id,
        content: 'The build cache lives in S3',
        type: 'semantic',
      }),
    ]);
    await memory.close();
  });
});
