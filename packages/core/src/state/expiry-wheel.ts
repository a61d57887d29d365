/**
 * Timer-driven cleanup of expired entries, one clock timer per time slot instead of one per
 * entry. Entries link into their slot's list (intrusive, doubly linked), so adding, moving and
 * removing an entry is O(1) with no allocation beyond the entry itself.
 *
 * Cleanup is only memory hygiene: readers compare `expiresAt` with `clock.now()` themselves,
 * so an entry swept late (or never) is still treated as expired from its `expiresAt` on.
 */

import { MAX_TIMER_MS } from '../backend/validate.js';
import type { Clock, TimerHandle } from '../clock.js';

/** Fields the wheel keeps on each entry. */
export interface WheelEntry {
  expiresAt: number;
  slot: Slot<this> | undefined;
  prev: this | undefined;
  next: this | undefined;
}

export interface Slot<T> {
  readonly at: number;
  head: T | undefined;
  handle: TimerHandle | undefined;
}

export class ExpiryWheel<T extends WheelEntry> {
  readonly #clock: Clock;
  readonly #slotMs: number;
  readonly #onExpire: (entry: T) => void;
  readonly #slots = new Map<number, Slot<T>>();
  /** The slot the last add used: entries added close together share one (TTLs are mostly
   * equal), so most adds skip the map lookup of a heap-number key. */
  #last: Slot<T> | undefined;

  /**
   * @param slotMs width of a slot: an entry is swept at most this long after it expires.
   * @param onExpire called for each expired entry when its slot's timer fires (already unlinked).
   */
  constructor(clock: Clock, slotMs: number, onExpire: (entry: T) => void) {
    this.#clock = clock;
    this.#slotMs = slotMs;
    this.#onExpire = onExpire;
  }

  add(entry: T): void {
    const expiresAt = entry.expiresAt;
    let slot = this.#last;
    // The last slot when `expiresAt` rounds up to it (no division on this path); a swept slot
    // has no handle any more and must not take new entries.
    if (
      slot === undefined ||
      expiresAt > slot.at ||
      expiresAt <= slot.at - this.#slotMs ||
      slot.handle === undefined
    ) {
      // Round up: every entry in a slot has expired by the time the slot's timer fires.
      const at = Math.ceil(expiresAt / this.#slotMs) * this.#slotMs;
      slot = this.#slots.get(at) ?? this.#open(at);
    }
    this.#last = slot;
    entry.slot = slot;
    entry.prev = undefined;
    entry.next = slot.head;
    if (slot.head !== undefined) slot.head.prev = entry;
    slot.head = entry;
  }

  /** A new slot at time `at`, with its sweep timer armed. */
  #open(at: number): Slot<T> {
    const created: Slot<T> = { at, head: undefined, handle: undefined };
    // A slot further away than one timer can wait fires early; the sweep re-files its entries.
    const delay = Math.min(at - this.#clock.now(), MAX_TIMER_MS);
    const handle = this.#clock.setTimeout(() => this.#sweep(created), delay);
    // Cleanup alone must not keep a process alive (Node timers have `unref`; others may not).
    (handle as { unref?: () => void }).unref?.();
    created.handle = handle;
    this.#slots.set(at, created);
    return created;
  }

  /** Unlinks an entry. An emptied slot keeps its timer: it fires once and finds nothing, which
   * is cheaper than clearing and re-arming timers as claims come and go. */
  remove(entry: T): void {
    const slot = entry.slot;
    if (slot === undefined) return;
    if (entry.prev !== undefined) entry.prev.next = entry.next;
    else slot.head = entry.next;
    if (entry.next !== undefined) entry.next.prev = entry.prev;
    entry.slot = undefined;
    entry.prev = undefined;
    entry.next = undefined;
  }

  /** Stops every timer (on close). */
  clear(): void {
    for (const slot of this.#slots.values()) {
      if (slot.handle !== undefined) this.#clock.clearTimeout(slot.handle);
      slot.handle = undefined;
      slot.head = undefined;
    }
    this.#slots.clear();
    this.#last = undefined;
  }

  #sweep(slot: Slot<T>): void {
    this.#slots.delete(slot.at);
    slot.handle = undefined;
    const now = this.#clock.now();
    let entry = slot.head;
    while (entry !== undefined) {
      const next = entry.next;
      this.remove(entry);
      // A clock whose timers fire early must not expire live entries: re-file those.
      if (entry.expiresAt <= now) this.#onExpire(entry);
      else this.add(entry);
      entry = next;
    }
  }
}
