import { LocalTeam } from './local-team.js';
import { validateTeamOptions } from './options.js';
import type { Team, TeamOptions } from './types.js';

export type { AgentInfo, SpawnOptions, Team, TeamOptions } from './types.js';

/**
 * Creates a team. Options are validated here, once; bad ones are `ERR_INVALID_ARGUMENT`.
 * Every agent has a mailbox (`inbox:<name>` on the team's bus): a message to it is what makes
 * it run (packages/core/docs/agents.md). The team's parts are wired in `team-wiring.ts`; the
 * methods live in `local-team.ts`.
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock();
 * const team = createTeam({
 *   clock,
 *   state: createSharedState({ clock }),
 *   limiter: createRateLimiter({ clock, rules: [] }),
 *   bus: createBus({ clock }),
 *   supervision: { maxRestarts: 3, windowMs: 60_000 },
 * });
 * await team.spawn(researcher, { name: 'ada' });
 * const result = await team.send('ada', 'Map the auth module');
 * await team.close();
 * ```
 */
export function createTeam(options: TeamOptions): Team {
  const team: LocalTeam = new LocalTeam(options, validateTeamOptions(options));
  return team as Team;
}
