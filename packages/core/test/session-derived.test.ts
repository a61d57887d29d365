import { type ChatMessage, DerivedState, defineAgent, defineDeriver } from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';

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
