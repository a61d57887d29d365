import { inboxTopic, type Mail, mailFromMessage } from '../agent/mail.js';
import type { BusBackend } from '../backend/interfaces.js';
import type { Clock } from '../clock.js';
import { isTroupeError } from '../errors.js';
import { pause } from '../internal/pause.js';
import { type MailboxStop, mailboxStop } from './mailbox-signal.js';

/** What the mailboxes deliver to and report to. */
export interface MailboxesDeps {
  readonly bus: BusBackend;
  readonly clock: Clock;
  /** Hands mails to the agent's actor, wherever it runs. */
  deliver(agent: string, mails: readonly Mail[]): void;
  /** A bus fault the pump could not get past at once (it keeps retrying with backoff). */
  onError(agent: string, error: unknown): void;
  /** Something was delivered (wakes `team.idle()` waiters). */
  onActivity(): void;
}

interface Box {
  readonly agent: string;
  readonly topic: string;
  /** Last seq read from the topic (and handed to the agent). */
  readSeq: number;
  /** Parked in `bus.wait` with nothing newer to hand over. */
  waiting: boolean;
  closed: boolean;
  readonly stop: MailboxStop;
}

const MAX_BATCH = 1_000;
/**
 * Why a closed mailbox's wait ends. One shared reason: `abort()` without one builds a
 * DOMException (and its stack) per mailbox, and every team close aborts all of them.
 */
const CLOSED = Object.freeze({ mailbox: 'closed' });
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5_000;

/**
 * One pump per agent: a wait on its mailbox topic (`inbox:<agent>`), woken by the post itself,
 * that hands each batch of new messages to the agent's actor. Delivery is at least once: a pump
 * rewound to the agent's cursor (its worker died, say) hands messages over again, and the agent
 * drops any it already took, so each is handled exactly once. Works on any bus (in memory, Redis).
 */
export class Mailboxes {
  readonly #deps: MailboxesDeps;
  readonly #boxes = new Map<string, Box>();

  constructor(deps: MailboxesDeps) {
    this.#deps = deps;
  }

  /** Starts delivering `agent`'s messages after `afterSeq` (its cursor). */
  open(agent: string, afterSeq: number): void {
    this.close(agent);
    const box: Box = {
      agent,
      topic: inboxTopic(agent),
      readSeq: afterSeq,
      waiting: false,
      closed: false,
      stop: mailboxStop(this.#deps.bus),
    };
    this.#boxes.set(agent, box);
    void this.#pump(box);
  }

  /**
   * The agent handled `mails` (their run ended): its mailbox may drop what came before the last
   * of them, on a bus that can (`bus.trim`). The last one stays: it anchors the agent's cursor
   * when the agent is spawned again on this bus (local-team's `#openMailbox` probes it).
   */
  handled(agent: string, mails: readonly Mail[]): void {
    const { bus } = this.#deps;
    const last = mails[mails.length - 1];
    if (bus.trim === undefined || last === undefined || !this.#boxes.has(agent)) return;
    // A seq at or below what the bus already trimmed changes nothing there.
    bus.trim(inboxTopic(agent), last.seq - 1).catch(() => {
      // A closed or failing bus: trimming is an optimisation; the messages simply stay.
    });
  }

  /** Where the pump has read up to (0 for an agent without a mailbox). */
  readSeq(agent: string): number {
    return this.#boxes.get(agent)?.readSeq ?? 0;
  }

  /** Delivers again from `afterSeq` on (the agent lost what it had queued). */
  rewind(agent: string, afterSeq: number): void {
    const box = this.#boxes.get(agent);
    if (box === undefined) return;
    if (afterSeq >= box.readSeq) return;
    this.open(agent, afterSeq);
  }

  close(agent: string): void {
    const box = this.#boxes.get(agent);
    if (box === undefined) return;
    this.#boxes.delete(agent);
    box.closed = true;
    abortQuietly(box.stop);
  }

  closeAll(): void {
    for (const agent of [...this.#boxes.keys()]) this.close(agent);
  }

  /** True when every pump is parked with nothing newer to hand over. */
  caughtUp(): boolean {
    for (const box of this.#boxes.values()) if (!box.waiting) return false;
    return true;
  }

  /**
   * Checks with the bus that nothing was posted after what each pump read (a post from another
   * process may not have woken its pump yet).
   */
  async drained(): Promise<boolean> {
    for (const box of this.#boxes.values()) {
      const newer = await this.#deps.bus.read(box.topic, { afterSeq: box.readSeq, limit: 1 });
      if (newer.length > 0) return false;
    }
    return true;
  }

  async #pump(box: Box): Promise<void> {
    const { bus, clock } = this.#deps;
    let backoff = FIRST_BACKOFF_MS;
    while (!box.closed) {
      let batch: Awaited<ReturnType<BusBackend['wait']>>;
      box.waiting = true;
      try {
        batch = await bus.wait(box.topic, {
          afterSeq: box.readSeq,
          limit: MAX_BATCH,
          signal: box.stop.signal,
        });
      } catch (error) {
        box.waiting = false;
        if (box.closed) return;
        if (isTroupeError(error) && error.code === 'ERR_CLOSED') return;
        this.#deps.onError(box.agent, error);
        await pause(clock, backoff, box.stop.signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      box.waiting = false;
      if (box.closed) return;
      backoff = FIRST_BACKOFF_MS;
      const last = batch[batch.length - 1];
      if (last === undefined) continue;
      box.readSeq = last.seq;
      const mails = batch.map(mailFromMessage);
      this.#deps.deliver(box.agent, mails);
      this.#deps.onActivity();
    }
  }
}

/**
 * Aborts a closed mailbox's wait. Nothing reads the error the wait rejects with (the pump sees
 * `closed` and returns), so it is made without a stack: capturing one per mailbox was most of
 * the cost of closing a small team.
 */
function abortQuietly(stop: MailboxStop): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    stop.abort(CLOSED);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
