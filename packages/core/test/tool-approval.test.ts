import {
  createRateLimiter,
  defineTool,
  SimulatedClock,
  type Team,
  type TeamEventOf,
} from '@troupe/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { countingLimiter } from './fixtures/counting-limiter.js';
import { drive, makeTeam, type Placements } from './fixtures/harness.js';

// The pool workers import this module with Node (the built dist: build core first).
const OPERATOR = {
  module: new URL('./fixtures/approval-agents.js', import.meta.url).href,
  export: 'operator',
};

const task = (...calls: unknown[]) => JSON.stringify({ calls });
const deploy = (id: string, service: string) => ({
  id,
  name: 'deploy',
  arguments: { service },
});

function recordEvents(team: Team) {
  const requested: TeamEventOf<'tool.approval_requested'>[] = [];
  const decided: TeamEventOf<'tool.approval_decided'>[] = [];
  team.on('tool.approval_requested', (e) => requested.push(e));
  team.on('tool.approval_decided', (e) => decided.push(e));
  return { requested, decided };
}

describe('defineTool needsApproval', () => {
  it('takes true, false or a function, and refuses anything else naming the option', () => {
    const base = { name: 't', description: 'd', input: z.object({}), run: () => 'x' };
    expect(defineTool({ ...base, needsApproval: true }).needsApproval).toBe(true);
    expect(defineTool({ ...base, needsApproval: false }).needsApproval).toBeUndefined();
    const check = () => false;
    expect(defineTool({ ...base, needsApproval: check }).needsApproval).toBe(check);
    expect(() => defineTool({ ...base, needsApproval: 'yes' as never })).toThrowError(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('needsApproval'),
      }),
    );
  });
});

describe.each<Placements>(['inline', 'pool'])('tool approval (%s)', (kind) => {
  let team: Team | undefined;
  afterEach(async () => {
    await team?.close();
    team = undefined;
  });

  function setup() {
    const clock = new SimulatedClock();
    const counting = countingLimiter(createRateLimiter({ clock, rules: [] }));
    const built = makeTeam(kind, { clock, limiter: counting.limiter });
    team = built.team;
    return { ...built, outstanding: counting.outstanding, events: recordEvents(built.team) };
  }

  /** Waits (bounded) until the agent shows `state`. */
  async function until(t: Team, name: string, state: string): Promise<void> {
    for (let i = 0; i < 200 && t.agent(name)?.state !== state; i++) {
      await t.settled();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(t.agent(name)?.state).toBe(state);
  }

  it('pauses on a call that needs approval, holding no lease, and runs it once approved', async () => {
    const { clock, outstanding, events } = setup();
    await team!.spawn(OPERATOR, { name: 'ops' });
    const answer = team!.send(
      'ops',
      task(deploy('d1', 'api'), { id: 'e1', name: 'echo', arguments: { text: 'hi' } }),
    );
    await until(team!, 'ops', 'awaitingApproval');
    expect(outstanding()).toBe(0); // the model call's lease was settled when it answered
    expect(events.requested).toEqual([
      expect.objectContaining({
        agent: 'ops',
        runId: 'ops:1',
        callId: 'd1',
        tool: 'deploy',
        arguments: { service: 'api' },
      }),
    ]);
    await team!.approve('ops:1', 'd1');
    const result = await drive(team!, clock, answer);
    expect(result).toMatchObject({ status: 'completed', turns: 2 });
    expect(result.text).toBe('deploy: deployed api\necho: hi');
    expect(events.decided).toEqual([
      expect.objectContaining({ runId: 'ops:1', callId: 'd1', tool: 'deploy', approved: true }),
    ]);
    expect(await team!.context('ops')).toEqual({});
  });

  it('gives a rejected call the reason as its error result, which the model sees', async () => {
    const { clock, events } = setup();
    await team!.spawn(OPERATOR, { name: 'ops' });
    const answer = team!.send('ops', task(deploy('d1', 'api'), deploy('d2', 'db')));
    await until(team!, 'ops', 'awaitingApproval');
    expect(events.requested.map((e) => e.callId)).toEqual(['d1', 'd2']);
    await team!.reject('ops:1', 'd2', 'the database is frozen until Monday');
    expect(team!.agent('ops')?.state).toBe('awaitingApproval'); // d1 still waits
    await team!.approve('ops:1', 'd1');
    const result = await drive(team!, clock, answer);
    expect(result.text).toBe(
      'deploy: deployed api\ndeploy: Tool call rejected: the database is frozen until Monday',
    );
    const history = await team!.history('ops');
    expect(history.find((m) => m.role === 'tool' && m.toolCallId === 'd2')).toMatchObject({
      isError: true,
    });
    expect(events.decided.map((e) => [e.callId, e.approved, e.reason])).toEqual([
      ['d2', false, 'the database is frozen until Monday'],
      ['d1', true, undefined],
    ]);
  });

  it('asks a per-call check: only calls it flags wait', async () => {
    const { clock, events } = setup();
    await team!.spawn(OPERATOR, { name: 'ops' });
    const quick = await drive(
      team!,
      clock,
      team!.send('ops', task({ id: 'r1', name: 'remove', arguments: { path: 'tmp/a' } })),
    );
    expect(quick.text).toBe('remove: removed tmp/a');
    expect(events.requested).toEqual([]);
    const answer = team!.send(
      'ops',
      task(
        { id: 'r2', name: 'remove', arguments: { path: 'src/index.ts' } },
        { id: 'r3', name: 'remove', arguments: { path: 'tmp/b' } },
      ),
    );
    await until(team!, 'ops', 'awaitingApproval');
    expect(events.requested.map((e) => e.callId)).toEqual(['r2']);
    await team!.reject('ops:2', 'r2', 'keep it');
    expect((await drive(team!, clock, answer)).text).toBe(
      'remove: Tool call rejected: keep it\nremove: removed tmp/b',
    );
  });

  it('a check that never answers counts as needing approval after the tool timeout', async () => {
    const { clock, events } = setup();
    await team!.spawn(OPERATOR, { name: 'ops' });
    const answer = team!.send('ops', task({ id: 's1', name: 'stuck_check', arguments: {} }));
    await team!.settled();
    expect(team!.agent('ops')?.state).toBe('callingModel'); // the check is pending
    await clock.advance(999);
    await team!.settled();
    expect(events.requested).toEqual([]);
    await clock.advance(1);
    await until(team!, 'ops', 'awaitingApproval');
    expect(events.requested.map((e) => e.callId)).toEqual(['s1']);
    await team!.approve('ops:1', 's1');
    expect((await drive(team!, clock, answer)).text).toBe('stuck_check: ran');
  });

  it('refuses decisions on unknown runs and calls, a second decision, and bad arguments', async () => {
    const { clock } = setup();
    await team!.spawn(OPERATOR, { name: 'ops' });
    const answer = team!.send('ops', task(deploy('d1', 'api'), deploy('d2', 'db')));
    await until(team!, 'ops', 'awaitingApproval');
    await expect(team!.approve('ops:9', 'd1')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(team!.approve('ghost:1', 'd1')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(team!.approve('no-run-id', 'd1')).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
    await expect(team!.approve('ops:1', 'nope')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(team!.approve('ops:1', 7 as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(team!.reject('ops:1', 'd1', undefined as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(team!.agent('ops')?.state).toBe('awaitingApproval'); // refused: nothing changed
    await team!.approve('ops:1', 'd1');
    await expect(team!.reject('ops:1', 'd1', 'changed my mind')).rejects.toMatchObject({
      code: 'ERR_CONFLICT',
    });
    await team!.approve('ops:1', 'd2');
    expect((await drive(team!, clock, answer)).text).toBe(
      'deploy: deployed api\ndeploy: deployed db',
    );
    // The first decision stands, also once the run has moved on.
    await expect(team!.approve('ops:1', 'd2')).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
  });

  it('queues messages to a paused agent (whenBusy) and runs them after the paused run', async () => {
    const { clock } = setup();
    await team!.spawn(OPERATOR, { name: 'ops' });
    const first = team!.send('ops', task(deploy('d1', 'api')));
    await until(team!, 'ops', 'awaitingApproval');
    const second = team!.send(
      'ops',
      task({ id: 'e1', name: 'echo', arguments: { text: 'later' } }),
    );
    await team!.settled();
    expect(team!.agent('ops')?.state).toBe('awaitingApproval');
    await team!.approve('ops:1', 'd1');
    const [a, b] = await drive(team!, clock, Promise.all([first, second]));
    expect([a.runId, a.text]).toEqual(['ops:1', 'deploy: deployed api']);
    expect([b.runId, b.text]).toEqual(['ops:2', 'echo: later']);
  });

  it('cancels a paused run: its calls are closed and the approval is gone', async () => {
    const { clock } = setup();
    await team!.spawn(OPERATOR, { name: 'ops' });
    const answer = team!.send('ops', task(deploy('d1', 'api')));
    await until(team!, 'ops', 'awaitingApproval');
    expect(await team!.cancel('ops')).toBe(true);
    expect(await drive(team!, clock, answer)).toMatchObject({ status: 'cancelled' });
    await expect(team!.approve('ops:1', 'd1')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    const history = await team!.history('ops');
    expect(history.at(-1)).toMatchObject({ role: 'tool', toolCallId: 'd1', isError: true });
    expect(await team!.context('ops')).toEqual({});
    expect(team!.agent('ops')?.state).toBe('idle');
  });
});
