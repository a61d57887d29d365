import {
  createBus,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  SimulatedClock,
  type TeamEvent,
  toolResult,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

function deep(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

const echo = defineTool({
  name: 'echo',
  description: 'Echoes',
  input: z.object({ v: z.unknown() }),
  run: ({ v }) => JSON.stringify(v).length,
});

function makeTeam(roles?: { name: string; denyTools: string[] }[]) {
  const clock = new SimulatedClock();
  const store = createMemorySessionStore();
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    store,
    ...(roles === undefined ? {} : { roles }),
  });
  const events: TeamEvent[] = [];
  team.on('tool.called', (e) => events.push(e));
  team.on('tool.returned', (e) => events.push(e));
  return { clock, store, team, events };
}

const toolMessages = (model: ReturnType<typeof scriptedModel>, request: number) =>
  model.requests[request]?.messages.filter((m) => m.role === 'tool') ?? [];

describe('model-supplied tool arguments are bounded (issue 12, item 4)', () => {
  it('4,175 levels of nesting are a tool error the model sees; the agent and its session live on', async () => {
    const { clock, store, team } = makeTeam();
    const model = scriptedModel({
      steps: [
        { toolCalls: [{ id: 'c1', name: 'echo', arguments: { v: deep(4_175) } }] },
        { text: 'recovered' },
        { toolCalls: [{ id: 'c2', name: 'echo', arguments: { v: deep(3) } }] },
        { text: 'still fine' },
      ],
    });
    await team.spawn(defineAgent({ name: 'a', instructions: '', model, tools: [echo] }), {
      name: 'ada',
    });
    expect(await team.send('ada', 'go')).toMatchObject({ status: 'completed', text: 'recovered' });
    const [result] = toolMessages(model, 1);
    expect(result).toMatchObject({ isError: true });
    expect(result?.content).toMatch(/nested deeper than 64 levels/);
    expect(await team.send('ada', 'again')).toMatchObject({
      status: 'completed',
      text: 'still fine',
    });
    const closing = team.close();
    await clock.runUntilIdle();
    await closing;
    expect(await store.listSessions()).toHaveLength(1);
    const [sessionId] = await store.listSessions();
    expect((await store.loadHistory(sessionId!)).length).toBeGreaterThanOrEqual(8);
  });

  it('arguments larger than 1,000,000 characters are a tool error', async () => {
    const { team } = makeTeam();
    const model = scriptedModel({
      steps: [
        { toolCalls: [{ id: 'c1', name: 'echo', arguments: { v: 'x'.repeat(1_000_001) } }] },
        { text: 'ok' },
      ],
    });
    await team.spawn(defineAgent({ name: 'a', instructions: '', model, tools: [echo] }), {
      name: 'ada',
    });
    await team.send('ada', 'go');
    expect(toolMessages(model, 1)[0]?.content).toMatch(/larger than 1000000 characters/);
    await team.close();
  });
});

describe('context updates from tools take JSON values only (issue 12, item 5)', () => {
  it('refuses a BigInt update as a tool error and leaves the context as it was', async () => {
    const { clock, store, team } = makeTeam();
    const remember = defineTool({
      name: 'remember',
      description: 'Stores a value',
      input: z.object({ kind: z.string() }),
      run: ({ kind }) =>
        toolResult('noted', [{ op: 'set', key: 'fact', value: kind === 'bad' ? 10n : 'good' }]),
    });
    const model = scriptedModel({
      steps: [
        { toolCalls: [{ id: 'c1', name: 'remember', arguments: { kind: 'good' } }] },
        { toolCalls: [{ id: 'c2', name: 'remember', arguments: { kind: 'bad' } }] },
        { text: 'done' },
      ],
    });
    await team.spawn(defineAgent({ name: 'a', instructions: '', model, tools: [remember] }), {
      name: 'ada',
    });
    await team.send('ada', 'go');
    expect(toolMessages(model, 2)[1]).toMatchObject({ isError: true });
    expect(toolMessages(model, 2)[1]?.content).toMatch(/bigint/);
    const closing = team.close();
    await clock.runUntilIdle();
    await closing;
    const [sessionId] = await store.listSessions();
    expect((await store.loadSnapshot(sessionId!))?.context).toEqual({ fact: 'good' });
  });
});

describe('every tool outcome emits a tool event (issue 12, item 10)', () => {
  it('reports unknown tools, role-denied calls, invalid arguments, throws and timeouts', async () => {
    const { clock, team, events } = makeTeam([{ name: 'reader', denyTools: ['echo'] }]);
    const boom = defineTool({
      name: 'boom',
      description: 'Throws',
      input: z.object({}),
      run: () => {
        throw new Error('kaput');
      },
    });
    const slow = defineTool({
      name: 'slow',
      description: 'Never ends',
      input: z.object({}),
      timeoutMs: 1_000,
      run: () => new Promise(() => {}),
    });
    const model = scriptedModel({
      steps: [
        {
          toolCalls: [
            { id: 'u', name: 'nope', arguments: {} },
            { id: 'd', name: 'echo', arguments: { v: 1 } },
            { id: 'i', name: 'boom', arguments: { extra: deep(100) } },
            { id: 'b', name: 'boom', arguments: {} },
            { id: 's', name: 'slow', arguments: {} },
          ],
        },
        { text: 'done' },
      ],
    });
    await team.spawn(
      defineAgent({ name: 'a', instructions: '', model, tools: [echo, boom, slow] }),
      { name: 'ada', role: 'reader' },
    );
    const running = team.send('ada', 'go');
    await clock.advance(1_000);
    await running;
    const returned = events.filter((e) => e.type === 'tool.returned');
    const called = events.filter((e) => e.type === 'tool.called');
    expect(called.map((e) => e.callId).sort()).toEqual(['b', 'd', 'i', 's', 'u']);
    expect(returned.map((e) => [e.callId, e.isError]).sort()).toEqual([
      ['b', true],
      ['d', true],
      ['i', true],
      ['s', true],
      ['u', true],
    ]);
    await team.close();
  });
});

describe('defineTool refuses what it cannot run (issue 12, items 17 and 19)', () => {
  it('refuses a zod 3 schema (a _def and no _zod) with a message asking for zod 4', () => {
    const zod3Like = {
      _def: { typeName: 'ZodObject' },
      safeParse: () => ({ success: true, data: {} }),
      parse: () => ({}),
    };
    expect(() =>
      defineTool({ name: 'old', description: '', input: zod3Like as never, run: () => 1 }),
    ).toThrowError(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('zod 4'),
      }),
    );
  });

  it('refuses a misspelt option naming it', () => {
    expect(() =>
      defineTool({
        name: 'x',
        description: '',
        input: z.object({}),
        run: () => 1,
        timeoutMS: 5,
      } as never),
    ).toThrowError(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('timeoutMS'),
      }),
    );
  });
});
