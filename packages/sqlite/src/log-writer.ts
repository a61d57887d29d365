// Session log rows into SQLite: many rows per statement, session ids as small integer refs.
import type Database from 'better-sqlite3';
import type { Statements } from './statements.js';
import { LOG_ROWS_PER_INSERT } from './statements.js';

/** Writes log rows in transactions and keeps the session id -> ref map. */
export class LogWriter {
  readonly #statements: Statements;
  // Session id -> ref, filled lazily. Refs are never reassigned, so entries stay valid (also
  // across processes sharing the file); a failed transaction clears the map, since refs it
  // inserted were rolled back.
  readonly #refs = new Map<string, number>();
  readonly #groupParams = new Array<unknown>(LOG_ROWS_PER_INSERT * 4);
  readonly #insertRows: Database.Transaction<(params: unknown[]) => void>;

  constructor(db: Database.Database, statements: Statements) {
    this.#statements = statements;
    this.#insertRows = db.transaction((params: unknown[]) => this.#insert(params));
  }

  /**
   * Writes flat rows (session id, type, at, data JSON: four parameters a row) in one
   * transaction. The session ids in `params` are replaced by refs.
   */
  append(params: unknown[]): void {
    try {
      this.#insertRows(params);
    } catch (error) {
      this.forgetRefs();
      throw error;
    }
  }

  /** Forgets the cached refs: a transaction that inserted some rolled back. */
  forgetRefs(): void {
    this.#refs.clear();
  }

  /** A session's ref, if it has written a log line (here or in another process). */
  knownRef(sessionId: string): number | undefined {
    return this.#refs.get(sessionId) ?? this.#statements.selectSessionRef.get(sessionId);
  }

  #sessionRef(sessionId: string): number {
    let ref = this.#refs.get(sessionId);
    if (ref === undefined) {
      this.#statements.insertSessionRef.run(sessionId);
      ref = this.#statements.selectSessionRef.get(sessionId)!;
      this.#refs.set(sessionId, ref);
    }
    return ref;
  }

  #insert(params: unknown[]): void {
    const { insertLogGroup, insertLog } = this.#statements;
    const groupParams = this.#groupParams;
    // Session ids become refs inside the transaction (a new one is inserted with the rows).
    for (let i = 0; i < params.length; i += 4) params[i] = this.#sessionRef(params[i] as string);
    const rows = params.length / 4;
    let row = 0;
    for (; row + LOG_ROWS_PER_INSERT <= rows; row += LOG_ROWS_PER_INSERT) {
      for (let j = 0; j < groupParams.length; j++) groupParams[j] = params[row * 4 + j];
      insertLogGroup.run(groupParams);
    }
    for (; row < rows; row++) {
      const at = row * 4;
      insertLog.run(
        params[at] as number,
        params[at + 1] as string,
        params[at + 2] as number,
        params[at + 3] as string,
      );
    }
  }
}
