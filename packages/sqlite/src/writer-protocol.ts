// Messages between the store (main thread) and its writer thread.
import type { WriteOp } from './writes.js';

/** What the writer thread starts with. */
export interface WriterInit {
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly synchronous: 'NORMAL' | 'FULL';
  /** How deep log data given as JSON text may nest (`MAX_JSON_DEPTH`). */
  readonly maxJsonDepth: number;
  /** SQLite's auto-checkpoint threshold on the writer's connection, in pages. */
  readonly autoCheckpointPages: number;
  /** One BigInt64: the id of the last request settled (committed or refused). */
  readonly settled: SharedArrayBuffer;
}

/** A request, numbered from 1 in the order it was posted. */
export type WriterRequest =
  | { readonly id: number; readonly op: WriteOp }
  | { readonly id: number; readonly checkpoint: true }
  /** Commit everything before it now (a synchronous write waits on it). */
  | { readonly id: number; readonly flush: true }
  | { readonly id: number; readonly close: true };

/** Why one write was refused or failed. */
export interface WriteFailure {
  readonly message: string;
  /** The driver's error code (`SQLITE_FULL`, ...), when it had one. */
  readonly sqliteCode?: string;
  /** Log data text the store refuses (see `InvalidLogText`). */
  readonly invalid?: true;
  /** A history append past the end (see `HistoryGap`). */
  readonly gap?: {
    readonly sessionId: string;
    readonly fromIndex: number;
    readonly length: number;
  };
}

/** Every request up to `through` is settled; those in `failures` did not commit. */
export interface WriterReply {
  readonly through: number;
  readonly failures: readonly { readonly id: number; readonly error: WriteFailure }[];
}
