import { Worker } from 'node:worker_threads';
import { threadUrl } from './thread-url.js';

/**
 * Runs WAL checkpoints on a second connection in a worker thread. A checkpoint copies the WAL
 * into the database file and fsyncs it (25-45 ms here, measured): done by the writing
 * connection, as SQLite's auto-checkpoint does, that would stall the event loop every ~4 MB of
 * writes. The store asks for one every `everyRows` rows written; at most one runs at a time.
 */
export class Checkpointer {
  readonly #worker: Worker;
  readonly #everyRows: number;
  #rows = 0;
  #running = false;
  /** Resolved when the running checkpoint ends. */
  #waiters: (() => void)[] = [];
  /** Asked for while one ran: they get the next checkpoint, which covers their writes. */
  #next: (() => void)[] = [];
  #closed = false;

  constructor(path: string, busyTimeoutMs: number, everyRows: number) {
    this.#everyRows = everyRows;
    // None of the parent's Node options: the thread runs one built file.
    this.#worker = new Worker(threadUrl('checkpoint-worker.js'), {
      workerData: { path, busyTimeoutMs },
      execArgv: [],
    });
    // A failed checkpoint (a busy database, say) needs no handling: the next request retries.
    this.#worker.on('message', () => {
      this.#running = false;
      const waiters = this.#waiters;
      this.#waiters = this.#next;
      this.#next = [];
      for (const resolve of waiters) resolve();
      if (this.#waiters.length > 0 && !this.#closed) this.#request();
      else if (!this.#closed) this.#worker.unref();
    });
    // A dead worker only means checkpoints fall back to SQLite's own (see the store).
    this.#worker.on('error', () => {
      this.#closed = true;
      this.#release();
    });
    // Never what keeps a process alive. After the listeners: adding a 'message' listener to a
    // worker refs it again.
    this.#worker.unref();
  }

  /** Counts rows written; past `everyRows`, asks the worker for a checkpoint. */
  wrote(rows: number): void {
    this.#rows += rows;
    if (this.#rows >= this.#everyRows && !this.#running && !this.#closed) this.#request();
  }

  /** A checkpoint now; resolves when it is done (or the worker is gone). */
  checkpoint(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    // Someone awaits this one: the worker keeps the process alive until it answers.
    this.#worker.ref();
    return new Promise((resolve) => {
      if (this.#running) {
        this.#next.push(resolve);
      } else {
        this.#waiters.push(resolve);
        this.#request();
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    // Held until it exits: an unref'd worker would let the loop empty with close() pending.
    this.#worker.ref();
    this.#worker.postMessage('close');
    await exited;
    this.#release();
  }

  #request(): void {
    this.#rows = 0;
    this.#running = true;
    this.#worker.postMessage('checkpoint');
  }

  #release(): void {
    const waiters = [...this.#waiters, ...this.#next];
    this.#waiters = [];
    this.#next = [];
    for (const resolve of waiters) resolve();
  }
}
