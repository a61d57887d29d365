import { inboxTopic, type Mail, topicCursorKey } from './mail.js';

/**
 * The mailbox messages an agent holds: the ones queued for its next run and the ones steered
 * into the running conversation. Delivery is at least once, handling exactly once: a message at
 * or below the highest seq accepted so far is dropped, and one at or below the agent's cursor
 * (taken meanwhile by `wait_messages`) is not run again.
 */
export class Inbox {
  #queue: Mail[] = [];
  #steered: Mail[] = [];
  /** Highest mailbox seq accepted (queued, handled or taken): a redelivered mail is dropped. */
  accepted = 0;
  /** Last mailbox seq taken into history as a user message. */
  #taken = 0;
  /** The context key where `wait_messages` keeps the last seq it took from this inbox. */
  readonly toolCursorKey: string;

  constructor(agent: string) {
    this.toolCursorKey = topicCursorKey(inboxTopic(agent));
  }

  /** Last seq handled: taken into history by a run, or by `wait_messages` (in `context`). */
  cursor(context: Readonly<Record<string, unknown>>): number {
    const byTool = context[this.toolCursorKey];
    return typeof byTool === 'number' && byTool > this.#taken ? byTool : this.#taken;
  }

  /** Takes `mails` into history: the new last seq taken, or undefined when it did not move. */
  take(mails: readonly Mail[]): number | undefined {
    const last = mails[mails.length - 1];
    if (last === undefined || last.seq <= this.#taken) return undefined;
    this.#taken = last.seq;
    return last.seq;
  }

  /** Starts the count over at `seq` (the mailbox topic restarted). */
  rebase(seq: number): void {
    this.#taken = seq;
    this.accepted = seq;
  }

  /** A stored session's last taken seq; nothing at or below the cursor is accepted again. */
  restore(taken: number, context: Readonly<Record<string, unknown>>): void {
    this.#taken = taken;
    this.accepted = Math.max(this.accepted, this.cursor(context));
  }

  get empty(): boolean {
    return this.#queue.length === 0 && this.#steered.length === 0;
  }

  /**
   * Sorts delivered mails against `cursor`: new ones to run on, and ones `wait_messages` already
   * took (they are answered by the run that took them). Redeliveries are dropped.
   */
  accept(mails: readonly Mail[], cursor: number): { fresh: Mail[]; taken: Mail[] } {
    const fresh: Mail[] = [];
    const taken: Mail[] = [];
    for (const mail of mails) {
      if (mail.seq <= this.accepted) continue;
      this.accepted = mail.seq;
      if (mail.seq > cursor) fresh.push(mail);
      else if (mail.id !== undefined) taken.push(mail);
    }
    return { fresh, taken };
  }

  enqueue(mails: readonly Mail[]): void {
    for (const mail of mails) this.#queue.push(mail);
  }

  steer(mails: readonly Mail[]): void {
    for (const mail of mails) this.#steered.push(mail);
  }

  /** Steered mails the running conversation has not taken yet (and that are still new). */
  takeSteered(cursor: number): Mail[] {
    if (this.#steered.length === 0) return [];
    return this.#steered.splice(0).filter((mail) => mail.seq > cursor);
  }

  /**
   * Between runs: steered mails the last run never reached join the queue; mails taken meanwhile
   * by `wait_messages` leave it (returned, to be answered by the run that took them).
   */
  settle(cursor: number): Mail[] {
    for (const mail of this.#steered.splice(0)) this.#queue.push(mail);
    if (this.#queue.length === 0 || this.#queue[0]!.seq > cursor) return [];
    const taken = this.#queue.filter((mail) => mail.seq <= cursor);
    this.#queue = this.#queue.filter((mail) => mail.seq > cursor);
    return taken;
  }

  /** True when a queued or steered mail is newer than `cursor` (pure: a statechart guard). */
  hasFresh(cursor: number): boolean {
    const q = this.#queue[this.#queue.length - 1];
    const s = this.#steered[this.#steered.length - 1];
    return (q !== undefined && q.seq > cursor) || (s !== undefined && s.seq > cursor);
  }

  /** Every queued mail, in arrival order, for the next run. */
  takeQueued(): Mail[] {
    return this.#queue.splice(0);
  }

  /** Everything held (the agent stopped or failed for good). */
  drain(): Mail[] {
    return this.#queue.splice(0).concat(this.#steered.splice(0));
  }
}
