import type Database from 'better-sqlite3';
import { SCOPE_FIELDS } from '../types.js';
import type { Filter } from './records.js';

/** Prepared statements of one database, prepared once per key on first use. */
export class StatementCache {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** The statement cached under `key`, prepared from `sql()` the first time. */
  get(key: string, sql: () => string): Database.Statement {
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      statement = this.#db.prepare(sql());
      this.#statements.set(key, statement);
    }
    return statement;
  }

  clear(): void {
    this.#statements.clear();
  }
}

/** A filter as SQL: its `WHERE` terms, their parameters, and a key naming the statement shape. */
export interface WhereClause {
  readonly key: string;
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * `WHERE` terms and parameters for a scope and type filter (indexed columns), and a cache key
 * for its statement shape: filters with the same fields share one prepared statement.
 */
export function whereClause(filter: Filter): WhereClause {
  const terms: string[] = [];
  const params: unknown[] = [];
  let key = '';
  for (const field of SCOPE_FIELDS) {
    const value = filter.scope[field];
    if (value === undefined) continue;
    terms.push(`scope_${field} = ?`);
    params.push(value);
    key += field[0];
  }
  if (filter.types !== undefined) {
    terms.push(`type IN (${filter.types.map(() => '?').join(', ')})`);
    params.push(...filter.types);
    key += `t${filter.types.length}`;
  }
  return { key, sql: terms.length === 0 ? '1' : terms.join(' AND '), params };
}
