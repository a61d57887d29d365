import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { RunEnd } from '../../agent/env.js';
import type {
  AcquireResult,
  BusBackend,
  Lease,
  LimiterBackend,
  SharedStateBackend,
} from '../../backend/interfaces.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { TroupeError } from '../../errors.js';
import type { AgentState, EventSink } from '../../events/team-events.js';
import type { AskRequest, TeamMember, TeamToolServices } from '../../team/team-tools.js';
import type { TurnRecord } from '../types.js';
import type { AgentWorker, WorkerTeam } from './agent-worker.js';
import {
  type Batch,
  type DownMsg,
  fromWire,
  Outbox,
  type ReplyMsg,
  toWire,
  type UpMsg,
  type WorkerTeamInit,
} from './protocol.js';

/** What a worker team's channel serves and reports to, in the coordinator. */
export interface ChannelContext {
  readonly clock: Clock;
  readonly state: SharedStateBackend;
  readonly bus: BusBackend;
  readonly limiter: LimiterBackend;
  readonly events: EventSink;
  roster(): Promise<TeamMember[]>;
  /** Who exists and asks (`ask_agent`), served for the worker team's team tools. */
  readonly team: Pick<TeamToolServices, 'exists' | 'ask'>;
  onState(agent: string, state: AgentState): void;
  onRunEnd(agent: string, end: RunEnd): void;
  onTaken(agent: string, seq: number): void;
  onFailure(agent: string, error: TroupeError): void;
  readonly afterTurn: ((agent: string, record: TurnRecord) => void) | undefined;
  /** The worker team's worker died (exited, threw) or was stopped: its agents are gone. */
  onDeath(channel: TeamChannel, error: TroupeError): void;
  /** Called after every batch from any channel (wakes `settled()` waiters). */
  onActivity(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Request = DownMsg extends infer M
  ? M extends { rid: number }
    ? Omit<M, 'rid'>
    : never
  : never;

const STATE_METHODS = new Set(['claim', 'release', 'renew', 'claims', 'discover', 'discoveries']);
const BUS_METHODS = new Set(['post', 'read', 'wait']);

/**
 * The coordinator's end of one channel (a team's agents on one {@link AgentWorker}): requests to it
 * (spawn, send, ...), and the services it calls back (state, bus, limiter with leases by id,
 * clock timers, roster), all batched.
 */
export class TeamChannel implements WorkerTeam {
  readonly id: number;
  readonly worker: AgentWorker;
  readonly agents = new Set<string>();
  alive = true;
  readonly #ctx: ChannelContext;
  readonly #port: MessagePort;
  readonly #outbox: Outbox;
  readonly #pending = new Map<number, Pending>();
  readonly #timers = new Map<number, TimerHandle>();
  readonly #leases = new Map<number, Lease>();
  readonly #aborts = new Map<number, AbortController>();
  /** Resolves on the worker team's last batch (or its death): nothing more will come from it. */
  readonly #finished: Promise<void>;
  #finish!: () => void;
  #nextRid = 0;
  #nextLease = 0;
  #acked = 0;

  constructor(
    id: number,
    worker: AgentWorker,
    ctx: ChannelContext,
    init: Omit<WorkerTeamInit, 'port' | 'channelId' | 'now'>,
  ) {
    this.id = id;
    this.worker = worker;
    this.#ctx = ctx;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#outbox = new Outbox(port1, () => ctx.clock.now());
    this.#finished = new Promise<void>((resolve) => {
      this.#finish = resolve;
    });
    port1.on('message', (batch: Batch) => this.#onBatch(batch));
    const payload: WorkerTeamInit = { ...init, port: port2, channelId: id, now: ctx.clock.now() };
    worker.startTeam(this, payload);
  }

  workerGone(error: TroupeError): void {
    this.#die(error);
  }

  /** True when the channel has processed everything sent and nothing waits to be sent. */
  get quiet(): boolean {
    return !this.alive || (this.#outbox.pending === 0 && this.#acked === this.#outbox.sent);
  }

  request<T>(msg: Request, _agent: string): Promise<T> {
    if (!this.alive) {
      return Promise.reject(new TroupeError('ERR_INTERNAL', `pool channel ${this.id} is gone`));
    }
    const rid = ++this.#nextRid;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(rid, {
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.#outbox.push({ ...msg, rid } as DownMsg);
    });
  }

  tell(msg: DownMsg | ReplyMsg): void {
    if (this.alive) this.#outbox.push(msg);
  }

  /** Asks the channel to stop its agents and close; resolves on its last batch (or its death). */
  async close(): Promise<void> {
    if (this.alive) {
      this.#outbox.push({ t: 'close' });
      // The worker team's last batch (or its worker's death): the turn records of runs cancelled by the
      // close reach the saver first.
      await this.#finished;
    }
    this.alive = false;
    this.worker.endTeam(this);
    const closed = new TroupeError('ERR_CLOSED', 'the team is closed');
    for (const pending of this.#pending.values()) pending.reject(closed);
    this.#pending.clear();
    this.#release();
  }

  #onBatch(batch: Batch): void {
    this.#acked = batch.ack;
    const msgs = batch.msgs as readonly (UpMsg | ReplyMsg)[];
    for (let i = 0; i < msgs.length; i++) this.#handle(msgs[i]!);
    this.#ctx.onActivity();
  }

  #handle(msg: UpMsg | ReplyMsg): void {
    const ctx = this.#ctx;
    switch (msg.t) {
      case 'ok':
      case 'err': {
        const pending = this.#pending.get(msg.rid);
        if (pending === undefined) return;
        this.#pending.delete(msg.rid);
        if (msg.t === 'err') pending.reject(fromWire(msg.error));
        else pending.resolve(msg.value);
        return;
      }
      case 'ended':
        ctx.onRunEnd(msg.agent, msg.end);
        return;
      case 'taken':
        ctx.onTaken(msg.agent, msg.seq);
        return;
      case 'call':
        this.#serve(msg);
        return;
      case 'abort':
        this.#aborts.get(msg.rid)?.abort(new TroupeError('ERR_ABORTED', 'aborted by the agent'));
        return;
      case 'lease': {
        const lease = this.#leases.get(msg.id);
        if (lease === undefined) return;
        this.#leases.delete(msg.id);
        const done = msg.op === 'settle' ? lease.settle(msg.actual ?? {}) : lease.cancel();
        if (done instanceof Promise) done.catch(() => {});
        return;
      }
      case 'timer.set': {
        const { id } = msg;
        const handle = ctx.clock.setTimeout(() => {
          this.#timers.delete(id);
          this.tell({ t: 'timer', id, at: ctx.clock.now() });
        }, msg.ms);
        this.#timers.set(id, handle);
        return;
      }
      case 'timer.clear': {
        const handle = this.#timers.get(msg.id);
        if (handle === undefined) return;
        this.#timers.delete(msg.id);
        ctx.clock.clearTimeout(handle);
        return;
      }
      case 'state':
        ctx.onState(msg.agent, msg.state);
        return;
      case 'failure':
        ctx.onFailure(msg.agent, fromWire(msg.error));
        return;
      case 'event':
        ctx.events.emit(msg.event);
        return;
      case 'turn':
        ctx.afterTurn?.(msg.agent, msg.record);
        return;
      case 'closed':
        this.#finish();
        return;
    }
  }

  #serve(call: Extract<UpMsg, { t: 'call' }>): void {
    const { rid } = call;
    let signal: AbortSignal | undefined;
    if (call.abortable) {
      const controller = new AbortController();
      this.#aborts.set(rid, controller);
      signal = controller.signal;
    }
    let work: unknown;
    try {
      work = this.#dispatch(call, signal);
    } catch (error) {
      this.tell({ t: 'err', rid, error: toWire(error) });
      return;
    }
    if (!(work instanceof Promise)) {
      // An in-memory service answered synchronously (a limiter admission): reply in this batch.
      if (signal !== undefined) this.#aborts.delete(rid);
      this.tell({ t: 'ok', rid, value: work });
      return;
    }
    work.then(
      (value) => {
        if (signal !== undefined) this.#aborts.delete(rid);
        this.tell({ t: 'ok', rid, value });
      },
      (error: unknown) => {
        if (signal !== undefined) this.#aborts.delete(rid);
        this.tell({ t: 'err', rid, error: toWire(error) });
      },
    );
  }

  #dispatch(call: Extract<UpMsg, { t: 'call' }>, signal: AbortSignal | undefined): unknown {
    const { svc, method, args } = call;
    const ctx = this.#ctx;
    const withSignal = (options: unknown) =>
      signal === undefined ? options : { ...(options as object), signal };
    switch (svc) {
      case 'state':
        if (!STATE_METHODS.has(method)) break;
        return (ctx.state as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(
          ...args,
        );
      case 'bus':
        if (!BUS_METHODS.has(method)) break;
        if (method === 'wait')
          return ctx.bus.wait(
            args[0] as string,
            withSignal(args[1]) as Parameters<BusBackend['wait']>[1],
          );
        return (ctx.bus as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(
          ...args,
        );
      case 'limiter':
        return this.#limiter(method, args, withSignal);
      case 'roster':
        return ctx.roster();
      case 'team':
        if (method === 'exists') return ctx.team.exists(args[0] as string);
        if (method === 'ask') return ctx.team.ask(args[0] as AskRequest, signal);
        break;
    }
    throw new TroupeError('ERR_INVALID_ARGUMENT', `unknown service call ${svc}.${method}`);
  }

  #limiter(method: string, args: unknown[], withSignal: (o: unknown) => unknown): unknown {
    const limiter = this.#ctx.limiter;
    const keys = args[0] as string | string[];
    const wire = (lease: Lease) => {
      const id = ++this.#nextLease;
      this.#leases.set(id, lease);
      return { id, keys: lease.keys, admittedAt: lease.admittedAt };
    };
    switch (method) {
      case 'tryAcquire': {
        const toWire = (result: AcquireResult) =>
          result.ok ? { ok: true, lease: wire(result.lease) } : result;
        const result = limiter.tryAcquire(
          keys,
          args[1] as Parameters<LimiterBackend['tryAcquire']>[1],
        );
        return result instanceof Promise ? result.then(toWire) : toWire(result);
      }
      case 'acquire':
        return limiter
          .acquire(keys, withSignal(args[1]) as Parameters<LimiterBackend['acquire']>[1])
          .then(wire);
      case 'usage':
        return limiter.usage(args[0] as string);
      case 'observe':
        return limiter.observe(
          args[0] as string,
          args[1] as Parameters<LimiterBackend['observe']>[1],
        );
    }
    throw new TroupeError('ERR_INVALID_ARGUMENT', `unknown limiter call ${method}`);
  }

  #die(error: TroupeError): void {
    if (!this.alive) return;
    this.alive = false;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#release();
    this.#finish();
    this.#ctx.onDeath(this, error);
    this.#ctx.onActivity();
  }

  /** Gives back what the channel held in the coordinator: timers, leases, waits. */
  #release(): void {
    for (const handle of this.#timers.values()) this.#ctx.clock.clearTimeout(handle);
    this.#timers.clear();
    for (const lease of this.#leases.values()) {
      const done = lease.cancel();
      if (done instanceof Promise) done.catch(() => {});
    }
    this.#leases.clear();
    for (const controller of this.#aborts.values())
      controller.abort(new TroupeError('ERR_CLOSED', 'pool channel closed'));
    this.#aborts.clear();
    this.#outbox.close();
    this.#port.close();
  }
}
