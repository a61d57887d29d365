import { createRng, type TeamEvent } from '@troupe/core';
import { parseScenario } from '@troupe/sim';
import { describe, expect, it } from 'vitest';
import type { AgentBrain } from '../src/engine/agent-model.js';
import { Board } from '../src/engine/board.js';
import { logEventOf } from '../src/engine/team-events.js';
import { agentCrashed, applyTeamEvent, type World } from '../src/engine/world-reducer.js';
import type { SimEvent } from '../src/events.js';
import { LiveEventConverter } from '../src/live-events.js';

/** A two-file board, one agent who picked the first region, and what the world logs. */
function world() {
  const scenario = parseScenario({
    name: 'reducer',
    workload: { files: 2, regionsPerFile: [1, 1] },
    team: { agents: [{ name: 'dev', count: 2 }] },
  });
  const board = new Board(scenario, createRng('reducer'));
  const region = board.regions[0]!;
  const brain: AgentBrain = { phase: 'claiming', task: region, turnsLeft: 0 };
  const other: AgentBrain = { phase: 'pick', task: undefined, turnsLeft: 0 };
  const logged: SimEvent[] = [];
  let wakes = 0;
  const w: World = {
    board,
    brains: new Map([
      ['dev-1', brain],
      ['dev-2', other],
    ]),
    emit: (e) => logged.push(e),
    team: 0,
    wake: () => {
      wakes++;
    },
  };
  return { w, board, region, brain, other, logged, wakes: () => wakes };
}

const granted = (agent: string, resource: string, start: number, end: number): TeamEvent => ({
  type: 'claim.granted',
  at: 10,
  agent,
  resource,
  start,
  end,
  token: 1,
});

describe('the refactor engine world reducer', () => {
  it('a granted claim on the region the agent picked takes it and starts editing', () => {
    const { w, board, region, brain } = world();
    applyTeamEvent(w, granted('dev-1', region.resource, region.start, region.end));
    expect(region.status).toBe('doing');
    expect(region.owner).toBe('dev-1');
    expect(brain.phase).toBe('editing');
    expect(brain.turnsLeft).toBe(region.turns);
    expect(board.open).toBe(board.regions.length - 1);
  });

  it('a granted claim on a region the agent did not pick changes nothing', () => {
    const { w, board, other } = world();
    const second = board.regions[1]!;
    applyTeamEvent(w, granted('dev-2', second.resource, second.start, second.end));
    expect(second.status).toBe('todo');
    expect(other.phase).toBe('pick');
  });

  it('a conflict sends the agent back to picking', () => {
    const { w, region, brain } = world();
    applyTeamEvent(w, {
      type: 'claim.conflicted',
      at: 10,
      agent: 'dev-1',
      resource: region.resource,
      holder: 'dev-2',
      start: region.start,
      end: region.end,
    });
    expect(brain.task).toBeUndefined();
    expect(brain.phase).toBe('pick');
    expect(region.status).toBe('todo');
  });

  it('releasing the edited region finishes it, logs region.done and wakes parked agents', () => {
    const { w, board, region, brain, logged, wakes } = world();
    applyTeamEvent(w, granted('dev-1', region.resource, region.start, region.end));
    applyTeamEvent(w, {
      type: 'claim.released',
      at: 20,
      agent: 'dev-1',
      resource: region.resource,
      released: true,
    });
    expect(region.status).toBe('done');
    expect(board.done).toBe(1);
    expect(brain).toMatchObject({ phase: 'pick', task: undefined });
    expect(logged).toEqual([
      {
        t: 20,
        team: 0,
        type: 'region.done',
        agent: 'dev-1',
        resource: region.resource,
        region: region.id,
      },
    ]);
    expect(wakes()).toBe(1);
  });

  it('a release of nothing changes nothing', () => {
    const { w, board, region, logged, wakes } = world();
    applyTeamEvent(w, granted('dev-1', region.resource, region.start, region.end));
    applyTeamEvent(w, {
      type: 'claim.released',
      at: 20,
      agent: 'dev-1',
      resource: region.resource,
      released: false,
    });
    expect(region.status).toBe('doing');
    expect(board.done).toBe(0);
    expect(logged).toEqual([]);
    expect(wakes()).toBe(0);
  });

  it('a crash puts the agent region back on the board and wakes parked agents', () => {
    const { w, board, region, brain, wakes } = world();
    applyTeamEvent(w, granted('dev-1', region.resource, region.start, region.end));
    agentCrashed(w, 'dev-1');
    expect(region.status).toBe('todo');
    expect(region.owner).toBeUndefined();
    expect(board.open).toBe(board.regions.length);
    expect(brain).toMatchObject({ phase: 'pick', task: undefined });
    expect(wakes()).toBe(1);
  });
});

describe('the engine log and a live run log map shared team events the same way', () => {
  const events: TeamEvent[] = [
    { type: 'turn.started', at: 0, agent: 'a', runId: 'r1', turn: 1 },
    { type: 'lease.waited', at: 5, agent: 'a', runId: 'r1', waitedMs: 5 },
    granted('a', 'src/x.ts', 1, 9),
    {
      type: 'claim.conflicted',
      at: 12,
      agent: 'b',
      resource: 'src/x.ts',
      holder: 'a',
      start: 1,
      end: 9,
    },
    { type: 'claim.released', at: 20, agent: 'a', resource: 'src/x.ts', released: true },
    { type: 'discovery.shared', at: 21, agent: 'a', topic: 'naming', seq: 1 },
    { type: 'agent.restarted', at: 30, agent: 'b', restarts: 1 },
  ];

  it('gives the same log events, at the same times', () => {
    const live = new LiveEventConverter({ start: 0, modelEvents: false });
    const fromLive = events.flatMap((e) => live.add(e));
    const fromEngine = events.flatMap((e) => logEventOf(e, 0) ?? []);
    expect(fromLive).toEqual(fromEngine);
    expect(fromEngine.map((e) => e.type)).toEqual([
      'turn.started',
      'lease.waited',
      'claim.granted',
      'claim.conflicted',
      'claim.released',
      'discovery.shared',
      'agent.restarted',
    ]);
  });
});
