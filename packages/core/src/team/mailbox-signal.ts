import type { BusBackend } from '../backend/interfaces.js';
import { isMemoryBusWait } from '../bus/bus.js';

/** What ends a mailbox's wait: the signal its `bus.wait` gets, and the abort. */
export interface MailboxStop {
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
}

/**
 * The signal of a mailbox on an in-memory bus: `aborted`, `reason` and `'abort'` listeners,
 * all that bus reads of a signal (and `pause`, between retries). An AbortController per
 * mailbox costs far more: Node builds an EventTarget for its signal, promotes it to the old
 * generation at once (with what its listeners hold), and dispatches an Event on abort; a team
 * opens one per agent and aborts them all when it closes.
 */
class LightStop implements MailboxStop {
  aborted = false;
  reason: unknown = undefined;
  #listeners: (() => void)[] = [];

  get signal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.#listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.#listeners.indexOf(listener);
    if (index >= 0) this.#listeners.splice(index, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = [];
    // Once each, in the order added, as an AbortSignal calls `{ once: true }` listeners.
    for (const listener of listeners) listener();
  }
}

/**
 * How a mailbox on `bus` ends its wait: a {@link LightStop} when `bus.wait` is an in-memory
 * bus's own, else an AbortController (any other bus gets a real AbortSignal).
 */
export function mailboxStop(bus: BusBackend): MailboxStop {
  return isMemoryBusWait(bus.wait) ? new LightStop() : new AbortController();
}
