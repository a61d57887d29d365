// How the store gets its writes onto disk: on the calling thread, or in a writer thread.
import type { Checkpointer } from './checkpointer.js';
import { rowsOf, type WriteOp, type Writes } from './writes.js';

/** Where the store's writes run. */
export interface Writer {
  /** Writes run on another thread: what is sent should be cheap to send. */
  readonly elsewhere: boolean;
  /** Resolves when `op` is committed; rejects with the driver's error (or a TroupeError). */
  write(op: WriteOp): Promise<void>;
  /** Commits `op` before returning, after every write posted before it. */
  writeSync(op: WriteOp): void;
  /** Resolves when every write posted so far is settled: reads then see them. */
  idle(): Promise<void>;
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

/** Writes on the calling thread, inside each call (`writer: 'inline'`). */
export class InlineWriter implements Writer {
  readonly elsewhere = false;
  readonly #writes: Writes;
  readonly #checkpointer: Checkpointer | undefined;
  readonly #checkpointInline: () => void;

  constructor(
    writes: Writes,
    checkpointer: Checkpointer | undefined,
    checkpointInline: () => void,
  ) {
    this.#writes = writes;
    this.#checkpointer = checkpointer;
    this.#checkpointInline = checkpointInline;
  }

  write(op: WriteOp): Promise<void> {
    try {
      this.writeSync(op);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve();
  }

  writeSync(op: WriteOp): void {
    this.#writes.apply(op);
    this.wrote(rowsOf(op));
  }

  /** Counts rows written on any connection, towards the checkpoint thread's next checkpoint. */
  wrote(rows: number): void {
    this.#checkpointer?.wrote(rows);
  }

  /** Checkpoints run in a thread of their own (`checkpoint: 'worker'`). */
  get checkpointsInThread(): boolean {
    return this.#checkpointer !== undefined;
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }

  checkpoint(): Promise<void> {
    if (this.#checkpointer !== undefined) return this.#checkpointer.checkpoint();
    this.#checkpointInline();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    // The worker's connection first: the last connection to close checkpoints the WAL fully.
    await this.#checkpointer?.close();
  }
}
