import {
  createRateLimiter,
  defineAgent,
  defineTool,
  type Model,
  SimulatedClock,
  type TeamEvent,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventHub } from '../src/events/event-hub.js';
import { makeTeam } from './fixtures/harness.js';

const chatty = () =>
  defineAgent({
    name: 'chatty',
    instructions: '',
    model: scriptedModel({ steps: () => ({ text: 'hi' }) }),
  });

describe('team events', () => {
  let team: ReturnType<typeof makeTeam>['team'] | undefined;
  afterEach(async () => {
    await team?.close();
  });

  it('calls a typed listener only for its type until unsubscribed', async () => {
    ({ team } = makeTeam('inline'));
    await team.spawn(chatty(), { name: 'c' });
    const finished: string[] = [];
    const off = team.on('run.finished', (e) => finished.push(`${e.agent}:${e.status}`));
    await team.send('c', 'one');
    off();
    await team.send('c', 'two');
    expect(finished).toEqual(['c:completed']);
  });

  it('wakes an async-iterable consumer with each event as it happens', async () => {
    ({ team } = makeTeam('inline'));
    await team.spawn(chatty(), { name: 'c' });
    const stream = team.events({ types: ['run.started', 'run.finished'] });
    const first = stream.next(); // pending before anything happens
    await team.send('c', 'one');
    expect((await first).value).toMatchObject({ type: 'run.started', agent: 'c' });
    expect((await stream.next()).value).toMatchObject({
      type: 'run.finished',
      status: 'completed',
    });
    stream.close();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('drops the oldest events past the buffer and reports how many', async () => {
    ({ team } = makeTeam('inline'));
    await team.spawn(chatty(), { name: 'c' });
    const stream = team.events({ bufferSize: 2, types: ['run.finished'] });
    for (let i = 0; i < 5; i++) await team.send('c', `m${i}`);
    const dropped = (await stream.next()).value as TeamEvent;
    expect(dropped).toMatchObject({ type: 'events.dropped', count: 3 });
    const kept = [(await stream.next()).value, (await stream.next()).value] as TeamEvent[];
    expect(kept.map((e) => (e.type === 'run.finished' ? e.runId : ''))).toEqual(['c:4', 'c:5']);
  });

  it('ends every stream when the team closes, after what it buffered', async () => {
    const setup = makeTeam('inline');
    await setup.team.spawn(chatty(), { name: 'c' });
    const stream = setup.team.events({ types: ['run.finished'] });
    await setup.team.send('c', 'x');
    await setup.team.close();
    const seen: string[] = [];
    for await (const event of stream) seen.push(event.type);
    expect(seen).toEqual(['run.finished']);
  });

  it('keeps a throwing listener away from the agent and reports its error', async () => {
    const reported: string[] = [];
    ({ team } = makeTeam('inline', {
      onListenerError: (error, event) => reported.push(`${event.type}: ${String(error)}`),
    }));
    team.on('turn.started', () => {
      throw new Error('listener bug');
    });
    await team.spawn(chatty(), { name: 'c' });
    expect((await team.send('c', 'hi')).status).toBe('completed');
    expect(reported).toEqual(['turn.started: Error: listener bug']);
  });

  it('gives a stream asked of a closed team that is already over', async () => {
    const setup = makeTeam('inline');
    await setup.team.close();
    expect(await setup.team.events().next()).toEqual({ value: undefined, done: true });
  });

  it('reports lease waits with the time waited', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'm', windowMs: 1_000, requests: 1 }],
    });
    ({ team } = makeTeam('inline', { clock, limiter, limiterKeys: ['m'] }));
    await team.spawn(chatty(), { name: 'a' });
    await team.spawn(chatty(), { name: 'b' });
    const waits: number[] = [];
    team.on('lease.waited', (e) => waits.push(e.waitedMs));
    await team.send('a', 'x');
    const second = team.send('b', 'y');
    await team.settled();
    expect(team.agent('b')?.state).toBe('waitingForLease');
    await clock.advance(1_000);
    expect((await second).status).toBe('completed');
    expect(waits).toEqual([1_000]);
  });
});

describe('event hub: who wants which type', () => {
  it('wants a type only while a listener or typed stream takes it', () => {
    const hub = new EventHub(() => 0);
    expect(hub.wants('tool.called')).toBe(false);
    const off = hub.on('tool.called', () => {});
    const stream = hub.stream({ types: ['model.answered'] });
    expect(hub.wants('tool.called')).toBe(true);
    expect(hub.wants('model.answered')).toBe(true);
    expect(hub.wants('agent.state')).toBe(false);
    off();
    stream.close();
    expect(hub.wants('tool.called')).toBe(false);
    expect(hub.wants('model.answered')).toBe(false);
    expect(hub.active).toBe(false);
  });

  it('wants every type while a catch-all listener or an unfiltered stream is there', () => {
    const hub = new EventHub(() => 0);
    const off = hub.on('*', () => {});
    expect(hub.wants('agent.state')).toBe(true);
    off();
    const stream = hub.stream();
    expect(hub.wants('model.delta')).toBe(true);
    stream.close();
    expect(hub.wants('model.delta')).toBe(false);
  });

  it('onTypes wants exactly its types, takes their events, and lets go on unsubscribe', () => {
    const hub = new EventHub(() => 0);
    const seen: string[] = [];
    const off = hub.onTypes(['tool.called', 'run.finished'], (event) => seen.push(event.type));
    expect(hub.wantedTypes()).toEqual(['tool.called', 'run.finished']);
    expect(hub.wants('tool.called')).toBe(true);
    expect(hub.wants('model.delta')).toBe(false);
    hub.emit({ type: 'tool.called', at: 0, agent: 'a', runId: 'r', tool: 't', callId: 'c' });
    hub.emit({ type: 'agent.stopped', at: 0, agent: 'a' });
    expect(seen).toEqual(['tool.called']);
    off();
    expect(hub.active).toBe(false);
    expect(hub.wantedTypes()).toEqual([]);
  });

  it('tells type watchers only when a type starts or stops being wanted', () => {
    const hub = new EventHub(() => 0);
    const seen: (readonly string[])[] = [];
    hub.watchTypes((types) => seen.push(types));
    const offA = hub.on('tool.returned', () => {});
    const offB = hub.on('tool.returned', () => {});
    const stream = hub.stream({ types: ['model.delta'] });
    offA();
    offB();
    stream.close();
    hub.on('*', () => {});
    hub.close();
    expect(seen).toEqual([
      ['tool.returned'],
      ['tool.returned', 'model.delta'],
      ['model.delta'],
      [],
      ['*'],
      [],
    ]);
  });

  it('wants nothing once closed', () => {
    const hub = new EventHub(() => 0);
    hub.on('run.finished', () => {});
    hub.close();
    expect(hub.wants('run.finished')).toBe(false);
  });
});

describe('typed listeners get their events when nothing else is listened to', () => {
  it('reports tool.returned to a listener of that type alone', async () => {
    const { team } = makeTeam('inline');
    const add = defineTool({
      name: 'add',
      description: 'adds',
      input: z.object({ a: z.number(), b: z.number() }),
      run: ({ a, b }) => a + b,
    });
    const model = scriptedModel({
      steps: [{ toolCalls: [{ name: 'add', arguments: { a: 1, b: 2 } }] }, { text: '3' }],
    });
    await team.spawn(defineAgent({ name: 'calc', instructions: '', model, tools: [add] }), {
      name: 'calc',
    });
    const seen: string[] = [];
    team.on('tool.returned', (e) => seen.push(`${e.tool}:${e.isError}`));
    await team.send('calc', 'add');
    expect(seen).toEqual(['add:false']);
    await team.close();
  });
});

describe('model.delta', () => {
  const streaming = () =>
    scriptedModel({
      steps: [
        {
          toolCalls: [{ name: 'add', id: 'c1', arguments: { a: 1, b: 2 } }],
          deltas: [
            { type: 'tool-call', index: 0, id: 'c1', name: 'add', argumentsDelta: '{"a":1,' },
            { type: 'tool-call', index: 0, argumentsDelta: '"b":2}' },
          ],
        },
        {
          text: 'The sum is 3.',
          deltas: [
            { type: 'text', text: 'The sum ' },
            { type: 'text', text: 'is 3.' },
          ],
        },
      ],
    });
  const add = defineTool({
    name: 'add',
    description: 'adds',
    input: z.object({ a: z.number(), b: z.number() }),
    run: ({ a, b }) => a + b,
  });

  it('reports each streamed delta with its agent, run and turn', async () => {
    const { team } = makeTeam('inline');
    await team.spawn(
      defineAgent({ name: 'calc', instructions: '', model: streaming(), tools: [add] }),
      { name: 'calc' },
    );
    const deltas: TeamEvent[] = [];
    team.on('model.delta', (e) => deltas.push(e));
    const result = await team.send('calc', 'add 1 and 2');
    expect(deltas.map((e) => e.type === 'model.delta' && [e.agent, e.runId, e.turn])).toEqual([
      ['calc', result.runId, 1],
      ['calc', result.runId, 1],
      ['calc', result.runId, 2],
      ['calc', result.runId, 2],
    ]);
    const text = deltas
      .map((e) => (e.type === 'model.delta' && e.delta.type === 'text' ? e.delta.text : ''))
      .join('');
    expect(text).toBe(result.text);
    const args = deltas
      .map((e) =>
        e.type === 'model.delta' && e.delta.type === 'tool-call' ? e.delta.argumentsDelta : '',
      )
      .join('');
    expect(JSON.parse(args)).toEqual({ a: 1, b: 2 });
    await team.close();
  });

  it('asks the model for deltas only while someone listens to model.delta', async () => {
    const { team } = makeTeam('inline');
    const model = streaming();
    await team.spawn(defineAgent({ name: 'calc', instructions: '', model, tools: [add] }), {
      name: 'calc',
    });
    const off = team.on('run.finished', () => {});
    await team.send('calc', 'add 1 and 2');
    expect(model.requests.map((r) => r.onDelta === undefined)).toEqual([true, true]);
    off();
    team.on('model.delta', () => {});
    await team.send('calc', 'again');
    expect(model.requests.slice(2).map((r) => typeof r.onDelta)).toEqual(['function']);
    await team.close();
  });

  it('drops the deltas an interrupted turn streams after the interrupt', async () => {
    const { team } = makeTeam('inline');
    let release: () => void = () => {};
    const model: Model = {
      id: 'slow-stream',
      async generate(request) {
        request.onDelta?.({ type: 'text', text: 'before' });
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        request.onDelta?.({ type: 'text', text: 'after' });
        return {
          text: 'beforeafter',
          toolCalls: [],
          usage: { inputTokens: 1, outputTokens: 1 },
          stopReason: 'end',
        };
      },
    };
    await team.spawn(defineAgent({ name: 'slow', instructions: '', model }), {
      name: 'slow',
      whenBusy: 'interrupt',
    });
    const texts: string[] = [];
    team.on('model.delta', (e) => {
      if (e.delta.type === 'text') texts.push(`${e.runId}:${e.delta.text}`);
    });
    const first = team.send('slow', 'one');
    await Promise.resolve();
    const firstRelease = release;
    const second = team.send('slow', 'two'); // interrupts the first run mid-stream
    firstRelease();
    expect((await first).status).toBe('interrupted');
    release();
    const done = await second;
    expect(texts).toEqual(['slow:1:before', `${done.runId}:before`, `${done.runId}:after`]);
    await team.close();
  });
});
