import type { RunResult } from '../../agent/run-result.js';
import type {
  AcquireOptions,
  AcquireResult,
  BusBackend,
  Lease,
  LimiterBackend,
  LimiterUsage,
  Message,
  RateLimitFeedback,
  SharedStateBackend,
  TryAcquireOptions,
  WaitOptions,
} from '../../backend/interfaces.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { abortedError, type TroupeError } from '../../errors.js';
import type { TeamMember, TeamToolServices } from '../../team/team-tools.js';
import { fromWire, type Msg, type Outbox, type ReplyMsg, type Service } from './protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * The worker team's side of service calls: each call is a message in the next batch and a promise
 * settled by the coordinator's reply. An aborted call rejects at once and tells the coordinator.
 */
export class RpcClient {
  readonly #outbox: Outbox;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  constructor(outbox: Outbox) {
    this.#outbox = outbox;
  }

  call<T>(svc: Service, method: string, args: unknown[], signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortedError(signal, `${svc}.${method}`));
    const rid = ++this.#nextId;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#pending.delete(rid)) return;
        this.#outbox.push({ t: 'abort', rid });
        reject(abortedError(signal, `${svc}.${method}`));
      };
      this.#pending.set(rid, {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value as T);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#outbox.push(
        signal === undefined
          ? { t: 'call', rid, svc, method, args }
          : { t: 'call', rid, svc, method, args, abortable: true },
      );
    });
  }

  /** A fire-and-forget message (lease settlements, observations). */
  tell(msg: Msg): void {
    this.#outbox.push(msg);
  }

  reply(msg: ReplyMsg): void {
    const pending = this.#pending.get(msg.rid);
    if (pending === undefined) return;
    this.#pending.delete(msg.rid);
    if (msg.t === 'ok') pending.resolve(msg.value);
    else pending.reject(fromWire(msg.error));
  }

  /** Rejects every pending call (the worker team is closing). */
  failAll(error: TroupeError): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

const stripSignal = <T extends { signal?: AbortSignal }>(
  options: T | undefined,
): Omit<T, 'signal'> | undefined => {
  if (options === undefined) return undefined;
  const { signal: _signal, ...rest } = options;
  return rest;
};

/** The shared state, reached over the port. */
export function remoteState(rpc: RpcClient): SharedStateBackend {
  const call = <T>(method: string, ...args: unknown[]) => rpc.call<T>('state', method, args);
  return {
    claim: (request) => call('claim', request),
    release: (agent, resource) => call('release', agent, resource),
    renew: (agent, resource, ttlMs) => call('renew', agent, resource, ttlMs),
    claims: (query) => call('claims', query),
    discover: (entry) => call('discover', entry),
    discoveries: (query) => call('discoveries', query),
    close: async () => {},
  };
}

/** The bus, reached over the port; `wait` aborts across the thread boundary. */
export function remoteBus(rpc: RpcClient): BusBackend {
  return {
    post: (topic, message) => rpc.call('bus', 'post', [topic, message]),
    read: (topic, options) => rpc.call('bus', 'read', [topic, options]),
    wait: <T>(topic: string, options?: WaitOptions) =>
      rpc.call<Message<T>[]>('bus', 'wait', [topic, stripSignal(options)], options?.signal),
    close: async () => {},
  };
}

interface WireLease {
  readonly id: number;
  readonly keys: readonly string[];
  readonly admittedAt: number;
}

/** The team limiter, reached over the port. Leases settle with a message, no reply awaited. */
export function remoteLimiter(rpc: RpcClient): LimiterBackend {
  const lease = (wire: WireLease): Lease => {
    let done = false;
    return {
      keys: wire.keys,
      admittedAt: wire.admittedAt,
      settle(actual) {
        if (done) return;
        done = true;
        rpc.tell({ t: 'lease', id: wire.id, op: 'settle', actual });
      },
      cancel() {
        if (done) return;
        done = true;
        rpc.tell({ t: 'lease', id: wire.id, op: 'cancel' });
      },
    };
  };
  type WireResult = { ok: true; lease: WireLease } | Exclude<AcquireResult, { ok: true }>;
  return {
    async tryAcquire(keys, options?: TryAcquireOptions): Promise<AcquireResult> {
      const result = await rpc.call<WireResult>('limiter', 'tryAcquire', [keys, options]);
      return result.ok ? { ok: true, lease: lease(result.lease) } : result;
    },
    async acquire(keys, options?: AcquireOptions): Promise<Lease> {
      return lease(
        await rpc.call<WireLease>(
          'limiter',
          'acquire',
          [keys, stripSignal(options)],
          options?.signal,
        ),
      );
    },
    usage: (key) => rpc.call<LimiterUsage>('limiter', 'usage', [key]),
    observe(key: string, feedback: RateLimitFeedback) {
      return rpc.call<void>('limiter', 'observe', [key, feedback]);
    },
    close: async () => {},
  };
}

/** The roster for `list_team`. */
/** The coordinator's team services a worker's team tools reach: who exists, and asks. */
export function remoteTeam(rpc: RpcClient): Pick<TeamToolServices, 'exists' | 'ask'> {
  return {
    exists: (name) => rpc.call<boolean>('team', 'exists', [name]),
    ask: (request, signal) => rpc.call<RunResult>('team', 'ask', [request], signal),
  };
}

export function remoteRoster(rpc: RpcClient): () => Promise<TeamMember[]> {
  return () => rpc.call<TeamMember[]>('roster', 'roster', []);
}

/**
 * The coordinator's clock in a worker. `now()` is the coordinator's time as of the last batch
 * (exact for a simulated clock: it only moves when the coordinator moves it); each timer is set
 * on the coordinator's clock and fires here when that one fires. A timer set and cleared within
 * one batch never leaves the worker.
 */
export class RemoteClock implements Clock {
  #now: number;
  #nextId = 0;
  readonly #timers = new Map<number, () => void>();
  /** Timers set since the last batch: id -> delay. Sent at flush unless cleared before. */
  readonly #unsent = new Map<number, number>();
  readonly #outbox: Outbox;

  constructor(outbox: Outbox, now: number) {
    this.#outbox = outbox;
    this.#now = now;
    outbox.beforeFlush(() => {
      for (const [id, ms] of this.#unsent) outbox.push({ t: 'timer.set', id, ms });
      this.#unsent.clear();
    });
  }

  now(): number {
    return this.#now;
  }

  advanceTo(now: number): void {
    if (now > this.#now) this.#now = now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#nextId;
    this.#timers.set(id, fn);
    this.#unsent.set(id, ms);
    this.#outbox.schedule();
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number }).id;
    if (id === undefined || !this.#timers.delete(id)) return;
    // Set and cleared within one batch (a fast tool's timeout): the coordinator never hears of it.
    if (!this.#unsent.delete(id)) this.#outbox.push({ t: 'timer.clear', id });
  }

  fire(id: number, at: number): void {
    const fn = this.#timers.get(id);
    if (fn === undefined) return;
    this.#timers.delete(id);
    this.advanceTo(at);
    fn();
  }
}
