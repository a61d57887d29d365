import type { MessagePort } from 'node:worker_threads';
import type { ApprovalDecision } from '../../agent/approval-record.js';
import type { RunEnd } from '../../agent/env.js';
import type { WhenBusy } from '../../agent/machine.js';
import type { Mail } from '../../agent/mail.js';
import { type ErrorCode, isTroupeError, TroupeError } from '../../errors.js';
import type { AgentState, TeamEvent } from '../../events/team-events.js';
import type { RestoredSession } from '../../session/resume.js';
import type { Role } from '../../tools/tool-set.js';
import type { AgentDefaults } from '../inline.js';
import type { AgentModuleRef, TurnRecord } from '../types.js';

/**
 * The coordinator <-> worker-team protocol. Each side sends arrays of small messages, batched per
 * event-loop turn (one postMessage per turn, not per message: a cross-thread hop costs ~100 µs
 * alone, a message in a batch well under 1 µs). `now` is the coordinator clock when sent; `ack`
 * is the last batch the sender has fully processed (the coordinator's quiescence check).
 */
export interface Batch {
  readonly seq: number;
  readonly ack: number;
  readonly now: number;
  readonly msgs: readonly Msg[];
}

/** An error as it crosses threads. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** Services a worker team reaches in the coordinator. */
export type Service = 'state' | 'bus' | 'limiter' | 'roster' | 'team';

/** Coordinator -> worker team. */
export type DownMsg =
  | {
      readonly t: 'spawn';
      readonly rid: number;
      readonly name: string;
      readonly source: AgentModuleRef;
      readonly role: Role | undefined;
      readonly whenBusy: WhenBusy | undefined;
      readonly leaseTimeoutMs: number | undefined;
    }
  | { readonly t: 'deliver'; readonly agent: string; readonly mails: readonly Mail[] }
  | {
      readonly t: 'cancel' | 'restart' | 'stop' | 'history' | 'context' | 'derived';
      readonly rid: number;
      readonly agent: string;
    }
  | {
      readonly t: 'restore';
      readonly rid: number;
      readonly agent: string;
      readonly session: RestoredSession;
    }
  | {
      readonly t: 'cursor';
      readonly rid: number;
      readonly agent: string;
      readonly rebase: number | undefined;
    }
  | { readonly t: 'markFailed'; readonly agent: string }
  /** `team.approve` / `team.reject`: carried out in the agent's worker (`ok`, or the error). */
  | {
      readonly t: 'decide';
      readonly rid: number;
      readonly agent: string;
      readonly runId: string;
      readonly callId: string;
      readonly decision: ApprovalDecision;
    }
  | { readonly t: 'timer'; readonly id: number; readonly at: number }
  /** The event types the coordinator's listeners take (`'*'`: all); worker teams build only these. */
  | { readonly t: 'events'; readonly types: readonly string[] }
  | { readonly t: 'close' };

/** Worker team -> coordinator. */
export type UpMsg =
  | {
      readonly t: 'call';
      readonly rid: number;
      readonly svc: Service;
      readonly method: string;
      readonly args: unknown[];
      readonly abortable?: boolean;
    }
  | { readonly t: 'abort'; readonly rid: number }
  | {
      readonly t: 'lease';
      readonly id: number;
      readonly op: 'settle' | 'cancel';
      readonly actual?: { tokens?: number; costUsd?: number };
    }
  | { readonly t: 'timer.set'; readonly id: number; readonly ms: number }
  | { readonly t: 'timer.clear'; readonly id: number }
  | { readonly t: 'state'; readonly agent: string; readonly state: AgentState }
  | { readonly t: 'failure'; readonly agent: string; readonly error: WireError }
  | { readonly t: 'event'; readonly event: TeamEvent }
  | { readonly t: 'turn'; readonly agent: string; readonly record: TurnRecord }
  /** The worker team's last batch: everything it had to say (turn records of cancelled runs) is in. */
  | { readonly t: 'closed' }
  | { readonly t: 'ended'; readonly agent: string; readonly end: RunEnd }
  | { readonly t: 'taken'; readonly agent: string; readonly seq: number };

/** A reply to a request (`rid`), either way. */
export type ReplyMsg =
  | { readonly t: 'ok'; readonly rid: number; readonly value: unknown }
  | { readonly t: 'err'; readonly rid: number; readonly error: WireError };

export type Msg = DownMsg | UpMsg | ReplyMsg;

/** Coordinator -> a worker thread (on its own port): start a worker team. `init.port` is transferred. */
export type WorkerMsg = { readonly t: 'team'; readonly init: WorkerTeamInit };

/** What a worker team is started with. */
export interface WorkerTeamInit {
  readonly port: MessagePort;
  readonly channelId: number;
  /** `system` runs timers in the worker; `remote` proxies every timer to the coordinator's clock. */
  readonly clock: 'system' | 'remote';
  readonly now: number;
  /** The event types wanted when the worker team starts (see the `events` message). */
  readonly eventTypes: readonly string[];
  readonly persist: boolean;
  readonly limiterKeys: readonly string[] | undefined;
  readonly defaults: AgentDefaults | undefined;
}

export function toWire(error: unknown): WireError {
  if (isTroupeError(error)) {
    return error.details === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, details: { ...error.details } };
  }
  return { code: 'ERR_INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

export function fromWire(error: WireError): TroupeError {
  return new TroupeError(
    error.code,
    error.message,
    error.details === undefined ? {} : { details: error.details },
  );
}

/**
 * Collects messages and posts them as one batch on the next event-loop turn (setImmediate runs
 * after the current microtasks, so a whole burst of promise continuations shares one post).
 */
export class Outbox {
  readonly #port: MessagePort;
  readonly #now: () => number;
  #msgs: Msg[] = [];
  #scheduled = false;
  #seq = 0;
  /** Last batch received and processed: sent back as `ack`. */
  received = 0;
  #closed = false;
  readonly #hooks: (() => void)[] = [];

  constructor(port: MessagePort, now: () => number) {
    this.#port = port;
    this.#now = now;
  }

  get sent(): number {
    return this.#seq;
  }

  get pending(): number {
    return this.#msgs.length;
  }

  push(msg: Msg): void {
    this.#msgs.push(msg);
    if (!this.#scheduled) this.schedule();
  }

  /** Runs `hook` at the start of every flush (to add messages held back until then). */
  beforeFlush(hook: () => void): void {
    this.#hooks.push(hook);
  }

  /** Ensures a post this turn even with no messages (so the `ack` goes out). */
  schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.#closed) return;
    for (const hook of this.#hooks) hook();
    this.#scheduled = false;
    const msgs = this.#msgs;
    this.#msgs = [];
    const batch: Batch = { seq: ++this.#seq, ack: this.received, now: this.#now(), msgs };
    this.#port.postMessage(batch);
  }

  close(): void {
    this.#closed = true;
  }
}
