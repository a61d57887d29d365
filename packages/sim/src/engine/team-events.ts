import type { TeamEvent, TeamEventType } from '@troupe/core';
import type { SimEvent } from '../events.js';
import { fromTeamEvent } from '../team-event-log.js';

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
 * The log event a team event becomes in the engine's log, or undefined for none (a run's end
 * only closes its turn, see `TurnTracker`; a release of nothing and a failure that will be
 * restarted are not logged). Pure: the world's answer to the event is `applyTeamEvent`'s.
 */
export function logEventOf(e: TeamEvent, team: number): SimEvent | undefined {
  switch (e.type) {
    case 'message.posted':
      return { t: e.at, team, type: 'message.posted', agent: e.agent, topic: e.topic };
    case 'agent.failed':
      return e.final
        ? { t: e.at, team, type: 'agent.failed', agent: e.agent, reason: e.error.message }
        : undefined;
    default:
      return fromTeamEvent(e, e.at, team);
  }
}
