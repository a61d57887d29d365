// The limiter's calls to Redis: its Lua scripts (./scripts/), the KEYS and ARGV of each, and
// the count of calls in flight (for `idle()`).
import type { Clock } from '@troupe/core';
import type { RuleSpec, Weight } from '@troupe/core/backend';
import type { Connection } from '../internal/connection.js';
import { defineScript, type ScriptRunner } from '../internal/define-script.js';
import type { ResolvedCommon } from '../internal/options.js';
import { memberOf } from './lease.js';
import { limitText, normalReply } from './replies.js';
import { ADJUST_SCRIPT } from './scripts/adjust.js';
import { ADMIT_SCRIPT } from './scripts/admit.js';
import { LEAVE_SCRIPT, TOUCH_SCRIPT } from './scripts/queue.js';
import { OBSERVE_SCRIPT, USAGE_SCRIPT } from './scripts/usage.js';
import type { AdmitReply, Prepared, RawAdmitReply } from './types.js';

/** What an admission call asks: admit or refuse, report only, enqueue, or retry a ticket. */
export type AdmitMode = 'try' | 'peek' | 'acquire' | 'queue' | 'retry';

/** Distinct key sets whose KEYS and ARGV tail are kept. */
const PREPARED_CACHE_SIZE = 1_024;

/** The limiter's Redis side: every script call goes through here. */
export class LimiterScripts {
  readonly connection: Connection;
  readonly clock: Clock;
  readonly rules: ReadonlyMap<string, RuleSpec>;
  readonly ticketTtlMs: number;
  /** Scripts read the server's TIME: their `now` argument is '' and replies are relative. */
  readonly serverTime: boolean;
  /** This limiter's id in wakes and admission ids: it ignores its own wakes. */
  readonly origin: string;
  /** The team's wake stream. */
  readonly channel: string;
  /** `<prefix>:{<team>}:` */
  readonly base: string;
  readonly #admit: ScriptRunner;
  readonly #leave: ScriptRunner;
  readonly #adjust: ScriptRunner;
  readonly #usage: ScriptRunner;
  readonly #observe: ScriptRunner;
  readonly #touch: ScriptRunner;
  /** `origin|channel`: scripts publish wakes as `origin|key`; we ignore our own. */
  readonly #channelSpec: string;
  /** `ticketTtl|origin|channel`: the admission script's one argument for both. */
  readonly #admitSpec: string;
  readonly #preparedCache = new Map<string, Prepared>();
  /** Admission ids: unique per limiter (origin) and per admission (counter). */
  #admissions = 0;
  #inFlight = 0;
  #idle: (() => void)[] = [];

  constructor(
    { connection, clock, base, serverTime }: ResolvedCommon,
    rules: ReadonlyMap<string, RuleSpec>,
    ticketTtlMs: number,
  ) {
    this.connection = connection;
    this.clock = clock;
    this.base = base;
    this.serverTime = serverTime;
    this.rules = rules;
    this.ticketTtlMs = ticketTtlMs;
    const client = connection.client;
    this.#admit = defineScript(client, 'troupeLimiterAdmit', ADMIT_SCRIPT);
    this.#leave = defineScript(client, 'troupeLimiterLeave', LEAVE_SCRIPT);
    this.#adjust = defineScript(client, 'troupeLimiterAdjust', ADJUST_SCRIPT);
    this.#usage = defineScript(client, 'troupeLimiterUsage', USAGE_SCRIPT);
    this.#observe = defineScript(client, 'troupeLimiterObserve', OBSERVE_SCRIPT);
    this.#touch = defineScript(client, 'troupeLimiterTouch', TOUCH_SCRIPT);
    // Load the scripts up front so the first calls are EVALSHA hits: a NOSCRIPT fallback
    // resends the call later and could reorder it behind calls made after it.
    for (const lua of [
      ADMIT_SCRIPT,
      LEAVE_SCRIPT,
      ADJUST_SCRIPT,
      USAGE_SCRIPT,
      OBSERVE_SCRIPT,
      TOUCH_SCRIPT,
    ]) {
      client.script('LOAD', lua).catch(() => {});
    }
    this.origin = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    this.channel = `${base}lwake`;
    this.#channelSpec = `${this.origin}|${this.channel}`;
    this.#admitSpec = `${ticketTtlMs}|${this.#channelSpec}`;
  }

  /** The `now` argument of a script at `now`: '' when scripts read the server's TIME. */
  #nowArg(now: number): number | '' {
    return this.serverTime ? '' : now;
  }

  async #call<T>(
    script: ScriptRunner,
    keys: readonly string[],
    args: (string | number)[],
    op: string,
  ): Promise<T> {
    this.#inFlight++;
    try {
      return (await script(keys, args)) as T;
    } catch (error) {
      throw this.connection.failure(error, op);
    } finally {
      this.#callEnded();
    }
  }

  #callEnded(): void {
    if (--this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Resolves once no call is in flight, nor started by the continuations of one. */
  async idle(): Promise<void> {
    // A reply's continuations (resolving a waiter, sending the next retry) run after the
    // call itself ends: give them a turn, and wait again if they started more calls.
    for (;;) {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#inFlight === 0) return;
    }
  }

  /** KEYS and the per-key ARGV tail of a key set: built once per distinct set, not per call. */
  #prepared(names: readonly string[]): Prepared {
    const id = names.length === 1 ? names[0]! : names.join('\u0000');
    let prepared = this.#preparedCache.get(id);
    if (prepared !== undefined) return prepared;
    const keys: string[] = [];
    const tail: string[] = [];
    for (const key of names) {
      keys.push(`${this.base}l:${key}:h`, `${this.base}l:${key}:w`, `${this.base}l:${key}:q`);
      const rule = this.rules.get(key);
      // One packed argument per rule (the script splits it; the name it reads off the key).
      if (rule === undefined) tail.push('none|inf|inf|inf');
      else {
        tail.push(
          `${limitText(rule.windowMs)}|${limitText(rule.maxRequests)}|${limitText(rule.maxTokens)}|${limitText(rule.maxCost)}`,
        );
      }
    }
    keys.push(`${this.base}lseq`);
    prepared = { keys, tail };
    // Bounded: callers with endless distinct key sets rebuild instead of growing the cache.
    if (this.#preparedCache.size < PREPARED_CACHE_SIZE) this.#preparedCache.set(id, prepared);
    return prepared;
  }

  /** KEYS, ARGV and admission id of one admission script call. */
  #admitCall(
    names: readonly string[],
    weight: Weight,
    mode: AdmitMode,
    ticket: string,
    now: number,
  ): { keys: readonly string[]; args: (string | number)[]; id: string } {
    const { keys, tail } = this.#prepared(names);
    const id = `${this.origin}.${(this.#admissions++).toString(36)}`;
    const args: (string | number)[] = [
      this.#nowArg(now),
      ticket === '' ? mode : `${mode}:${ticket}`,
      memberOf(id, weight),
      this.#admitSpec,
      ...tail,
    ];
    return { keys, args, id };
  }

  /**
   * One admission attempt, its reply as the script gave it (the fast path's compact 1 or
   * server time, or a list) with the admission id it was made under.
   */
  async admitRaw(
    names: readonly string[],
    weight: Weight,
    mode: AdmitMode,
    ticket: string,
    now: number,
  ): Promise<{ raw: RawAdmitReply; id: string }> {
    const { keys, args, id } = this.#admitCall(names, weight, mode, ticket, now);
    // #call inlined: the hottest path of the limiter, one async frame less.
    this.#inFlight++;
    try {
      return { raw: (await this.#admit(keys, args)) as RawAdmitReply, id };
    } catch (error) {
      throw this.connection.failure(error, 'limiter admission');
    } finally {
      this.#callEnded();
    }
  }

  /** One admission attempt, its reply as a list. */
  async admit(
    names: readonly string[],
    weight: Weight,
    mode: AdmitMode,
    ticket: string,
    now: number,
  ): Promise<AdmitReply> {
    const { raw, id } = await this.admitRaw(names, weight, mode, ticket, now);
    return normalReply(raw, id);
  }

  /**
   * Changes the admission `member` by `delta` (requests, tokens, cost in nanos) on every ruled
   * key of `names`: the keys it changed.
   */
  async adjust(
    names: readonly string[],
    member: string,
    delta: Weight,
    now: number,
  ): Promise<readonly string[]> {
    const ruled = names.filter((key) => this.rules.has(key));
    if (ruled.length === 0) return ruled;
    const keys: string[] = [];
    const args: (string | number)[] = [
      this.#nowArg(now),
      member,
      delta.requests,
      delta.tokens,
      delta.cost,
      this.#channelSpec,
    ];
    for (const key of ruled) {
      keys.push(`${this.base}l:${key}:h`, `${this.base}l:${key}:w`, `${this.base}l:${key}:q`);
      args.push(key, limitText(this.rules.get(key)!.windowMs));
    }
    await this.#call(this.#adjust, keys, args, 'lease adjustment');
    return ruled;
  }

  /** Exact sums of one ruled key: requests, tokens, cost in nanos. */
  usage(key: string, rule: RuleSpec, now: number): Promise<[string, string, string]> {
    return this.#call<[string, string, string]>(
      this.#usage,
      [`${this.base}l:${key}:h`, `${this.base}l:${key}:w`],
      [this.#nowArg(now), limitText(rule.windowMs)],
      'limiter usage',
    );
  }

  /** Pauses `key` for the given durations from now ('' leaves one as it is). */
  async observe(
    key: string,
    requestsPauseMs: number | '',
    tokensPauseMs: number | '',
    keepMs: number,
    now: number,
  ): Promise<void> {
    await this.#call(
      this.#observe,
      [`${this.base}l:${key}:h`],
      [requestsPauseMs, tokensPauseMs, keepMs, this.#nowArg(now)],
      'limiter observe',
    );
  }

  /** KEYS H, Q of each key: what the ticket scripts take. */
  #ticketKeys(names: readonly string[]): string[] {
    const keys: string[] = [];
    for (const key of names) keys.push(`${this.base}l:${key}:h`, `${this.base}l:${key}:q`);
    return keys;
  }

  /** Keeps a queued ticket alive for another ticket TTL. */
  async touch(ticket: string, names: readonly string[], now: number): Promise<void> {
    await this.#call(
      this.#touch,
      this.#ticketKeys(names),
      [ticket, this.#nowArg(now), this.ticketTtlMs],
      'limiter ticket refresh',
    );
  }

  /** Takes a ticket out of every queue it is in. */
  async leave(ticket: string, names: readonly string[]): Promise<void> {
    await this.#call(
      this.#leave,
      this.#ticketKeys(names),
      [ticket, this.#channelSpec, ...names],
      'limiter leave',
    );
  }
}
