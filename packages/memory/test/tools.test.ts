import { type AnyTool, SimulatedClock, type ToolContext } from '@troupe/core';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createHashEmbedder,
  createInMemoryStore,
  type MemoryStore,
  memoryTools,
} from '../src/index.js';

function context(agent: string, clock: SimulatedClock): ToolContext {
  return {
    agent,
    callId: 'call-1',
    clock,
    signal: new AbortController().signal,
    context: {},
    afterEarlierCalls: async () => ({}),
  };
}

/** Runs a tool as the agent runtime does: arguments through its zod schema, then `run`. */
async function call(tool: AnyTool, args: unknown, ctx: ToolContext): Promise<unknown> {
  return tool.run(tool.input.parse(args), ctx);
}

describe('memoryTools', () => {
  let clock: SimulatedClock;
  let memory: MemoryStore;
  let tools: Record<string, AnyTool>;
  beforeEach(() => {
    clock = new SimulatedClock();
    memory = createInMemoryStore({ clock, embedder: createHashEmbedder(), minSimilarity: 0.2 });
    const list = memoryTools(memory, { scope: (ctx) => ({ team: 'research', agent: ctx.agent }) });
    tools = Object.fromEntries(list.map((t) => [t.name, t]));
  });

  it('are named remember, recall and forget', () => {
    expect(Object.keys(tools)).toEqual(['remember', 'recall', 'forget']);
  });

  it('remember stores the entry in the scope with the given fields', async () => {
    const result = (await call(
      tools.remember!,
      { content: 'The build cache lives in S3', type: 'semantic', importance: 0.8, tags: ['ci'] },
      context('scout', clock),
    )) as { id: string };
    expect(await memory.get(result.id)).toMatchObject({
      content: 'The build cache lives in S3',
      importance: 0.8,
      tags: ['ci'],
      scope: { team: 'research', agent: 'scout' },
    });
  });

  it('recall finds what the same agent remembered, not what others did', async () => {
    const scout = context('scout', clock);
    await call(tools.remember!, { content: 'The build cache lives in S3' }, scout);
    await call(tools.remember!, { content: 'The build cache is private' }, context('other', clock));
    const hits = (await call(tools.recall!, { query: 'where is the build cache' }, scout)) as {
      content: string;
      score: number;
    }[];
    expect(hits.map((h) => h.content)).toEqual(['The build cache lives in S3']);
    expect(hits[0]!.score).toBeGreaterThan(0);
  });

  it('recall honours limit and types', async () => {
    const scout = context('scout', clock);
    await call(tools.remember!, { content: 'deploy step one', type: 'procedural' }, scout);
    await call(tools.remember!, { content: 'deploy failed yesterday', type: 'episodic' }, scout);
    await call(tools.remember!, { content: 'deploy target is k8s' }, scout);
    const episodic = (await call(
      tools.recall!,
      { query: 'deploy', types: ['episodic'] },
      scout,
    )) as { type: string }[];
    expect(episodic.map((h) => h.type)).toEqual(['episodic']);
    expect(await call(tools.recall!, { query: 'deploy', limit: 2 }, scout)).toHaveLength(2);
  });

  it('forget deletes inside the scope and refuses outside it as a result', async () => {
    const { id } = (await call(
      tools.remember!,
      { content: 'temporary note' },
      context('scout', clock),
    )) as {
      id: string;
    };
    expect(await call(tools.forget!, { id }, context('intruder', clock))).toEqual({
      forgotten: false,
    });
    expect(await memory.get(id)).toBeDefined();
    expect(await call(tools.forget!, { id }, context('scout', clock))).toEqual({ forgotten: true });
    expect(await memory.get(id)).toBeUndefined();
    expect(await call(tools.forget!, { id }, context('scout', clock))).toEqual({
      forgotten: false,
    });
  });

  it('bad arguments fail the tool schema', () => {
    expect(tools.remember!.input.safeParse({ content: 'x', importance: 3 }).success).toBe(false);
    expect(tools.recall!.input.safeParse({ query: '' }).success).toBe(false);
  });

  it('a fixed scope applies to every agent', async () => {
    const shared = Object.fromEntries(
      memoryTools(memory, { scope: { team: 'ops' } }).map((t) => [t.name, t]),
    );
    const { id } = (await call(
      shared.remember!,
      { content: 'pager rota is weekly' },
      context('a', clock),
    )) as {
      id: string;
    };
    expect((await memory.get(id))?.scope).toEqual({ team: 'ops' });
    const hits = (await call(
      shared.recall!,
      { query: 'pager rota' },
      context('b', clock),
    )) as unknown[];
    expect(hits).toHaveLength(1);
  });

  it('refuses bad options naming them', () => {
    expect(() => memoryTools(memory, { recallLimit: 0 })).toThrow(/recallLimit/);
    expect(() => memoryTools(memory, { scope: { team: '' } })).toThrow(/scope/);
  });
});
