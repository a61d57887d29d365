import type { BusBackend, Message } from '../../backend/interfaces.js';
import type { Clock } from '../../clock.js';
import type { TeamDirectory } from '../../directory/types.js';
import { invalidArgument, isTroupeError, TroupeError } from '../../errors.js';
import type { EventHub } from '../../events/event-hub.js';
import type { TeamEvent } from '../../events/team-events.js';
import type { IdGenerator } from '../../ids.js';

/**
 * What `team.follow` takes.
 *
 * @example
 * ```ts
 * for await (const event of team.follow('ada', { forMs: 60_000 })) console.log(event.type);
 * ```
 */
export interface FollowOptions {
  /** How long to follow, ms on the team's clock. Default 60000, at most one hour. */
  readonly forMs?: number;
  /** Stops following (the iteration ends). */
  readonly signal?: AbortSignal;
}

const DEFAULT_FOLLOW_MS = 60_000;
const MAX_FOLLOW_MS = 3_600_000;

/** A follower's request, posted to the host's `follow:<host>` topic. */
interface FollowRequest {
  readonly agent: string;
  /** Where the host posts the agent's events: a topic of this follower's own. */
  readonly topic: string;
  readonly forMs: number;
}

function isFollowRequest(body: unknown): body is FollowRequest {
  if (typeof body !== 'object' || body === null) return false;
  const { agent, topic, forMs } = body as Record<string, unknown>;
  return typeof agent === 'string' && typeof topic === 'string' && typeof forMs === 'number';
}

/** What the relay needs. */
export interface EventRelayDeps {
  readonly bus: BusBackend;
  readonly clock: Clock;
  readonly hub: EventHub;
  readonly directory: TeamDirectory;
  readonly hostId: string;
  readonly ids: IdGenerator;
  onError(error: unknown): void;
}

/**
 * Events of agents on other hosts, on demand. A follower posts a request to the agent's host
 * (`follow:<host>`) naming a topic of its own; while a request is live, that host copies the
 * agent's events there, and the follower reads them with bus waits. A host with no live
 * request does not listen to its events at all.
 */
export class EventRelay {
  readonly #deps: EventRelayDeps;
  /** Live requests: topic -> the agent followed and until when (host clock). */
  readonly #follows = new Map<string, { agent: string; until: number }>();
  #unsubscribe: (() => void) | undefined;

  constructor(deps: EventRelayDeps) {
    this.#deps = deps;
  }

  /** Serves follow requests until `signal` aborts. */
  async serve(signal: AbortSignal): Promise<void> {
    const { bus } = this.#deps;
    const topic = `follow:${this.#deps.hostId}`;
    let afterSeq = 0;
    while (!signal.aborted) {
      let batch: Message[];
      try {
        batch = await bus.wait(topic, { afterSeq, limit: 100, signal });
      } catch (error) {
        if (signal.aborted || (isTroupeError(error) && error.code === 'ERR_CLOSED')) break;
        this.#deps.onError(error);
        const resume = isTroupeError(error) ? error.details?.resumeAfterSeq : undefined;
        if (typeof resume === 'number') afterSeq = resume;
        continue;
      }
      for (const message of batch) {
        afterSeq = message.seq;
        if (isFollowRequest(message.body)) this.#start(message.body);
      }
    }
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /**
   * The events of `agent`, wherever it runs, for `forMs` on the team's clock (or until
   * `signal` aborts). `ERR_NOT_FOUND` when the team has no such agent.
   */
  async *follow(agent: string, options: FollowOptions = {}): AsyncGenerator<TeamEvent> {
    const { bus, clock, directory, ids } = this.#deps;
    const forMs = options.forMs ?? DEFAULT_FOLLOW_MS;
    if (!(Number.isFinite(forMs) && forMs > 0 && forMs <= MAX_FOLLOW_MS))
      throw invalidArgument(`forMs must be a positive number of ms up to ${MAX_FOLLOW_MS}`, {
        forMs,
      });
    const entry = await directory.lookup(agent);
    if (entry === undefined)
      throw new TroupeError('ERR_NOT_FOUND', `no agent named "${agent}"`, { details: { agent } });
    const topic = `events:${agent}:${ids.next('follow', 16)}`;
    const request: FollowRequest = { agent, topic, forMs };
    await bus.post(`follow:${entry.host}`, { from: this.#deps.hostId, body: request });
    const until = clock.now() + forMs;
    let afterSeq = 0;
    while (!options.signal?.aborted) {
      const left = until - clock.now();
      if (left <= 0) return;
      let batch: Message[];
      try {
        batch = await bus.wait(topic, {
          afterSeq,
          timeoutMs: left,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (error) {
        if (isTroupeError(error) && (error.code === 'ERR_ABORTED' || error.code === 'ERR_CLOSED'))
          return;
        throw error;
      }
      for (const message of batch) {
        afterSeq = message.seq;
        yield message.body as TeamEvent;
      }
    }
  }

  #start(request: FollowRequest): void {
    const forMs = Math.min(Math.max(request.forMs, 0), MAX_FOLLOW_MS);
    this.#follows.set(request.topic, {
      agent: request.agent,
      until: this.#deps.clock.now() + forMs,
    });
    this.#unsubscribe ??= this.#deps.hub.on('*', (event) => this.#copy(event));
  }

  #copy(event: TeamEvent): void {
    const now = this.#deps.clock.now();
    const agent = (event as { agent?: unknown }).agent;
    for (const [topic, follow] of this.#follows) {
      if (follow.until <= now) {
        this.#follows.delete(topic);
        continue;
      }
      if (follow.agent !== agent) continue;
      const body = JSON.parse(JSON.stringify(event)) as unknown;
      this.#deps.bus.post(topic, { from: this.#deps.hostId, body }).catch(this.#deps.onError);
    }
    if (this.#follows.size === 0) {
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
    }
  }
}
