// The store's writes against one connection: the same code runs on the main thread (inline
// writer, synchronous writes) and in the writer thread. Input arrives validated and serialized.
import type Database from 'better-sqlite3';
import { type PackedEntries, unpackEntries } from './log-pack.js';
import { LogWriter } from './log-writer.js';
import { prepareStatements, type Statements } from './statements.js';

/** One write, validated and serialized by the store: plain data, so it can cross threads. */
export type WriteOp =
  | {
      readonly kind: 'log';
      /** Flat rows: session id, type, at, data JSON (four parameters a row). */
      readonly params: unknown[];
    }
  | {
      /** Log entries as a few strings: what crosses to the writer thread. */
      readonly kind: 'packedLog';
      readonly packed: PackedEntries;
    }
  | {
      readonly kind: 'history';
      readonly sessionId: string;
      readonly fromIndex: number;
      /** Each message as JSON. */
      readonly texts: readonly string[];
    }
  | {
      readonly kind: 'snapshot';
      readonly sessionId: string;
      readonly version: number;
      readonly revision: number;
      readonly body: string;
    };

/** Rows a write adds (for checkpoint pacing). */
export function rowsOf(op: WriteOp): number {
  if (op.kind === 'log') return op.params.length / 4;
  if (op.kind === 'packedLog') return op.packed.rows;
  if (op.kind === 'history') return op.texts.length;
  return 1;
}

/** A history append that would leave a hole: refused, nothing written. */
export class HistoryGap extends Error {
  constructor(
    readonly sessionId: string,
    readonly fromIndex: number,
    readonly length: number,
  ) {
    super(`history of ${sessionId} has ${length} messages; cannot append at ${fromIndex}`);
  }
}

/** Applies {@link WriteOp}s on one connection, each atomically. */
export class Writes {
  readonly #statements: Statements;
  readonly #log: LogWriter;
  readonly #history: Database.Transaction<
    (sessionId: string, fromIndex: number, texts: readonly string[]) => void
  >;

  readonly #maxDepth: number;

  /** `maxDepth`: how deep log data given as JSON text may nest (`MAX_JSON_DEPTH`). */
  constructor(db: Database.Database, maxDepth: number) {
    this.#maxDepth = maxDepth;
    this.#statements = prepareStatements(db);
    this.#log = new LogWriter(db, this.#statements);
    this.#history = db.transaction(
      (sessionId: string, fromIndex: number, texts: readonly string[]) =>
        this.#insertMessages(sessionId, fromIndex, texts),
    );
  }

  /** The connection's statements, for the store's reads. */
  get statements(): Statements {
    return this.#statements;
  }

  /** A session's log ref, if it has written a log line (on any connection). */
  knownRef(sessionId: string): number | undefined {
    return this.#log.knownRef(sessionId);
  }

  /**
   * Writes `op` in one transaction (a savepoint, when called inside one). Throws
   * {@link HistoryGap} for a history append past the end, `InvalidLogText` for log data text
   * that is not JSON, or the driver's error.
   */
  apply(op: WriteOp): void {
    if (op.kind === 'log') {
      if (op.params.length > 0) this.#log.append(op.params);
    } else if (op.kind === 'packedLog') {
      if (op.packed.rows > 0) this.#log.append(unpackEntries(op.packed, this.#maxDepth));
    } else if (op.kind === 'history') {
      this.#history(op.sessionId, op.fromIndex, op.texts);
    } else {
      this.#statements.upsertSnapshot.run(op.sessionId, op.version, op.revision, op.body);
    }
  }

  /** An enclosing transaction rolled back: session refs it inserted are gone. */
  rolledBack(): void {
    this.#log.forgetRefs();
  }

  #insertMessages(sessionId: string, fromIndex: number, texts: readonly string[]): void {
    const length = this.#statements.historyLength.get(sessionId) ?? 0;
    if (fromIndex > length) throw new HistoryGap(sessionId, fromIndex, length);
    for (let i = length - fromIndex; i < texts.length; i++) {
      this.#statements.insertMessage.run(sessionId, fromIndex + i, texts[i]!);
    }
  }
}
