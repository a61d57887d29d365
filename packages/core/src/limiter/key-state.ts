import type { Weight } from '../backend/limiter-options.js';
import type { TimerHandle } from '../clock.js';
import type { RateLimiterLease } from './types.js';
import type { RuleWindow } from './window.js';

/**
 * Everything the limiter knows about one key: its rule's window (if a rule names it), the
 * pauses provider feedback asked for, and the FIFO queue of waiters on it (a doubly linked
 * list, so a waiter that gives up leaves in O(1) from the middle).
 */
export class KeyState {
  readonly key: string;
  readonly window: RuleWindow | undefined;
  /** `[key]`, frozen: shared by every single-key lease instead of one array per admission. */
  readonly keys: readonly string[];
  /** `[this]`: the state list of a single-key admission, allocated once. */
  readonly self: readonly KeyState[];
  /** Admissions pause until these times (from {@link RateLimitFeedback}); -Infinity = none. */
  pausedRequestsUntil = Number.NEGATIVE_INFINITY;
  pausedTokensUntil = Number.NEGATIVE_INFINITY;
  first: WaitNode | undefined;
  last: WaitNode | undefined;

  constructor(key: string, window: RuleWindow | undefined) {
    this.key = key;
    this.window = window;
    this.keys = Object.freeze([key]);
    this.self = Object.freeze([this]);
  }

  append(waiter: Waiter): WaitNode {
    const node: WaitNode = { waiter, state: this, prev: this.last, next: undefined };
    if (this.last === undefined) this.first = node;
    else this.last.next = node;
    this.last = node;
    return node;
  }

  unlink(node: WaitNode): void {
    if (node.prev === undefined) this.first = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.last = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
  }

  /** True when nothing about this key needs remembering (an unruled key with no waiter or pause). */
  idle(now: number): boolean {
    return (
      this.window === undefined &&
      this.first === undefined &&
      this.pausedRequestsUntil <= now &&
      this.pausedTokensUntil <= now
    );
  }
}

/** One waiter's place in one key's queue. */
export interface WaitNode {
  readonly waiter: Waiter;
  readonly state: KeyState;
  prev: WaitNode | undefined;
  next: WaitNode | undefined;
}

/** A pending `acquire`: in the queue of every key it names until admitted or given up. */
export interface Waiter {
  readonly keys: readonly string[];
  readonly states: readonly KeyState[];
  readonly nodes: WaitNode[];
  readonly weight: Weight;
  readonly since: number;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (lease: RateLimiterLease) => void;
  readonly reject: (error: unknown) => void;
  /** The capacity timer: armed at the exact time capacity frees, while at every queue's head. */
  wake: TimerHandle | undefined;
  wakeAt: number;
  deadline: TimerHandle | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}
