// The store's writes in a writer thread: the main thread validates and serializes, posts, and
// goes on; the thread commits and answers. Reads and synchronous writes stay on the main
// thread's own connection, after the thread has settled everything posted before them.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { TroupeError } from '@troupe/core';
import { InvalidLogText } from './log-pack.js';
import { threadUrl } from './thread-url.js';
import type { InlineWriter, Writer } from './writer.js';
import type { WriteFailure, WriterInit, WriterReply, WriterRequest } from './writer-protocol.js';
import { HistoryGap, rowsOf, type WriteOp } from './writes.js';

interface Pending {
  /** The write, kept until answered: should the thread die first, it runs here instead. */
  readonly op: WriteOp | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/** Writes in a worker thread (`writer: 'worker'`, the default for files). */
export class WorkerWriter implements Writer {
  readonly elsewhere = true;
  readonly #worker: Worker;
  readonly #settled: BigInt64Array;
  /** Writes on the main thread's connection: synchronous ones, and all once the thread is gone. */
  readonly #main: InlineWriter;
  readonly #syncTimeoutMs: number;
  #nextId = 1;
  #settledThrough = 0;
  readonly #pending = new Map<number, Pending>();
  /** The thread is gone (closed, or died): writes run on the main connection. */
  #gone = false;
  #closing = false;
  readonly #exited: Promise<void>;
  /** Requests made in this turn of the event loop, posted together at its end. */
  #outbox: WriterRequest[] = [];

  /** `main` writes on the main connection and owns the checkpoint thread, if there is one. */
  constructor(init: Omit<WriterInit, 'settled'>, main: InlineWriter) {
    this.#main = main;
    // A synchronous write waits for the thread as long as it would wait for a lock.
    this.#syncTimeoutMs = Math.max(1_000, init.busyTimeoutMs);
    const settled = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
    this.#settled = new BigInt64Array(settled);
    this.#worker = new Worker(threadUrl('writer-worker.js'), {
      workerData: { ...init, settled } satisfies WriterInit,
      // None of the parent's Node options: the thread runs one built file (and options such as
      // --input-type would stop it from starting).
      execArgv: [],
    });
    this.#worker.on('message', (reply: WriterReply) => this.#settle(reply));
    let thrown: unknown;
    this.#worker.on('error', (error) => {
      thrown = error;
    });
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', () => {
        this.#takeOver(thrown);
        resolve();
      });
    });
    // Held only while writes are pending: an idle store never keeps a process alive. After the
    // listeners: adding a 'message' listener to a worker refs it again.
    this.#worker.unref();
  }

  write(op: WriteOp): Promise<void> {
    if (this.#gone) return this.#main.write(op);
    const written = this.#post((id) => ({ id, op }));
    // Counted when asked for: the checkpoint that follows covers what is committed by then.
    this.#main.wrote(rowsOf(op));
    return written;
  }

  writeSync(op: WriteOp): void {
    // Rows keep their order: what was asked for before commits first, at once.
    if (!this.#gone && Number(Atomics.load(this.#settled, 0)) < this.#nextId - 1) {
      this.#outbox.push({ id: this.#nextId++, flush: true });
      this.#send();
      this.#waitSettled(this.#nextId - 1);
    }
    this.#main.writeSync(op);
  }

  idle(): Promise<void> {
    if (this.#settledThrough >= this.#nextId - 1 || this.#gone) {
      return Promise.resolve();
    }
    // A read waits for the writes called before it: the thread answers this marker once they
    // are settled. Never fails: should the thread be gone, the read runs on what is on disk.
    return this.#post((id) => ({ id, flush: true })).catch(() => undefined);
  }

  async checkpoint(): Promise<void> {
    if (!this.#main.checkpointsInThread && !this.#gone) {
      return this.#post((id) => ({ id, checkpoint: true }));
    }
    await this.idle();
    return this.#main.checkpoint();
  }

  async close(): Promise<void> {
    if (!this.#gone && !this.#closing) {
      this.#closing = true;
      // Held until it exits: an unref'd thread would let the loop empty with close() pending.
      this.#worker.ref();
      // Last in line: every write asked for before is committed when the thread closes.
      this.#outbox.push({ id: this.#nextId++, close: true });
      this.#send();
    }
    await this.#exited;
    // Stops the checkpoint thread: its connection closes before the main one, the last to
    // close, which checkpoints the WAL fully.
    await this.#main.close();
  }

  #post(request: (id: number) => WriterRequest): Promise<void> {
    const id = this.#nextId++;
    if (this.#pending.size === 0) this.#worker.ref();
    const message = request(id);
    const promise = new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { op: 'op' in message ? message.op : undefined, resolve, reject });
    });
    if (this.#outbox.length === 0) queueMicrotask(() => this.#send());
    this.#outbox.push(message);
    return promise;
  }

  /** Posts the outbox: one message for all the requests of a turn. */
  #send(): void {
    if (this.#outbox.length === 0 || this.#gone) return;
    const requests = this.#outbox;
    this.#outbox = [];
    this.#worker.postMessage(requests);
  }

  /** Blocks until the thread has settled request `id`, for at most the sync timeout. */
  #waitSettled(id: number): void {
    const deadline = performance.now() + this.#syncTimeoutMs;
    for (;;) {
      const seen = Atomics.load(this.#settled, 0);
      if (Number(seen) >= id || this.#gone) return;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new TroupeError(
          'ERR_BACKEND_UNAVAILABLE',
          `the SQLite writer thread did not commit earlier writes within ${this.#syncTimeoutMs} ms`,
          { details: { timeoutMs: this.#syncTimeoutMs } },
        );
      }
      Atomics.wait(this.#settled, 0, seen, left);
    }
  }

  #settle({ through, failures }: WriterReply): void {
    const failed = new Map(failures.map((failure) => [failure.id, failure.error]));
    for (let id = this.#settledThrough + 1; id <= through; id++) {
      const pending = this.#pending.get(id);
      if (pending === undefined) continue;
      this.#pending.delete(id);
      const failure = failed.get(id);
      if (failure === undefined) pending.resolve();
      else pending.reject(toError(failure));
    }
    this.#settledThrough = through;
    if (this.#pending.size === 0 && !this.#closing) this.#worker.unref();
  }

  /**
   * The thread is gone (closed, or died: `thrown` says why). What it committed is done; what it
   * had not committed runs on the main connection, in order; so do all later writes.
   */
  #takeOver(thrown: unknown): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#outbox = [];
    const committed = Number(Atomics.load(this.#settled, 0));
    const pending = [...this.#pending].sort(([a], [b]) => a - b);
    this.#pending.clear();
    for (const [id, { op, resolve, reject }] of pending) {
      if (id <= committed || op === undefined) {
        resolve();
        continue;
      }
      try {
        this.#main.writeSync(op);
        resolve();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error), { cause: thrown }));
      }
    }
  }
}

function toError(failure: WriteFailure): Error {
  if (failure.gap !== undefined) {
    const { sessionId, fromIndex, length } = failure.gap;
    return new HistoryGap(sessionId, fromIndex, length);
  }
  if (failure.invalid === true) return new InvalidLogText(failure.message);
  const error = new Error(failure.message);
  if (failure.sqliteCode !== undefined) Object.assign(error, { code: failure.sqliteCode });
  return error;
}
