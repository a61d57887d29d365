import type { TeamEvent, TeamEventOf } from '@troupe/core';
import type { SimEvent } from '../events.js';
import type { AgentBrain } from './agent-model.js';
import type { Board } from './board.js';

/**
 * The simulated world of one team: the synthetic codebase's board of regions and what each
 * agent is working on. The runtime's claim events move it (a granted claim assigns the region,
 * a conflict sends the agent back to picking, a release finishes the region), and a crash puts
 * the crashed agent's region back on the board.
 */
export interface World {
  readonly board: Board;
  readonly brains: ReadonlyMap<string, AgentBrain>;
  readonly emit: (event: SimEvent) => void;
  readonly team: number;
  /** Wakes the agents parked for lack of open regions (one reopened or a region finished). */
  readonly wake: () => void;
}

/**
 * The world's answer to one team event, after the event is in the log. Claim events are the
 * only ones that move the world; every other event leaves it as it is.
 */
export function applyTeamEvent(world: World, e: TeamEvent): void {
  switch (e.type) {
    case 'claim.granted':
      claimGranted(world, e);
      break;
    case 'claim.conflicted':
      claimConflicted(world, e);
      break;
    case 'claim.released':
      claimReleased(world, e);
      break;
    default:
      break;
  }
}

/** The agent's claim on the region it picked was granted: it edits for the region's turns. */
function claimGranted(world: World, e: TeamEventOf<'claim.granted'>): void {
  const brain = world.brains.get(e.agent);
  const region = world.board.find(e.resource, e.start);
  if (brain && region && brain.task === region) {
    world.board.take(region, e.agent);
    brain.phase = 'editing';
    brain.turnsLeft = region.turns;
  }
}

/** Another agent holds the region: the agent forgets it and picks again. */
function claimConflicted(world: World, e: TeamEventOf<'claim.conflicted'>): void {
  const brain = world.brains.get(e.agent);
  if (brain) {
    brain.task = undefined;
    brain.phase = 'pick';
  }
}

/** Releasing the region it edited finishes it (`region.done`) and wakes parked agents. */
function claimReleased(world: World, e: TeamEventOf<'claim.released'>): void {
  if (!e.released) return;
  const brain = world.brains.get(e.agent);
  const task = brain?.task;
  if (brain && task && task.resource === e.resource && task.status === 'doing') {
    world.board.finish(task);
    world.emit({
      t: e.at,
      team: world.team,
      type: 'region.done',
      agent: e.agent,
      resource: task.resource,
      region: task.id,
    });
    brain.task = undefined;
    brain.phase = 'pick';
    world.wake();
  }
}

/**
 * An injected crash ended the agent's run (it is restarted, or failed for good): whatever region
 * it held goes back on the board (its claim expires) and it picks afresh.
 */
export function agentCrashed(world: World, agent: string): void {
  const brain = world.brains.get(agent)!;
  if (brain.task && brain.task.status === 'doing' && brain.task.owner === agent) {
    world.board.reopen(brain.task);
    world.wake();
  }
  brain.task = undefined;
  brain.phase = 'pick';
}
