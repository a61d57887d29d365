import type { Lease } from '@troupe/core';
import { parseSettle, type Weight } from '@troupe/core/backend';

/** What a lease needs from its limiter: adjusting its own admission by deltas. */
export interface LeaseOwner {
  adjust(
    keys: readonly string[],
    member: string,
    dRequests: number,
    dTokens: number,
    dCost: number,
  ): Promise<void>;
}

/** The window member of an admission: the same string the script builds from its ARGV. */
export function memberOf(id: string, weight: Weight): string {
  return `${id}|${weight.requests}|${weight.tokens}|${weight.cost}`;
}

/** One admission: settle or cancel adjusts its own entry (by its member) on every key it holds. */
export class RedisLease implements Lease {
  readonly keys: readonly string[];
  readonly admittedAt: number;
  readonly #owner: LeaseOwner;
  readonly #weight: Weight;
  /** The admission's window member, "id|requests|tokens|cost", as the script wrote it. */
  readonly #member: string;
  #done = false;

  constructor(
    owner: LeaseOwner,
    keys: readonly string[],
    weight: Weight,
    id: string,
    admittedAt: number,
  ) {
    this.#owner = owner;
    this.keys = keys;
    this.#weight = { ...weight };
    this.#member = memberOf(id, weight);
    this.admittedAt = admittedAt;
  }

  settle(actual: { tokens?: number; costUsd?: number }): Promise<void> {
    const { tokens, cost } = parseSettle(actual);
    if (this.#done) return Promise.resolve();
    this.#done = true;
    return this.#owner.adjust(
      this.keys,
      this.#member,
      0,
      tokens === undefined ? 0 : tokens - this.#weight.tokens,
      cost === undefined ? 0 : cost - this.#weight.cost,
    );
  }

  cancel(): Promise<void> {
    if (this.#done) return Promise.resolve();
    this.#done = true;
    return this.#owner.adjust(
      this.keys,
      this.#member,
      -this.#weight.requests,
      -this.#weight.tokens,
      -this.#weight.cost,
    );
  }
}
