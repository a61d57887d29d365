import type { TeamEvent } from '@troupe/core';
import type { SimEvent } from './events.js';

/**
 * The log event a team event becomes where the simulation engine and a live run's log agree
 * (turns, lease waits, claims, discoveries, restarts), at log time `t` for team `team`; undefined
 * for any other event (each log maps those its own way) and for a release of nothing.
 */
export function fromTeamEvent(e: TeamEvent, t: number, team: number): SimEvent | undefined {
  switch (e.type) {
    case 'turn.started':
      return { t, team, type: 'turn.started', agent: e.agent, turn: e.turn };
    case 'lease.waited':
      return { t, team, type: 'lease.waited', agent: e.agent, waitMs: e.waitedMs };
    case 'claim.granted':
      return {
        t,
        team,
        type: 'claim.granted',
        agent: e.agent,
        resource: e.resource,
        start: e.start,
        end: e.end,
      };
    case 'claim.conflicted':
      return {
        t,
        team,
        type: 'claim.conflicted',
        agent: e.agent,
        resource: e.resource,
        holder: e.holder,
      };
    case 'claim.released':
      return e.released
        ? { t, team, type: 'claim.released', agent: e.agent, resource: e.resource }
        : undefined;
    case 'discovery.shared':
      return { t, team, type: 'discovery.shared', agent: e.agent, topic: e.topic };
    case 'agent.restarted':
      return { t, team, type: 'agent.restarted', agent: e.agent, restarts: e.restarts };
    default:
      return undefined;
  }
}

/**
 * Turns as the log shows them: the runtime reports a turn's start, and the log closes it
 * (`turn.ended`) when the agent's next turn starts or its run finishes.
 */
export class TurnTracker {
  readonly #open = new Map<string, number>();
  readonly #team: number;

  constructor(team: number) {
    this.#team = team;
  }

  /**
   * Notes a turn's start; returns the `turn.ended` (at log time `t`) that the agent's next turn
   * or the end of its run writes for its open turn, if it has one.
   */
  observe(e: TeamEvent, t: number): SimEvent | undefined {
    if (e.type !== 'turn.started' && e.type !== 'run.finished') return undefined;
    const turn = this.#open.get(e.agent);
    if (e.type === 'turn.started') this.#open.set(e.agent, e.turn);
    else if (turn !== undefined) this.#open.delete(e.agent);
    return turn === undefined
      ? undefined
      : { t, team: this.#team, type: 'turn.ended', agent: e.agent, turn };
  }
}
