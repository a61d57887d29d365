import type { RunEnd } from '../agent/env.js';
import { inboxTopic, type MailEnvelope, USER_SENDER } from '../agent/mail.js';
import { failedResult } from '../agent/run.js';
import type { RunResult } from '../agent/run-result.js';
import type { BusBackend } from '../backend/interfaces.js';
import type { Clock } from '../clock.js';
import { abortedError, TroupeError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { TracedMessage } from '../tracing/team-tracer.js';
import { type AskWait, Replies, WaitGraph } from './replies.js';
import type { AskRequest } from './team-tools.js';

/** What the team's messaging needs. */
export interface MessagingDeps {
  readonly bus: BusBackend;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Whether the team has an agent of this name (in a distributed team, on any host). */
  exists(name: string): boolean | Promise<boolean>;
  /** The reply router (default: one of this process; a distributed team routes between hosts). */
  readonly replies?: Replies;
  /** With tracing on: the `traceparent` a message posted now carries (tracing/team-tracer.ts). */
  readonly traceContext?: (kind: TracedMessage, from: string) => string | undefined;
}

/**
 * Wakes `team.idle()` waiters: every delivery, run end, state change and restart notifies, and
 * each waiter then checks quiescence again.
 */
export class Activity {
  #waiters: (() => void)[] = [];

  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  notify(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * The team's messages with answers: `team.send` and `ask_agent` post a reply id with their
 * message and wait for the run that answers it; a handoff passes the waiters on. The wait-for
 * graph refuses an ask that closes a cycle (`ERR_DEADLOCK`).
 */
export class Messaging {
  readonly #deps: MessagingDeps;
  readonly replies: Replies;
  readonly waits = new WaitGraph();
  readonly activity = new Activity();
  /** Each agent's last completed answer. */
  readonly answers = new Map<string, string>();

  constructor(deps: MessagingDeps) {
    this.#deps = deps;
    this.replies = deps.replies ?? new Replies();
  }

  /** Posts `text` to `name`'s mailbox and resolves with the run that answers it. */
  async send(name: string, text: string, from: string = USER_SENDER): Promise<RunResult> {
    const id = this.#deps.ids.next('msg', 16);
    const answer = this.replies.expect(id);
    try {
      await this.#post(name, from, this.#envelope('send', id, text, from));
    } catch (error) {
      this.replies.drop(id);
      throw error;
    }
    return answer;
  }

  /** `ask_agent`: posts the task and waits for its answer, bounded by `timeoutMs`. */
  async ask(request: AskRequest, signal?: AbortSignal): Promise<RunResult> {
    const { from, to, task, timeoutMs } = request;
    const found = this.#deps.exists(to);
    // A local answer is synchronous: no extra tick before the wait-for graph sees the ask.
    if (!(typeof found === 'boolean' ? found : await found))
      throw new TroupeError('ERR_NOT_FOUND', `ERR_NOT_FOUND: no agent named "${to}" in the team`);
    signal?.throwIfAborted();
    this.waits.add(from, to); // throws ERR_DEADLOCK when it would close a cycle
    const wait: AskWait = { from, to };
    const id = this.#deps.ids.next('ask', 16);
    const answer = this.replies.expect(id, wait);
    try {
      await this.#post(to, from, this.#envelope('ask', id, task, from));
    } catch (error) {
      this.replies.drop(id);
      this.waits.remove(from, wait.to);
      throw error;
    }
    return this.#bounded(answer, wait, timeoutMs, signal);
  }

  /** A run ended: answer whoever awaits its mails, or pass them on with its handoff. */
  runEnded(name: string, end: RunEnd): void {
    const { result, mails, handoff } = end;
    if (result.status === 'completed') this.answers.set(name, result.text);
    const ids: string[] = [];
    for (const mail of mails) if (mail.id !== undefined) ids.push(mail.id);
    if (handoff === undefined) {
      if (ids.length > 0) this.replies.settle(ids, result);
    } else this.#handOff(name, handoff.to, handoff.message, ids, result);
    this.activity.notify();
  }

  #handOff(from: string, to: string, text: string, ids: string[], result: RunResult): void {
    const id = this.#deps.ids.next('handoff', 16);
    const asks = this.replies.forward(ids, id);
    for (const ask of asks) {
      this.waits.remove(ask.from, ask.to);
      try {
        this.waits.add(ask.from, to);
        ask.to = to;
      } catch (error) {
        // Passing the question to the asker (or its waiters) could never be answered.
        const { message } = error as TroupeError;
        this.replies.settleAsk(ask, failedResult(to, 'ERR_DEADLOCK', message));
      }
    }
    this.#post(to, from, this.#envelope('handoff', id, text, from)).catch((error: unknown) => {
      // The task could not be passed on: whoever awaited it gets the handing-off run's end.
      this.replies.settle([id], {
        ...result,
        status: 'failed',
        error: {
          code: error instanceof TroupeError ? error.code : 'ERR_INTERNAL',
          message: `handoff to "${to}" failed: ${error instanceof Error ? error.message : String(error)}`,
        },
      });
    });
  }

  /** The message's body, with the sender's trace context while the team traces. */
  #envelope(kind: MailEnvelope['kind'], id: string, text: string, from: string): MailEnvelope {
    const trace = this.#deps.traceContext?.(kind, from);
    return trace === undefined ? { kind, id, text } : { kind, id, text, trace };
  }

  #post(to: string, from: string, body: MailEnvelope): Promise<{ seq: number }> {
    return this.#deps.bus.post(inboxTopic(to), { from, body });
  }

  #bounded(
    answer: Promise<RunResult>,
    wait: AskWait,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<RunResult> {
    const { clock } = this.#deps;
    return new Promise<RunResult>((resolve, reject) => {
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waits.remove(wait.from, wait.to);
        return true;
      };
      const giveUp = (error: TroupeError): void => {
        if (!finish()) return;
        this.replies.dropAsk(wait);
        reject(error);
      };
      const timer = clock.setTimeout(
        () =>
          giveUp(
            new TroupeError(
              'ERR_TIMEOUT',
              `ERR_TIMEOUT: ${wait.to} did not answer within ${timeoutMs} ms`,
              { details: { agent: wait.to, timeoutMs } },
            ),
          ),
        timeoutMs,
      );
      const onAbort = (): void => giveUp(abortedError(signal?.reason, 'ask_agent'));
      signal?.addEventListener('abort', onAbort, { once: true });
      answer.then((result) => {
        if (finish()) resolve(result);
      });
    });
  }
}
