import { createRateLimiter, defineAgent, SimulatedClock, type TeamEvent } from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
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
