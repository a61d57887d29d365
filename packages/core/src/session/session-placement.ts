import type { ApprovalDecision } from '../agent/approval-record.js';
import type { Mail } from '../agent/mail.js';
import { type UsageCounter, usageSnapshot } from '../agent/usage.js';
import type { Clock, TimerHandle } from '../clock.js';
import { hasTrimmed, untrim } from '../context/trimmed.js';
import { invalidArgument, TroupeError } from '../errors.js';
import type { AgentState, Usage } from '../events/team-events.js';
import type { ChatMessage } from '../model.js';
import type { Placement, SpawnRequest } from '../placement/types.js';
import { loadSession, type RestoredSession } from './resume.js';
import type { SessionSaver } from './saver.js';
import type { SessionStore } from './types.js';

/**
 * How many agents a team keeps live. Both off by default: every agent stays live.
 *
 * @example
 * ```ts
 * createTeam({ ...services, store, idleTtlMs: 600_000, maxActive: 100 });
 * ```
 */
export interface ResidencyOptions {
  /** An agent idle this long is saved and its actor stopped; its next message brings it back. */
  readonly idleTtlMs?: number;
  /** At most this many live actors: the least recently used idle ones are passivated first. */
  readonly maxActive?: number;
}

/**
 * Live and passive agents, and how sends found them.
 *
 * @example
 * ```ts
 * const { live, passive, hits, misses, evictions } = team.residency();
 * ```
 */
export interface ResidencyStats {
  /** Agents with a live actor. */
  readonly live: number;
  /** Agents saved and stopped, brought back by their next message. */
  readonly passive: number;
  /** Sends that found their agent live. */
  readonly hits: number;
  /** Sends that had to bring their agent back from its session. */
  readonly misses: number;
  /** Agents passivated so far (idle TTL or the `maxActive` bound). */
  readonly evictions: number;
  /** Agents restored from a stored session at spawn (resume). */
  readonly resumed: number;
}

/**
 * What the wrapper needs from the team.
 *
 * @example
 * ```ts
 * new SessionPlacement(inline, { clock, store, saver, sessionId: (a) => `team/${a}`, seedRevision });
 * ```
 */
export interface SessionPlacementDeps {
  readonly clock: Clock;
  readonly store: SessionStore;
  readonly saver: SessionSaver;
  readonly sessionId: (agent: string) => string;
  /** Called with a restored session's revision: later snapshots must go above it. */
  readonly seedRevision: (agent: string, revision: number) => void;
  readonly residency?: ResidencyOptions;
}

type Status = 'live' | 'activating' | 'passivating' | 'passive';

interface Entry {
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
 * Validates residency options once, naming the option.
 *
 * @example
 * ```ts
 * const residency = validateResidency({ idleTtlMs: 60_000, maxActive: 100 });
 * ```
 */
export function validateResidency(options: ResidencyOptions | undefined): ResidencyOptions {
  if (options === undefined) return {};
  const { idleTtlMs, maxActive } = options;
  if (idleTtlMs !== undefined && !(Number.isFinite(idleTtlMs) && idleTtlMs > 0)) {
    throw invalidArgument('idleTtlMs must be a positive finite number', { idleTtlMs });
  }
  if (maxActive !== undefined && !(Number.isSafeInteger(maxActive) && maxActive >= 1)) {
    throw invalidArgument('maxActive must be a positive integer', { maxActive });
  }
  return {
    ...(idleTtlMs === undefined ? {} : { idleTtlMs }),
    ...(maxActive === undefined ? {} : { maxActive }),
  };
}

/**
 * A {@link Placement} around another that gives agents sessions: an agent spawned under a name
 * with a stored session resumes it (history, context, usage; dangling tool calls closed), and,
 * with {@link ResidencyOptions}, idle agents are saved and stopped, and come back from their
 * session on their next message. Never passivates an agent in the middle of a run.
 *
 * Live agents are kept in least-recently-used order in a Map (delete + set on each use), so
 * touching an agent and finding the eviction candidate are O(1) amortized.
 *
 * @example
 * ```ts
 * const host = new SessionPlacement(new InlinePlacement(services, hooks), deps);
 * await host.spawn({ name: 'ada', role: undefined, source: agent });
 * ```
 */
export class SessionPlacement implements Placement {
  readonly kind: 'inline' | 'pool';
  readonly #inner: Placement;
  readonly #deps: SessionPlacementDeps;
  readonly #idleTtlMs: number | undefined;
  readonly #maxActive: number;
  readonly #entries = new Map<string, Entry>();
  /** Entries with an actor (live, activating), least recently used first. */
  readonly #lru = new Map<string, Entry>();
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #resumed = 0;
  #closed = false;

  constructor(inner: Placement, deps: SessionPlacementDeps) {
    this.kind = inner.kind;
    this.#inner = inner;
    this.#deps = deps;
    const residency = validateResidency(deps.residency);
    // Passivation needs a placement that can load a session back into an agent.
    const canRestore = typeof inner.restore === 'function';
    this.#idleTtlMs = canRestore ? residency.idleTtlMs : undefined;
    this.#maxActive = canRestore
      ? (residency.maxActive ?? Number.POSITIVE_INFINITY)
      : Number.POSITIVE_INFINITY;
  }

  stats(): ResidencyStats {
    let passive = 0;
    for (const entry of this.#entries.values()) if (entry.status === 'passive') passive++;
    return {
      live: this.#entries.size - passive,
      passive,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      resumed: this.#resumed,
    };
  }

  async spawn(request: SpawnRequest): Promise<void> {
    const entry: Entry = {
      request,
      status: 'activating',
      waiting: Promise.resolve(),
      activation: undefined,
      idleTimer: undefined,
      usage: undefined,
      derived: undefined,
    };
    this.#entries.set(request.name, entry);
    // Recorded as the entry's activation: a send arriving meanwhile waits for it.
    entry.activation = this.#start(entry).then(
      (resumed) => {
        if (resumed) this.#resumed++;
        entry.status = 'live';
        entry.activation = undefined;
      },
      (error: unknown) => {
        if (this.#entries.get(request.name) === entry) this.#entries.delete(request.name);
        entry.activation = undefined;
        throw error;
      },
    );
    await entry.activation;
    this.#touch(entry);
    this.#armIdle(entry);
    this.#enforceMax(entry);
  }

  /**
   * Mailbox messages for the agent: a passive one comes back from its session first (messages
   * arriving meanwhile wait for that one activation, in order).
   */
  deliver(name: string, mails: readonly Mail[]): void {
    const entry = this.#entry(name);
    if (entry.status === 'live' || entry.status === 'passivating') {
      this.#hits++;
      // A message during passivation keeps the actor: the passivation sees it and backs off.
      entry.status = 'live';
      this.#handOver(entry, mails);
      return;
    }
    if (entry.status === 'passive') {
      this.#misses++;
      void this.#activate(entry).catch(() => {});
    }
    // Being spawned or brought back: delivered once that activation is done.
    const activation = entry.activation ?? Promise.resolve();
    entry.waiting = entry.waiting.then(() =>
      activation.then(
        () => {
          if (this.#entries.get(name) === entry) this.#handOver(entry, mails);
        },
        () => {},
      ),
    );
  }

  lost(name: string): boolean {
    const entry = this.#entries.get(name);
    return entry !== undefined && entry.status !== 'passive' && this.#inner.lost?.(name) === true;
  }

  cursor(name: string, rebase?: number): Promise<number> {
    return this.#inner.cursor(name, rebase);
  }

  quiet(name: string): boolean {
    const entry = this.#entries.get(name);
    if (entry === undefined || entry.status === 'passive') return true;
    if (entry.status === 'activating') return false;
    return this.#inner.quiet(name);
  }

  /** A run of the agent ended: once it has nothing left to do, it may passivate. */
  ended(name: string): void {
    // Checked after the current turn of work: a pool worker's state changes arrive in the same
    // batch as the run's end, after it.
    queueMicrotask(() => {
      const entry = this.#entries.get(name);
      if (entry === undefined || entry.status !== 'live' || !this.#inner.quiet(name)) return;
      this.#armIdle(entry);
      this.#enforceMax(undefined);
    });
  }

  #handOver(entry: Entry, mails: readonly Mail[]): void {
    this.#touch(entry);
    this.#clearIdle(entry);
    this.#enforceMax(entry);
    this.#inner.deliver(entry.request.name, mails);
  }

  async cancel(name: string): Promise<boolean> {
    const entry = this.#entry(name);
    return entry.status === 'passive' ? false : this.#inner.cancel(name);
  }

  async decide(
    name: string,
    runId: string,
    callId: string,
    decision: ApprovalDecision,
  ): Promise<void> {
    const entry = this.#entry(name);
    // A paused run is never passivated: a passive agent has nothing waiting.
    if (entry.status === 'passive')
      throw new TroupeError(
        'ERR_NOT_FOUND',
        `no tool call "${callId}" of run "${runId}" awaits approval`,
        {
          details: { runId, callId },
        },
      );
    await entry.activation;
    return this.#inner.decide(name, runId, callId, decision);
  }

  async restart(name: string): Promise<void> {
    const entry = this.#entry(name);
    if (entry.status === 'passive') return;
    // A pool agent whose worker died restarts empty: it comes back from its session instead
    // (up to its last turn the worker reported), so its stored history goes on where it was.
    const lost = this.#inner.lost?.(name) === true && this.#inner.restore !== undefined;
    if (lost) await this.#deps.saver.save(this.#deps.sessionId(name)).catch(() => {});
    await this.#inner.restart(name);
    if (lost && this.#entries.get(name) === entry) await this.#load(name);
  }

  markFailed(name: string): void {
    if (this.#entry(name).status !== 'passive') this.#inner.markFailed(name);
  }

  async stop(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (entry === undefined) return;
    this.#entries.delete(name);
    this.#lru.delete(name);
    this.#clearIdle(entry);
    if (entry.status !== 'passive') await this.#inner.stop(name);
  }

  state(name: string): AgentState {
    return this.#passiveView(this.#entry(name)) ? 'idle' : this.#inner.state(name);
  }

  usage(name: string): UsageCounter | Usage {
    const entry = this.#entry(name);
    return this.#passiveView(entry) && entry.usage !== undefined
      ? entry.usage
      : this.#inner.usage(name);
  }

  async history(name: string): Promise<ChatMessage[]> {
    if (!this.#fromSession(this.#entry(name))) {
      const live = await this.#inner.history(name);
      return hasTrimmed(live) ? this.#untrimmed(name, live) : live;
    }
    return (await loadSession(this.#deps.store, this.#deps.sessionId(name)))?.history.slice() ?? [];
  }

  /**
   * A long-lived agent keeps only the messages of its context view in memory (context/trimmed.ts):
   * the others come from its session, once every save of it is durable.
   */
  async #untrimmed(name: string, live: readonly ChatMessage[]): Promise<ChatMessage[]> {
    const sessionId = this.#deps.sessionId(name);
    await this.#deps.saver.save(sessionId);
    const stored = await this.#deps.store.loadHistory(sessionId);
    return untrim(live, stored);
  }

  async context(name: string): Promise<Readonly<Record<string, unknown>>> {
    if (!this.#fromSession(this.#entry(name))) return this.#inner.context(name);
    return (await this.#deps.store.loadSnapshot(this.#deps.sessionId(name)))?.context ?? {};
  }

  /**
   * True when the agent's state must come from its session: passive, or coming back from
   * passivation (its actor exists but is not restored yet). A first spawn is not.
   */
  #passiveView(entry: Entry): boolean {
    return (
      entry.status === 'passive' || (entry.status === 'activating' && entry.usage !== undefined)
    );
  }

  /** History and context also come from the session of an agent lost with its worker. */
  #fromSession(entry: Entry): boolean {
    return this.#passiveView(entry) || this.#inner.lost?.(entry.request.name) === true;
  }

  settled(): Promise<void> {
    return this.#inner.settled();
  }

  async derived(name: string): Promise<Record<string, unknown>> {
    const entry = this.#entry(name);
    if (this.#passiveView(entry)) return { ...entry.derived };
    return (await this.#inner.derived?.(name)) ?? {};
  }

  async restore(name: string, session: RestoredSession): Promise<void> {
    await this.#inner.restore?.(name, session);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of this.#entries.values()) this.#clearIdle(entry);
    this.#entries.clear();
    this.#lru.clear();
    await this.#inner.close();
  }

  #entry(name: string): Entry {
    const entry = this.#entries.get(name);
    if (entry === undefined) {
      throw new TroupeError('ERR_NOT_FOUND', `no agent named "${name}"`, { details: { name } });
    }
    return entry;
  }

  /** Spawns the actor and loads its stored session into it; true when there was one. */
  async #start(entry: Entry): Promise<boolean> {
    const { name } = entry.request;
    await this.#inner.spawn(entry.request);
    try {
      return await this.#load(name);
    } catch (error) {
      await this.#inner.stop(name);
      throw error;
    }
  }

  /** Loads the stored session into the (fresh) actor; true when there was one. */
  async #load(name: string): Promise<boolean> {
    const restore = this.#inner.restore;
    if (restore === undefined) return false;
    const session = await loadSession(this.#deps.store, this.#deps.sessionId(name));
    if (session === undefined) return false;
    await restore.call(this.#inner, name, session);
    this.#deps.seedRevision(name, session.revision);
    return true;
  }

  /** Brings a passive agent back; concurrent sends share one activation. */
  #activate(entry: Entry): Promise<void> {
    entry.activation ??= (async () => {
      entry.status = 'activating';
      try {
        await this.#start(entry);
        entry.status = 'live';
        entry.usage = undefined;
        entry.derived = undefined;
      } catch (error) {
        entry.status = 'passive';
        throw error;
      } finally {
        entry.activation = undefined;
      }
    })();
    return entry.activation;
  }

  #touch(entry: Entry): void {
    const name = entry.request.name;
    this.#lru.delete(name);
    this.#lru.set(name, entry);
  }

  #armIdle(entry: Entry): void {
    if (this.#idleTtlMs === undefined || !this.#inner.quiet(entry.request.name)) return;
    this.#clearIdle(entry);
    entry.idleTimer = this.#deps.clock.setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.status === 'live' && this.#inner.quiet(entry.request.name))
        void this.#passivate(entry);
    }, this.#idleTtlMs);
  }

  #clearIdle(entry: Entry): void {
    if (entry.idleTimer === undefined) return;
    this.#deps.clock.clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
  }

  /** Passivates least recently used idle agents while more than `maxActive` are live. */
  #enforceMax(keep: Entry | undefined): void {
    if (this.#lru.size <= this.#maxActive) return;
    let excess = this.#lru.size - this.#maxActive;
    for (const entry of this.#lru.values()) {
      if (excess === 0) break;
      // Never one in the middle of a run, never the one being used right now.
      if (entry === keep || entry.status !== 'live' || !this.#inner.quiet(entry.request.name))
        continue;
      excess--;
      void this.#passivate(entry);
    }
  }

  /** Saves the session (durably), then stops the actor, unless a send came in meanwhile. */
  async #passivate(entry: Entry): Promise<void> {
    const name = entry.request.name;
    if (this.#inner.state(name) === 'failed') return;
    entry.status = 'passivating';
    this.#lru.delete(name);
    this.#clearIdle(entry);
    const usage = this.#inner.usage(name);
    let derived: Record<string, unknown> | undefined;
    try {
      // A round trip in the pool: the derived states live in the agent's worker.
      derived = await this.#inner.derived?.(name);
      await this.#deps.saver.save(this.#deps.sessionId(name));
    } catch {
      // Not durable (the saver reported why) or its worker did not answer: keep the agent live
      // rather than lose its state.
      if (entry.status === 'passivating') {
        entry.status = 'live';
        this.#touch(entry);
      }
      return;
    }
    if (entry.status !== 'passivating' || this.#closed || this.#entries.get(name) !== entry) return;
    entry.status = 'passive';
    entry.usage = usageSnapshot(usage);
    entry.derived = derived;
    this.#evictions++;
    await this.#inner.stop(name);
  }
}
