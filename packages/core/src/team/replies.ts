import type { RunResult } from '../agent/run-result.js';
import { TroupeError } from '../errors.js';

/** An `ask_agent` in flight: an edge of the wait-for graph, moved on by handoffs. */
export interface AskWait {
  readonly from: string;
  to: string;
}

interface Waiter {
  readonly resolve: (result: RunResult) => void;
  /** Set for `ask_agent` (the wait-for graph); undefined for `team.send`. */
  readonly ask: AskWait | undefined;
}

/**
 * Who awaits the answer to which message: `team.send`, `team.run` and `ask_agent` register a
 * reply id before they post; the run that answers the message settles it. A handoff forwards
 * the waiters of the run that handed off to the message it passed on.
 */
export class Replies {
  readonly #waiters = new Map<string, Waiter[]>();

  get size(): number {
    return this.#waiters.size;
  }

  /** The answer to message `id`, once a run settles it. */
  expect(id: string, ask?: AskWait): Promise<RunResult> {
    return new Promise((resolve) => {
      const list = this.#waiters.get(id);
      const waiter = { resolve, ask };
      if (list === undefined) this.#waiters.set(id, [waiter]);
      else list.push(waiter);
    });
  }

  /** Forgets the waiters of `id` (a post that failed). */
  drop(id: string): void {
    this.#waiters.delete(id);
  }

  /** Forgets the waiter of one ask, wherever handoffs moved it (it timed out or was aborted). */
  dropAsk(ask: AskWait): void {
    for (const [id, list] of this.#waiters) {
      const index = list.findIndex((waiter) => waiter.ask === ask);
      if (index < 0) continue;
      list.splice(index, 1);
      if (list.length === 0) this.#waiters.delete(id);
      return;
    }
  }

  /** The run that answered `ids` ended with `result`. */
  settle(ids: Iterable<string>, result: RunResult): void {
    for (const id of ids) {
      const list = this.#waiters.get(id);
      if (list === undefined) continue;
      this.#waiters.delete(id);
      for (const waiter of list) waiter.resolve(result);
    }
  }

  /** Moves the waiters of `ids` to message `to`; returns the asks among them. */
  forward(ids: Iterable<string>, to: string): AskWait[] {
    const asks: AskWait[] = [];
    for (const id of ids) {
      const list = this.#waiters.get(id);
      if (list === undefined) continue;
      this.#waiters.delete(id);
      const target = this.#waiters.get(to);
      if (target === undefined) this.#waiters.set(to, list);
      else for (const waiter of list) target.push(waiter);
      for (const waiter of list) if (waiter.ask !== undefined) asks.push(waiter.ask);
    }
    return asks;
  }

  /** Answers one ask's waiter with `result`, wherever it is. */
  settleAsk(ask: AskWait, result: RunResult): void {
    for (const [id, list] of this.#waiters) {
      const index = list.findIndex((waiter) => waiter.ask === ask);
      if (index < 0) continue;
      const [waiter] = list.splice(index, 1);
      if (list.length === 0) this.#waiters.delete(id);
      waiter!.resolve(result);
      return;
    }
  }

  /** Answers every waiter with `result` (the team closed). */
  settleAll(result: (id: string) => RunResult): void {
    for (const [id, list] of this.#waiters) {
      for (const waiter of list) waiter.resolve(result(id));
    }
    this.#waiters.clear();
  }
}

/**
 * The team's wait-for graph: an edge A → B while A waits for B's answer (`ask_agent`, or a
 * handoff that passed A's question on to B). A new edge that closes a cycle can never be
 * answered: it is refused with `ERR_DEADLOCK` instead of hanging.
 */
export class WaitGraph {
  readonly #edges = new Map<string, Map<string, number>>();

  /** Adds A → B, or throws `ERR_DEADLOCK` naming the cycle it would close. */
  add(from: string, to: string): void {
    const cycle = this.#path(to, from);
    if (cycle !== undefined) {
      const names = [from, ...cycle];
      throw new TroupeError(
        'ERR_DEADLOCK',
        `ERR_DEADLOCK: ${names.join(' -> ')} would wait for each other; this request could never be answered`,
        { details: { cycle: names } },
      );
    }
    let out = this.#edges.get(from);
    if (out === undefined) {
      out = new Map();
      this.#edges.set(from, out);
    }
    out.set(to, (out.get(to) ?? 0) + 1);
  }

  remove(from: string, to: string): void {
    const out = this.#edges.get(from);
    const count = out?.get(to);
    if (out === undefined || count === undefined) return;
    if (count > 1) out.set(to, count - 1);
    else {
      out.delete(to);
      if (out.size === 0) this.#edges.delete(from);
    }
  }

  /** A path of waits from `start` to `goal` (both included), if there is one. */
  #path(start: string, goal: string): string[] | undefined {
    if (start === goal) return [start];
    const seen = new Set<string>([start]);
    const parents = new Map<string, string>();
    const stack = [start];
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const next of this.#edges.get(node)?.keys() ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        parents.set(next, node);
        if (next === goal) {
          const path = [goal];
          for (let at = goal; at !== start; ) {
            at = parents.get(at)!;
            path.unshift(at);
          }
          return path;
        }
        stack.push(next);
      }
    }
    return undefined;
  }
}
