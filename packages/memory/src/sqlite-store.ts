import { invalidArgument } from '@troupe/core';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import {
  BaseStore,
  type Candidate,
  type Filter,
  type NewRecord,
  type ResolvedPatch,
  type Vector,
  type VectorCandidates,
} from './internal/base-store.js';
import { openMemoryDatabase } from './internal/sqlite-open.js';
import {
  blobToVector,
  type CandidateRow,
  filterTerms,
  ftsQuery,
  ROW_COLUMNS,
  type Row,
  rowScope,
  rowToEntry,
  toCandidate,
  vectorToBlob,
} from './internal/sqlite-schema.js';
import { StatementCache, whereClause } from './internal/sqlite-statements.js';
import { parseOptions } from './internal/validate.js';
import type { MemoryEntry, MemoryStore, MemoryStoreOptions, MemoryType } from './types.js';
import { SCOPE_FIELDS } from './types.js';

const pathSchema = z.object({ path: z.string().min(1).optional() });

/**
 * Options of {@link createSqliteStore}: the shared store options plus where the database lives.
 *
 * @example
 * ```ts
 * const options: SqliteStoreOptions = { clock: systemClock, path: './memory.db' };
 * ```
 */
export interface SqliteStoreOptions extends MemoryStoreOptions {
  /** Database file; default `':memory:'`. */
  readonly path?: string;
}

/**
 * The SQLite backend: one row per entry (its embedding as a BLOB with its norm in a side table),
 * an index per scope column, FTS5 for keywords, WAL journaling. Vectors are also held in an in-process matrix,
 * loaded at open and kept in step with every write, so vector scans never read BLOBs; the store
 * therefore assumes it is its file's only writer.
 */
class SqliteStore extends BaseStore {
  readonly #db: Database.Database;
  readonly #statements: StatementCache;
  /** Row `seq` → matrix slot, and slot → entry id. */
  readonly #slotOf = new Map<number, number>();
  readonly #idOfSlot: string[] = [];

  constructor(options: SqliteStoreOptions) {
    super(options, 'createSqliteStore options', ['path']);
    const { path } = parseOptions(pathSchema, options, 'createSqliteStore options');
    const file = path ?? ':memory:';
    this.#db = openMemoryDatabase(file);
    this.#statements = new StatementCache(this.#db);
    this.#loadVectors(options.dimensions ?? options.embedder?.dimensions);
  }

  #loadVectors(dimensions: number | undefined): void {
    const rows = this.#db
      .prepare(
        'SELECT v.seq, m.id, v.embedding, v.norm FROM memory_vectors v JOIN memories m ON m.seq = v.seq ORDER BY v.seq',
      )
      .all() as { seq: number; id: string; embedding: Buffer; norm: number }[];
    for (const row of rows) {
      const values = blobToVector(row.embedding);
      if (dimensions !== undefined && values.length !== dimensions) {
        this.#db.close();
        // The embedder's length counts too: its vectors could never be compared with these.
        throw invalidArgument(
          `createSqliteStore options.dimensions: the database holds ${values.length}-dimension vectors, not ${dimensions}`,
          { field: 'createSqliteStore options.dimensions' },
        );
      }
      this.#place(row.seq, row.id, { values, norm: row.norm });
    }
  }

  #place(seq: number, id: string, vector: Vector): void {
    const slot = this.vectorIndex(vector.values.length)!.add(vector.values, vector.norm);
    this.#slotOf.set(seq, slot);
    this.#idOfSlot[slot] = id;
  }

  #unplace(seq: number): void {
    const slot = this.#slotOf.get(seq);
    if (slot === undefined) return;
    this.vectorIndex()!.remove(slot);
    this.#slotOf.delete(seq);
  }

  #toEntry(row: Row): MemoryEntry {
    const slot = this.#slotOf.get(row.seq);
    return rowToEntry(row, slot === undefined ? undefined : this.vectorIndex()!.get(slot));
  }

  #row(id: string): Row | undefined {
    return this.#statements
      .get('row', () => `SELECT ${ROW_COLUMNS} FROM memories WHERE id = ?`)
      .get(id) as Row | undefined;
  }

  protected insert(record: NewRecord): MemoryEntry {
    const s = record.scope;
    const insertEntry = this.#statements.get(
      'insert',
      () =>
        'INSERT INTO memories (id, content, type, importance, tags, scope_team, scope_agent, scope_session, scope_user, evergreen, created_at, accessed_at, access_count, filter_terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)',
    );
    const seq = this.#db.transaction(() => {
      const info = insertEntry.run(
        record.id,
        record.content,
        record.type,
        record.importance,
        JSON.stringify(record.tags),
        s.team ?? null,
        s.agent ?? null,
        s.session ?? null,
        s.user ?? null,
        record.evergreen ? 1 : 0,
        record.createdAt,
        record.createdAt,
        filterTerms(record.scope, record.type),
      );
      const seq = Number(info.lastInsertRowid);
      if (record.vector !== undefined) this.#writeVector(seq, record.vector);
      return seq;
    })();
    if (record.vector !== undefined) this.#place(seq, record.id, record.vector);
    return this.#toEntry(this.#row(record.id)!);
  }

  #writeVector(seq: number, vector: Vector | null): void {
    if (vector === null) {
      this.#statements
        .get('vector:delete', () => 'DELETE FROM memory_vectors WHERE seq = ?')
        .run(seq);
      return;
    }
    this.#statements
      .get(
        'vector:put',
        () => 'INSERT OR REPLACE INTO memory_vectors (seq, embedding, norm) VALUES (?, ?, ?)',
      )
      .run(seq, vectorToBlob(vector.values), vector.norm);
  }

  protected read(id: string): MemoryEntry | undefined {
    const row = this.#row(id);
    return row === undefined ? undefined : this.#toEntry(row);
  }

  protected has(id: string): boolean {
    return (
      this.#statements.get('has', () => 'SELECT 1 FROM memories WHERE id = ?').get(id) !== undefined
    );
  }

  protected change(id: string, patch: ResolvedPatch): MemoryEntry | undefined {
    const row = this.#row(id);
    if (row === undefined) return undefined;
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown): void => {
      sets.push(`${column} = ?`);
      params.push(value);
    };
    if (patch.content !== undefined) set('content', patch.content);
    if (patch.type !== undefined) set('type', patch.type);
    if (patch.importance !== undefined) set('importance', patch.importance);
    if (patch.tags !== undefined) set('tags', JSON.stringify(patch.tags));
    if (patch.evergreen !== undefined) set('evergreen', patch.evergreen ? 1 : 0);
    if (patch.scope !== undefined) {
      for (const field of SCOPE_FIELDS) set(`scope_${field}`, patch.scope[field] ?? null);
    }
    if (patch.scope !== undefined || patch.type !== undefined) {
      set(
        'filter_terms',
        filterTerms(patch.scope ?? rowScope(row), patch.type ?? (row.type as MemoryType)),
      );
    }
    this.#db.transaction(() => {
      if (sets.length > 0) {
        this.#db
          .prepare(`UPDATE memories SET ${sets.join(', ')} WHERE seq = ?`)
          .run(...params, row.seq);
      }
      if (patch.vector !== undefined) this.#writeVector(row.seq, patch.vector);
    })();
    if (patch.vector !== undefined) {
      this.#unplace(row.seq);
      if (patch.vector !== null) this.#place(row.seq, id, patch.vector);
    }
    return this.#toEntry(this.#row(id)!);
  }

  protected remove(id: string): boolean {
    const seq = this.#statements
      .get('seq', () => 'SELECT seq FROM memories WHERE id = ?')
      .pluck()
      .get(id) as number | undefined;
    if (seq === undefined) return false;
    this.#statements.get('delete', () => 'DELETE FROM memories WHERE seq = ?').run(seq);
    this.#unplace(seq);
    return true;
  }

  protected listFiltered(filter: Filter, limit: number): MemoryEntry[] {
    const where = whereClause(filter);
    const rows = this.#statements
      .get(
        `list:${where.key}`,
        () =>
          `SELECT ${ROW_COLUMNS} FROM memories WHERE ${where.sql} ORDER BY created_at, id LIMIT ?`,
      )
      .all(...where.params, Number.isFinite(limit) ? limit : -1) as Row[];
    return rows.map((row) => this.#toEntry(row));
  }

  protected countFiltered(filter: Filter): number {
    const where = whereClause(filter);
    return this.#statements
      .get(`count:${where.key}`, () => `SELECT count(*) FROM memories WHERE ${where.sql}`)
      .pluck()
      .get(...where.params) as number;
  }

  protected keywordRanks(terms: readonly string[], filter: Filter, depth: number): string[] {
    if (filter.types?.length === 0) return [];
    // bm25() is lower for better matches; filter_terms weighs 0. Ties go to the older row, as in
    // the memory backend. Only the top `depth` rows are joined back to their ids.
    return this.#statements
      .get(
        'keyword',
        () =>
          'SELECT m.id FROM (SELECT rowid AS seq, bm25(memories_fts, 1.0, 0.0) AS rank FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank, rowid LIMIT ?) f JOIN memories m ON m.seq = f.seq ORDER BY f.rank, f.seq',
      )
      .pluck()
      .all(ftsQuery(terms, filter), depth) as string[];
  }

  protected vectorCandidates(filter: Filter): VectorCandidates {
    const ids: string[] = [];
    const slots: number[] = [];
    const where = whereClause(filter);
    if (where.params.length === 0) {
      for (const slot of this.#slotOf.values()) {
        ids.push(this.#idOfSlot[slot]!);
        slots.push(slot);
      }
    } else {
      // Answered from the scope indexes alone (they cover seq); the slot map drops rows without
      // a vector.
      const seqs = this.#statements
        .get(`vector:${where.key}`, () => `SELECT seq FROM memories WHERE ${where.sql}`)
        .pluck()
        .all(...where.params) as number[];
      for (const seq of seqs) {
        const slot = this.#slotOf.get(seq);
        if (slot === undefined) continue;
        ids.push(this.#idOfSlot[slot]!);
        slots.push(slot);
      }
    }
    return { ids, slots: Int32Array.from(slots) };
  }

  protected allCandidates(filter: Filter): Candidate[] {
    const where = whereClause(filter);
    const rows = this.#statements
      .get(
        `all:${where.key}`,
        () => `SELECT id, importance, evergreen, accessed_at FROM memories WHERE ${where.sql}`,
      )
      .all(...where.params) as CandidateRow[];
    return rows.map(toCandidate);
  }

  protected candidates(ids: readonly string[]): Map<string, Candidate> {
    const rows = this.#statements
      .get(
        'candidates',
        () =>
          'SELECT id, importance, evergreen, accessed_at FROM memories WHERE id IN (SELECT value FROM json_each(?))',
      )
      .all(JSON.stringify(ids)) as CandidateRow[];
    return new Map(rows.map((row) => [row.id, toCandidate(row)]));
  }

  protected touch(ids: readonly string[], now: number): MemoryEntry[] {
    const update = this.#statements.get(
      'touch',
      () => 'UPDATE memories SET accessed_at = ?, access_count = access_count + 1 WHERE id = ?',
    );
    this.#db.transaction(() => {
      for (const id of ids) update.run(now, id);
    })();
    return this.readMany(ids);
  }

  protected readMany(ids: readonly string[]): MemoryEntry[] {
    const rows = this.#statements
      .get(
        'many',
        () => `SELECT ${ROW_COLUMNS} FROM memories WHERE id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids)) as Row[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    const out: MemoryEntry[] = [];
    for (const id of ids) {
      const row = byId.get(id);
      if (row !== undefined) out.push(this.#toEntry(row));
    }
    return out;
  }

  protected closeBackend(): void {
    this.#statements.clear();
    this.#db.close();
  }
}

/**
 * A {@link MemoryStore} on SQLite (better-sqlite3): WAL journaling, FTS5 `bm25` for keywords,
 * scope and type filters as indexed `WHERE` clauses, embeddings stored as BLOBs with their norm.
 * Entries survive a restart: open the same `path` again.
 *
 * @example
 * ```ts
 * const memory = createSqliteStore({ clock: systemClock, path: './memory.db',
 *   embedder: createHashEmbedder() });
 * await memory.add({ content: 'Invoices go out on the 1st', scope: { team: 'billing' } });
 * await memory.close();
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions): MemoryStore {
  return new SqliteStore(options);
}
