import type { Mail } from '../agent/mail.js';
import type { SharedStateBackend } from '../backend/interfaces.js';
import type { Clock, TimerHandle } from '../clock.js';
import { TroupeError } from '../errors.js';
import type { EventHub } from '../events/event-hub.js';
import { createRng } from '../ids.js';
import type { Placement } from '../placement/types.js';
import type { Mailboxes } from './mailboxes.js';
import type { Activity } from './messaging.js';
import { type SupervisionOptions, Supervisor } from './supervisor.js';

/** What supervision acts on. */
export interface SupervisionDeps {
  readonly config: Required<SupervisionOptions>;
  readonly clock: Clock;
  readonly events: EventHub;
  /** Where the team's agents run (its placement, behind sessions with a store). */
  readonly agents: Placement;
  readonly state: SharedStateBackend;
  readonly mailboxes: Mailboxes;
  readonly activity: Activity;
  isMember(name: string): boolean;
  /**
   * Answers the mailbox messages in (`afterSeq`, `upTo`] as failed with `error`: a run had taken
   * them when its worker died.
   */
  deadLetter(name: string, afterSeq: number, upTo: number, error: TroupeError): Promise<void>;
}

/** First restart at once; later ones back off (doubling from this, jittered, capped). */
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 30_000;

/**
 * The team's supervisor at work: a failed agent restarts one-for-one (the first time at once,
 * then with jittered exponential backoff), at most `maxRestarts` per window; past that it is
 * failed for good, its messages are refused and its claims released. A restart keeps the agent's
 * claims (it goes on with its work); an agent whose actor was lost with its worker gets the
 * messages it had not finished delivered again.
 */
export class Supervision {
  readonly #deps: SupervisionDeps;
  readonly #supervisor: Supervisor;
  readonly #gaveUp = new Set<string>();
  readonly #pending = new Map<string, TimerHandle>();
  /** Per agent, the highest mailbox seq a run has answered (where a lost agent resumes). */
  readonly #handled = new Map<string, number>();
  /** Per agent, the highest mailbox seq a run has taken into its history (pool placement). */
  readonly #taken = new Map<string, number>();
  readonly #random = createRng('supervisor').next;
  restarting = 0;
  /** Agents failed and waiting for their restart. */
  readonly #restartingNames = new Set<string>();

  constructor(deps: SupervisionDeps) {
    this.#deps = deps;
    this.#supervisor = new Supervisor(deps.config);
  }

  restarts(name: string): number {
    return this.#supervisor.restarts(name);
  }

  gaveUp(name: string): boolean {
    return this.#gaveUp.has(name);
  }

  /** Failed, with a restart on its way. */
  isRestarting(name: string): boolean {
    return this.#restartingNames.has(name);
  }

  /** A run answered these mails. */
  handled(name: string, mails: readonly Mail[]): void {
    const last = mails[mails.length - 1];
    if (last === undefined || last.seq <= (this.#handled.get(name) ?? 0)) return;
    this.#handled.set(name, last.seq);
  }

  /** A run of the agent took mailbox messages up to `seq` into its history. */
  taken(name: string, seq: number): void {
    if (seq > (this.#taken.get(name) ?? 0)) this.#taken.set(name, seq);
  }

  failed(name: string, error: TroupeError): void {
    const { clock, events, agents } = this.#deps;
    if (!this.#deps.isMember(name) || this.#gaveUp.has(name)) return;
    const decision = this.#supervisor.decide(name, clock.now(), error);
    if (events.active) {
      events.emit({
        type: 'agent.failed',
        at: clock.now(),
        agent: name,
        error: { code: error.code, message: error.message },
        restarts: decision.restarts - (decision.restart ? 1 : 0),
        final: !decision.restart,
      });
    }
    if (!decision.restart) {
      this.#gaveUp.add(name);
      const lost = agents.lost?.(name) === true;
      agents.markFailed(name);
      // What its lost actor had taken but not answered comes round again, to be refused.
      if (lost) this.#deps.mailboxes.rewind(name, this.#handled.get(name) ?? 0);
      void this.#releaseClaims(name);
      this.#deps.activity.notify();
      return;
    }
    this.restarting++;
    this.#restartingNames.add(name);
    const delay = this.#delay(decision.restarts);
    // Never inside the failing actor's own step: the restart replaces that actor.
    if (delay === 0) queueMicrotask(() => this.#restart(name, decision.restarts, error));
    else {
      this.#pending.set(
        name,
        clock.setTimeout(() => {
          this.#pending.delete(name);
          this.#restart(name, decision.restarts, error);
        }, delay),
      );
    }
  }

  /** The agent was stopped: forget it, release its claims. */
  async stopped(name: string): Promise<void> {
    this.#cancelPending(name);
    this.#supervisor.forget(name);
    this.#gaveUp.delete(name);
    this.#handled.delete(name);
    this.#taken.delete(name);
    await this.#releaseClaims(name);
  }

  close(): void {
    for (const name of [...this.#pending.keys()]) this.#cancelPending(name);
  }

  #cancelPending(name: string): void {
    const timer = this.#pending.get(name);
    if (timer === undefined) return;
    this.#pending.delete(name);
    this.#deps.clock.clearTimeout(timer);
    this.restarting--;
    this.#restartingNames.delete(name);
  }

  #delay(restarts: number): number {
    if (restarts <= 1) return 0;
    const ms = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (restarts - 2));
    return Math.round(ms / 2 + (ms / 2) * this.#random());
  }

  #restart(name: string, restarts: number, cause: TroupeError): void {
    const { agents, clock, events } = this.#deps;
    if (!this.#deps.isMember(name)) {
      this.restarting--;
      this.#restartingNames.delete(name);
      return;
    }
    const lost = agents.lost?.(name) === true;
    agents.restart(name).then(
      async () => {
        // Its actor died with what it had queued: deliver again what no run answered.
        if (lost) await this.#redeliver(name, cause);
        this.restarting--;
        this.#restartingNames.delete(name);
        if (events.active)
          events.emit({ type: 'agent.restarted', at: clock.now(), agent: name, restarts });
        this.#deps.activity.notify();
      },
      (restartError: unknown) => {
        this.restarting--;
        this.#restartingNames.delete(name);
        const failure =
          restartError instanceof TroupeError
            ? restartError
            : new TroupeError('ERR_INTERNAL', String(restartError));
        this.failed(name, failure);
      },
    );
  }

  /**
   * After a worker death: the messages its runs had taken (in flight when it died) are answered
   * as failed, since one of them may be what killed it; the ones it had not started on yet are
   * delivered again to the restarted agent.
   */
  async #redeliver(name: string, cause: TroupeError): Promise<void> {
    const { mailboxes } = this.#deps;
    const handled = this.#handled.get(name) ?? 0;
    const taken = this.#taken.get(name) ?? 0;
    if (taken > handled) {
      const error = new TroupeError(
        'ERR_INTERNAL',
        `agent "${name}" lost its worker while handling this message: ${cause.message}`,
      );
      await this.#deps.deadLetter(name, handled, taken, error).catch(() => {});
      this.#handled.set(name, taken);
      mailboxes.open(name, taken);
    } else mailboxes.rewind(name, handled);
  }

  /** A stopped or given-up agent's claims would block others until they expire: release them. */
  async #releaseClaims(name: string): Promise<void> {
    const { state } = this.#deps;
    try {
      const claims = await state.claims({ agent: name });
      for (const claim of claims) await state.release(name, claim.resource);
    } catch {
      // The backend is down: the claims expire on their own (their TTL).
    }
  }
}
