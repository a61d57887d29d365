import type { Clock } from '../clock.js';
import type { TeamEvent } from '../events/team-events.js';
import type { TurnRecord } from '../placement/types.js';
import { createSessionLog, type SessionLog } from '../session/log.js';
import type { WriteErrorHandler } from '../session/retry.js';
import { createSessionSaver, type SessionSaver } from '../session/saver.js';
import { SESSION_FORMAT_VERSION, type SessionStore } from '../session/types.js';

/**
 * The session id of an agent of a team.
 *
 * @example
 * ```ts
 * const snapshot = await store.loadSnapshot(agentSessionId(team.id, 'ada'));
 * ```
 */
export const agentSessionId = (teamId: string, agent: string): string => `${teamId}/${agent}`;

/**
 * A team's persistence: after each turn a snapshot (the saver removes secrets) plus the new
 * history, queued without blocking the agent; every team event into the batched session log.
 * Both are created by, owned by and flushed by the team.
 */
export class TeamPersistence {
  readonly saver: SessionSaver;
  readonly log: SessionLog;
  readonly #teamId: string;
  readonly #clock: Clock;
  readonly #revisions = new Map<string, number>();

  constructor(options: {
    store: SessionStore;
    clock: Clock;
    teamId: string;
    flushIntervalMs: number | undefined;
    onError?: WriteErrorHandler | undefined;
  }) {
    const { store, clock, teamId, flushIntervalMs, onError } = options;
    this.#teamId = teamId;
    this.#clock = clock;
    this.saver = createSessionSaver({
      store,
      clock,
      ...(onError === undefined ? {} : { onError }),
    });
    this.log = createSessionLog({
      store,
      clock,
      ...(flushIntervalMs === undefined ? {} : { flushIntervalMs }),
      ...(onError === undefined ? {} : { onError }),
    });
  }

  /** A resumed agent's stored revision: its next snapshot must go above it. */
  seedRevision(agent: string, revision: number): void {
    if (revision > (this.#revisions.get(agent) ?? 0)) this.#revisions.set(agent, revision);
  }

  afterTurn(agent: string, record: TurnRecord): void {
    const revision = (this.#revisions.get(agent) ?? 0) + 1;
    this.#revisions.set(agent, revision);
    const sessionId = agentSessionId(this.#teamId, agent);
    this.saver.schedule(
      {
        sessionId,
        agent,
        version: SESSION_FORMAT_VERSION,
        revision,
        context: record.context,
        usage: record.usage,
        historyLength: record.historyLength,
        updatedAt: this.#clock.now(),
      },
      { fromIndex: record.fromIndex, messages: record.messages },
    );
  }

  event(event: TeamEvent): void {
    const sessionId = 'agent' in event ? agentSessionId(this.#teamId, event.agent) : this.#teamId;
    this.log.append({ sessionId, type: event.type, at: event.at, data: event });
  }

  /** Flushes and closes both: everything scheduled so far is durable afterwards. */
  async close(): Promise<void> {
    await Promise.all([this.saver.close(), this.log.close()]);
  }
}
