// The live agents of a session placement, least recently used first, with their idle timers:
// what decides which agents to passivate (idle TTL, the maxActive bound).
import type { Clock, TimerHandle } from '../clock.js';
import type { Usage } from '../events/team-events.js';
import type { SpawnRequest } from '../placement/types.js';

/** Where an agent of a session placement is: live, passive, or on its way between the two. */
export type Status = 'live' | 'activating' | 'passivating' | 'passive';

/** One agent of a session placement. */
export interface Entry {
  readonly request: SpawnRequest;
  status: Status;
  /** Deliveries waiting for an activation, chained in arrival order. */
  waiting: Promise<void>;
  activation: Promise<void> | undefined;
  idleTimer: TimerHandle | undefined;
  /** Usage and derived states while passive (the actor is gone). */
  usage: Usage | undefined;
  derived: Record<string, unknown> | undefined;
}

/**
 * Agents with an actor (live, activating) in a Map kept in least-recently-used order (delete +
 * set on each use), so touching an agent and finding the eviction candidates are O(1) amortized.
 */
export class LiveAgents {
  readonly #clock: Clock;
  readonly #idleTtlMs: number | undefined;
  readonly #maxActive: number;
  readonly #lru = new Map<string, Entry>();

  constructor(clock: Clock, idleTtlMs: number | undefined, maxActive: number) {
    this.#clock = clock;
    this.#idleTtlMs = idleTtlMs;
    this.#maxActive = maxActive;
  }

  /** Whether idle agents passivate after a TTL. */
  get idles(): boolean {
    return this.#idleTtlMs !== undefined;
  }

  /** The agent was just used: it becomes the most recently used. */
  touch(entry: Entry): void {
    const name = entry.request.name;
    this.#lru.delete(name);
    this.#lru.set(name, entry);
  }

  delete(name: string): void {
    this.#lru.delete(name);
  }

  clear(): void {
    this.#lru.clear();
  }

  /** Calls `onIdle` once the agent has been idle for the TTL (re-arms an armed timer). */
  armIdle(entry: Entry, onIdle: () => void): void {
    if (this.#idleTtlMs === undefined) return;
    this.clearIdle(entry);
    entry.idleTimer = this.#clock.setTimeout(() => {
      entry.idleTimer = undefined;
      onIdle();
    }, this.#idleTtlMs);
  }

  clearIdle(entry: Entry): void {
    if (entry.idleTimer === undefined) return;
    this.#clock.clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
  }

  /**
   * The agents to passivate so that at most `maxActive` stay live: least recently used first,
   * only those `evictable` accepts, never `keep`.
   */
  excess(keep: Entry | undefined, evictable: (entry: Entry) => boolean): Entry[] {
    const out: Entry[] = [];
    if (this.#lru.size <= this.#maxActive) return out;
    let excess = this.#lru.size - this.#maxActive;
    for (const entry of this.#lru.values()) {
      if (excess === 0) break;
      if (entry === keep || !evictable(entry)) continue;
      excess--;
      out.push(entry);
    }
    return out;
  }
}
