import { defineAgent, type TeamEvent, TroupeError } from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTeam } from './fixtures/harness.js';

/** A model that fails whenever the message says "fail". */
const brittle = () =>
  defineAgent({
    name: 'brittle',
    instructions: '',
    model: scriptedModel({
      steps: (_r, call) =>
        call.lastUser === 'fail'
          ? { error: new TroupeError('ERR_PROVIDER_UNAVAILABLE', 'down') }
          : { text: `ok: ${call.lastUser}` },
    }),
  });

describe('supervision (one-for-one)', () => {
  let team: ReturnType<typeof makeTeam>['team'] | undefined;
  afterEach(async () => {
    await team?.close();
  });

  it('marks an agent failed after maxRestarts within the window, and the team goes on', async () => {
    const setup = makeTeam('inline', { supervision: { maxRestarts: 2, windowMs: 10_000 } });
    team = setup.team;
    const events: string[] = [];
    team.on('*', (e: TeamEvent) => {
      if (e.type === 'agent.failed') events.push(`failed:${e.restarts}:${e.final}`);
      if (e.type === 'agent.restarted') events.push(`restarted:${e.restarts}`);
    });
    await team.spawn(brittle(), { name: 'x' });
    await team.spawn(brittle(), { name: 'y' });
    for (let i = 0; i < 3; i++) {
      expect((await team.send('x', 'fail')).status).toBe('failed');
      // Restarts after the first back off (jittered, at most a few hundred ms here).
      await setup.clock.advance(1_000);
    }
    expect(events).toEqual([
      'failed:0:false',
      'restarted:1',
      'failed:1:false',
      'restarted:2',
      'failed:2:true',
    ]);
    expect(team.agent('x')).toMatchObject({ state: 'failed', restarts: 2 });
    expect(await team.send('x', 'hello')).toMatchObject({
      status: 'failed',
      error: { code: 'ERR_CLOSED' },
    });
    expect((await team.send('y', 'hello')).text).toBe('ok: hello');
  });

  it('forgets restarts older than the window', async () => {
    const setup = makeTeam('inline', { supervision: { maxRestarts: 1, windowMs: 1_000 } });
    team = setup.team;
    await team.spawn(brittle(), { name: 'x' });
    await team.send('x', 'fail');
    await team.settled();
    await setup.clock.advance(1_000);
    await team.send('x', 'fail');
    await setup.clock.advance(1_000);
    expect(team.agent('x')).toMatchObject({ state: 'idle', restarts: 2 });
  });

  it('keeps history across a restart', async () => {
    const setup = makeTeam('inline');
    team = setup.team;
    await team.spawn(brittle(), { name: 'x' });
    await team.send('x', 'before');
    await team.send('x', 'fail');
    await team.settled();
    await team.send('x', 'after');
    expect(
      (await team.history('x')).filter((m) => m.role === 'user').map((m) => m.content),
    ).toEqual(['before', 'fail', 'after']);
  });

  it('rejects bad supervision options naming them', () => {
    expect(() => makeTeam('inline', { supervision: { maxRestarts: -1 } })).toThrowError(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('supervision.maxRestarts'),
      }),
    );
    expect(() => makeTeam('inline', { supervision: { windowMs: 0 } })).toThrowError(
      expect.objectContaining({ message: expect.stringContaining('supervision.windowMs') }),
    );
  });
});
