import type { Clock } from '../clock.js';
import { invalidArgument } from '../errors.js';
import type { EventHub } from '../events/event-hub.js';
import type { TeamEvent, TeamEventType } from '../events/team-events.js';
import type { TurnRecord } from '../placement/types.js';
import { createSessionLog, type SessionLog } from '../session/log.js';
import { report, type WriteErrorHandler } from '../session/retry.js';
import { createSessionSaver, type SessionSaver } from '../session/saver.js';
import { storableContext, storableMessage } from '../session/storable.js';
import { SESSION_FORMAT_VERSION, type SessionStore } from '../session/types.js';

/**
 * Every event type the session log keeps. Written as a record over the union so the compiler
 * flags a new event type until it is listed here. `model.delta` is left out: a listener for it
 * turns streaming on for every model call, and fragments are not worth a row each; the answer
 * is logged once as `model.answered`.
 */
const PERSISTED: { readonly [T in Exclude<TeamEventType, 'model.delta'>]: true } = {
  'agent.started': true,
  'agent.stopped': true,
  'agent.state': true,
  'run.started': true,
  'run.finished': true,
  'agent.interrupted': true,
  'turn.started': true,
  'lease.waited': true,
  'budget.exhausted': true,
  'model.requested': true,
  'model.answered': true,
  'tool.called': true,
  'tool.returned': true,
  'tool.approval_requested': true,
  'tool.approval_decided': true,
  'claim.granted': true,
  'claim.conflicted': true,
  'claim.released': true,
  'discovery.shared': true,
  'message.posted': true,
  'agent.failed': true,
  'agent.restarted': true,
  'events.dropped': true,
};

/**
 * The event types a team with a `store` writes to its session log: every type but
 * `model.delta`. The log listens to exactly these, so persistence alone never makes a model
 * call stream.
 *
 * @example
 * ```ts
 * PERSISTED_EVENT_TYPES.includes('model.delta'); // false
 * ```
 */
export const PERSISTED_EVENT_TYPES: readonly TeamEventType[] = Object.freeze(
  Object.keys(PERSISTED) as TeamEventType[],
);

/**
 * The session id of an agent of a team.
 *
 * @example
 * ```ts
 * const snapshot = await store.loadSnapshot(agentSessionId(team.id, 'ada'));
 * ```
 */
export const agentSessionId = (teamId: string, agent: string): string => `${teamId}/${agent}`;

/** Agents whose session ids a {@link TeamPersistence} keeps at most. */
const MAX_CACHED_SESSION_IDS = 4_096;

/**
 * A team's persistence: after each turn a snapshot (the saver removes secrets) plus the new
 * history, queued without blocking the agent; every persisted team event (all but
 * `model.delta`) into the batched session log.
 * Both are created by, owned by and flushed by the team.
 */
export class TeamPersistence {
  readonly saver: SessionSaver;
  readonly log: SessionLog;
  readonly #teamId: string;
  readonly #clock: Clock;
  readonly #revisions = new Map<string, number>();
  readonly #sessionIds = new Map<string, string>();
  readonly #onError: WriteErrorHandler | undefined;

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
    this.#onError = onError;
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

  /**
   * Queues the turn's snapshot and new history. A value JSON cannot hold never costs the rest:
   * a message part that cannot be stored is replaced by a note (see `storableMessage`), a
   * context key that cannot be stored is left out and reported to `onError`.
   */
  afterTurn(agent: string, record: TurnRecord): void {
    const revision = (this.#revisions.get(agent) ?? 0) + 1;
    this.#revisions.set(agent, revision);
    const sessionId = this.#sessionOf(agent);
    const { context, dropped } = storableContext(record.context);
    if (dropped.length > 0) {
      const error = invalidArgument(
        `context keys ${dropped.join(', ')} of ${agent} cannot be stored as JSON and were not saved`,
        { keys: dropped },
      );
      report(this.#onError, error, {
        sessionId,
        operation: 'snapshot',
        attempt: 1,
        willRetry: false,
      });
    }
    this.saver.schedule(
      {
        sessionId,
        agent,
        version: SESSION_FORMAT_VERSION,
        revision,
        context,
        usage: record.usage,
        historyLength: record.historyLength,
        updatedAt: this.#clock.now(),
      },
      { fromIndex: record.fromIndex, messages: record.messages.map(storableMessage) },
    );
  }

  /** Listens to the {@link PERSISTED_EVENT_TYPES} of `hub`; returns the unsubscribe. */
  subscribe(hub: EventHub): () => void {
    return hub.onTypes(PERSISTED_EVENT_TYPES, (event) => this.event(event));
  }

  /** Logs one event; one the log refuses (data JSON cannot hold) is reported, never thrown. */
  event(event: TeamEvent): void {
    const sessionId = 'agent' in event ? this.#sessionOf(event.agent) : this.#teamId;
    try {
      this.log.append({ sessionId, type: event.type, at: event.at, data: event });
    } catch (error) {
      report(this.#onError, error, { sessionId, operation: 'log', attempt: 1, willRetry: false });
    }
  }

  /** An agent's session id, built once per agent rather than once per event. */
  #sessionOf(agent: string): string {
    let sessionId = this.#sessionIds.get(agent);
    if (sessionId === undefined) {
      sessionId = agentSessionId(this.#teamId, agent);
      // Bounded: a team that churns through many agents starts the cache over.
      if (this.#sessionIds.size >= MAX_CACHED_SESSION_IDS) this.#sessionIds.clear();
      this.#sessionIds.set(agent, sessionId);
    }
    return sessionId;
  }

  /** Flushes and closes both: everything scheduled so far is durable afterwards. */
  async close(): Promise<void> {
    await Promise.all([this.saver.close(), this.log.close()]);
  }
}
