import type { TeamEvent, TeamEventType } from '@troupe/core';
import type { SimEvent } from '../events.js';

/**
 * The team event types the built-in engine's log is built from. Only these are subscribed to:
 * the runtime does not even build the others (agent.state, model.*, tool.*), which would be
 * most of the events of a step. Model events come from the scripted models themselves.
 */
export const LOGGED_TYPES = [
  'turn.started',
  'run.finished',
  'lease.waited',
  'claim.granted',
  'claim.conflicted',
  'claim.released',
  'discovery.shared',
  'message.posted',
  'agent.failed',
  'agent.restarted',
] as const satisfies readonly TeamEventType[];

/**
 * The log event a team event becomes, or undefined for none (a run's end only closes its turn,
 * see {@link TurnTracker}; a release of nothing and a failure that will be restarted are not
 * logged). Pure: the world's answer to the event is {@link applyTeamEvent}'s.
 */
export function logEventOf(e: TeamEvent, team: number): SimEvent | undefined {
  const t = e.at;
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
    case 'message.posted':
      return { t, team, type: 'message.posted', agent: e.agent, topic: e.topic };
    case 'agent.failed':
      return e.final
        ? { t, team, type: 'agent.failed', agent: e.agent, reason: e.error.message }
        : undefined;
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
  readonly #emit: (event: SimEvent) => void;
  readonly #team: number;

  constructor(emit: (event: SimEvent) => void, team: number) {
    this.#emit = emit;
    this.#team = team;
  }

  /** Closes the agent's open turn on its next turn or the end of its run; notes a new one. */
  observe(e: TeamEvent): void {
    if (e.type !== 'turn.started' && e.type !== 'run.finished') return;
    const turn = this.#open.get(e.agent);
    if (turn !== undefined) {
      this.#open.delete(e.agent);
      this.#emit({ t: e.at, team: this.#team, type: 'turn.ended', agent: e.agent, turn });
    }
    if (e.type === 'turn.started') this.#open.set(e.agent, e.turn);
  }
}
