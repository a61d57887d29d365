import type { ApprovalDecision } from '../agent/approval-record.js';
import type { Mail } from '../agent/mail.js';
import { type UsageCounter, usageSnapshot } from '../agent/usage.js';
import type { Clock } from '../clock.js';
import { hasTrimmed, untrim } from '../context/trimmed.js';
import { TroupeError } from '../errors.js';
import type { AgentState, Usage } from '../events/team-events.js';
import type { ChatMessage } from '../model.js';
import type { Placement, SpawnRequest } from '../placement/types.js';
import { type Entry, LiveAgents } from './live-agents.js';
import type { ResidencyOptions, ResidencyStats } from './residency.js';
import { loadSession, type RestoredSession } from './resume.js';
import type { SessionSaver } from './saver.js';
import type { SessionStore } from './types.js';

// Kept at this path for the modules that import them from here.

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
  /** Checked already (`validateResidency`): createTeam checks it once. */
  readonly residency?: ResidencyOptions;
}

/**
 * A {@link Placement} around another that gives agents sessions: an agent spawned under a name
 * with a stored session resumes it (history, context, usage; dangling tool calls closed), and,
 * with {@link ResidencyOptions}, idle agents are saved and stopped, and come back from their
 * session on their next message. Never passivates an agent in the middle of a run.
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
  readonly #entries = new Map<string, Entry>();
  /** Entries with an actor (live, activating), least recently used first. */
  readonly #live: LiveAgents;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #resumed = 0;
  #closed = false;

  constructor(inner: Placement, deps: SessionPlacementDeps) {
    this.kind = inner.kind;
    this.#inner = inner;
    this.#deps = deps;
    const residency = deps.residency ?? {};
    // Passivation needs a placement that can load a session back into an agent.
    const canRestore = typeof inner.restore === 'function';
    this.#live = new LiveAgents(
      deps.clock,
      canRestore ? residency.idleTtlMs : undefined,
      canRestore ? (residency.maxActive ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY,
    );
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
    this.#live.touch(entry);
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
    this.#live.touch(entry);
    this.#live.clearIdle(entry);
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
    this.#live.delete(name);
    this.#live.clearIdle(entry);
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
    for (const entry of this.#entries.values()) this.#live.clearIdle(entry);
    this.#entries.clear();
    this.#live.clear();
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

  #armIdle(entry: Entry): void {
    if (!this.#live.idles || !this.#inner.quiet(entry.request.name)) return;
    this.#live.armIdle(entry, () => {
      if (entry.status === 'live' && this.#inner.quiet(entry.request.name))
        void this.#passivate(entry);
    });
  }

  /** Passivates least recently used idle agents while more than `maxActive` are live. */
  #enforceMax(keep: Entry | undefined): void {
    // Never one in the middle of a run, never the one being used right now.
    const idle = (entry: Entry) => entry.status === 'live' && this.#inner.quiet(entry.request.name);
    for (const entry of this.#live.excess(keep, idle)) void this.#passivate(entry);
  }

  /** Saves the session (durably), then stops the actor, unless a send came in meanwhile. */
  async #passivate(entry: Entry): Promise<void> {
    const name = entry.request.name;
    if (this.#inner.state(name) === 'failed') return;
    entry.status = 'passivating';
    this.#live.delete(name);
    this.#live.clearIdle(entry);
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
        this.#live.touch(entry);
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
