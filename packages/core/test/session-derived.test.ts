import {
  type ChatMessage,
  createBus,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  DerivedState,
  defineAgent,
  defineDeriver,
  defineTool,
  type SessionStore,
  SimulatedClock,
  type TeamOptions,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/** Open todo items, from the todo_add / todo_done calls in history; counts its applies. */
function todoDeriver(lookBack?: number) {
  const counter = { applies: 0 };
  const deriver = defineDeriver({
    initial: () => [] as string[],
    apply(open: string[], message: ChatMessage) {
      counter.applies++;
      if (message.role !== 'assistant') return open;
      let next = open;
      for (const call of message.toolCalls ?? []) {
        const { item } = call.arguments as { item: string };
        if (call.name === 'todo_add') next = [...next, item];
        if (call.name === 'todo_done') next = next.filter((i) => i !== item);
      }
      return next;
    },
    ...(lookBack === undefined ? {} : { lookBack }),
  });
  return { deriver, counter };
}

const user = (content: string): ChatMessage => ({ role: 'user', content });
const call = (name: string, item: string, id = `${name}-${item}`): ChatMessage => ({
  role: 'assistant',
  content: '',
  toolCalls: [{ id, name, arguments: { item } }],
});

describe('DerivedState', () => {
  it('rebuilds from at most lookBack messages', () => {
    const { deriver, counter } = todoDeriver(3);
    const derived = new DerivedState({ todos: deriver });
    const history = [
      call('todo_add', 'old'),
      user('x'),
      call('todo_add', 'a'),
      call('todo_add', 'b'),
    ];
    derived.rebuild(history);
    expect(counter.applies).toBe(3);
    expect(derived.get('todos')).toEqual(['a', 'b']); // 'old' is beyond the look-back
    expect(derived.stats()).toEqual({ rebuilds: 1, rebuildMessages: 3, applied: 0 });
  });

  it('keeps current by folding in only new messages, never rescanning', () => {
    const { deriver, counter } = todoDeriver();
    const derived = new DerivedState({ todos: deriver });
    const history: ChatMessage[] = [];
    for (let i = 0; i < 100; i++) {
      history.push(call('todo_add', `t${i}`));
      derived.observe(history);
      derived.observe(history); // nothing new: nothing folded
    }
    history.push(call('todo_done', 't5'));
    derived.observe(history);
    expect(counter.applies).toBe(101);
    expect((derived.get('todos') as string[]).length).toBe(99);
  });

  it('rejects a malformed deriver naming it', () => {
    expect(() => defineDeriver({ initial: () => 0, apply: (s) => s, lookBack: 0 })).toThrow(
      /lookBack/,
    );
    expect(() =>
      defineAgent({
        name: 'x',
        instructions: '',
        model: scriptedModel({ steps: [] }),
        derive: { todos: { initial: () => 0 } as never },
      }),
    ).toThrow(/derive\.todos\.apply/);
  });
});

function todoAgent(clock: SimulatedClock, derive: ReturnType<typeof todoDeriver>['deriver']) {
  const tools = ['todo_add', 'todo_done'].map((name) =>
    defineTool({ name, description: name, input: z.object({ item: z.string() }), run: () => 'ok' }),
  );
  // Each user message is "add x" or "done x": one tool call, then a final answer.
  const model = scriptedModel({
    clock,
    steps: (_request, c) => {
      if (c.turn > 0) return { text: 'ok' };
      const [verb, item] = c.lastUser.split(' ');
      return {
        toolCalls: [{ name: verb === 'add' ? 'todo_add' : 'todo_done', arguments: { item } }],
      };
    },
  });
  return defineAgent({
    name: 'planner',
    instructions: 'Plan.',
    model,
    tools,
    derive: { todos: derive },
  });
}

function team(clock: SimulatedClock, store: SessionStore, extra: Partial<TeamOptions> = {}) {
  return createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    store,
    id: 'team-d',
    ...extra,
  });
}

describe('derived state of agents', () => {
  it('is kept current as the agent works, one message at a time', async () => {
    const clock = new SimulatedClock();
    const { deriver, counter } = todoDeriver();
    const t = team(clock, createMemorySessionStore());
    await t.spawn(todoAgent(clock, deriver), { name: 'ada' });
    for (const message of ['add a', 'add b', 'done a', 'add c']) await t.send('ada', message);
    expect(await t.derived('ada')).toEqual({ todos: ['b', 'c'] });
    // 4 runs x 4 messages (user, call, result, answer): each folded in exactly once.
    expect(counter.applies).toBe(16);
    await t.close();
  });

  it('is rebuilt once on resume, from the bounded look-back, then kept current', async () => {
    const clock = new SimulatedClock();
    const store = createMemorySessionStore();
    const first = team(clock, store);
    await first.spawn(todoAgent(clock, todoDeriver().deriver), { name: 'ada' });
    for (const message of ['add a', 'add b', 'done a']) await first.send('ada', message);
    await first.close();

    const { deriver, counter } = todoDeriver(8);
    const second = team(clock, store);
    await second.spawn(todoAgent(clock, deriver), { name: 'ada' });
    expect(counter.applies).toBe(8); // 12 stored messages, rebuilt from the last 8
    // 'add a' (and so the 'done a' that closed it) fall outside the look-back window for a:
    // only 'add b' onwards is folded in.
    expect(await second.derived('ada')).toEqual({ todos: ['b'] });
    await second.send('ada', 'add z');
    expect(await second.derived('ada')).toEqual({ todos: ['b', 'z'] });
    expect(counter.applies).toBe(12);
    await second.close();
  });

  it('survives passivation: kept while passive, rebuilt when the agent comes back', async () => {
    const clock = new SimulatedClock();
    const t = team(clock, createMemorySessionStore(), { idleTtlMs: 1_000 });
    await t.spawn(todoAgent(clock, todoDeriver().deriver), { name: 'ada' });
    await t.send('ada', 'add a');
    await clock.advance(1_000);
    await t.settled();
    expect(t.residency().passive).toBe(1);
    expect(await t.derived('ada')).toEqual({ todos: ['a'] });
    await t.send('ada', 'add b');
    expect(await t.derived('ada')).toEqual({ todos: ['a', 'b'] });
    await t.close();
  });
});
