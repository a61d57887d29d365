import type { MemoryEntry, MemoryScope, MemoryType } from '../types.js';
import { SCOPE_FIELDS } from '../types.js';
import type { Candidate, Filter } from './records.js';

// The SQLite layout and the conversions between its rows and the store's shapes.

/** The on-disk layout this code reads and writes. */
export const SCHEMA_VERSION = '1';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS memory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memories (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  content TEXT NOT NULL,
  type TEXT NOT NULL,
  importance REAL NOT NULL,
  tags TEXT NOT NULL,
  scope_team TEXT,
  scope_agent TEXT,
  scope_session TEXT,
  scope_user TEXT,
  evergreen INTEGER NOT NULL,
  created_at REAL NOT NULL,
  accessed_at REAL NOT NULL,
  access_count INTEGER NOT NULL,
  filter_terms TEXT NOT NULL
);
-- Vectors live apart so entry rows stay small: keyword and scope queries touch many entry rows
-- and must not page 3 KB BLOBs in to do it.
CREATE TABLE IF NOT EXISTS memory_vectors (
  seq INTEGER PRIMARY KEY,
  embedding BLOB NOT NULL,
  norm REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS memories_team ON memories(scope_team, type);
CREATE INDEX IF NOT EXISTS memories_agent ON memories(scope_agent, type);
CREATE INDEX IF NOT EXISTS memories_session ON memories(scope_session, type);
CREATE INDEX IF NOT EXISTS memories_user ON memories(scope_user, type);
CREATE INDEX IF NOT EXISTS memories_type ON memories(type);
CREATE INDEX IF NOT EXISTS memories_created ON memories(created_at, id);
-- filter_terms holds one token per scope field and the type, so a scoped keyword search is one
-- FTS5 query: its doclists intersect inside FTS5 and bm25 runs only on entries in scope.
CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5(content, filter_terms, content='memories', content_rowid='seq');
CREATE TRIGGER IF NOT EXISTS memories_ai AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts(rowid, content, filter_terms) VALUES (new.seq, new.content, new.filter_terms);
END;
CREATE TRIGGER IF NOT EXISTS memories_ad AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, content, filter_terms) VALUES ('delete', old.seq, old.content, old.filter_terms);
  DELETE FROM memory_vectors WHERE seq = old.seq;
END;
CREATE TRIGGER IF NOT EXISTS memories_au AFTER UPDATE OF content, filter_terms ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, content, filter_terms) VALUES ('delete', old.seq, old.content, old.filter_terms);
  INSERT INTO memories_fts(rowid, content, filter_terms) VALUES (new.seq, new.content, new.filter_terms);
END;
`;

export interface Row {
  seq: number;
  id: string;
  content: string;
  type: string;
  importance: number;
  tags: string;
  scope_team: string | null;
  scope_agent: string | null;
  scope_session: string | null;
  scope_user: string | null;
  evergreen: number;
  created_at: number;
  accessed_at: number;
  access_count: number;
}

export interface CandidateRow {
  id: string;
  importance: number;
  evergreen: number;
  accessed_at: number;
}

export const ROW_COLUMNS =
  'seq, id, content, type, importance, tags, scope_team, scope_agent, scope_session, scope_user, evergreen, created_at, accessed_at, access_count';

/** A Float32Array over a BLOB without copying when aligned (SQLite buffers usually are). */
export function blobToVector(blob: Buffer): Float32Array {
  if (blob.byteOffset % 4 === 0)
    return new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return new Float32Array(new Uint8Array(blob).buffer);
}

export function vectorToBlob(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** The filter token of a scope field's value: a prefix and the value's UTF-8 bytes in hex. */
export function scopeToken(field: string, value: string): string {
  return `x${field[0]}${Buffer.from(value, 'utf8').toString('hex')}`;
}

export function filterTerms(scope: MemoryScope, type: MemoryType): string {
  const tokens = [`xy${type}`];
  for (const field of SCOPE_FIELDS) {
    const value = scope[field];
    if (value !== undefined) tokens.push(scopeToken(field, value));
  }
  return tokens.join(' ');
}

/**
 * An FTS5 query: any of the terms in `content` (each quoted: no operator injection), and
 * every filter token in `filter_terms`.
 */
export function ftsQuery(terms: readonly string[], filter: Filter): string {
  let query = `content : (${terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' OR ')})`;
  for (const field of SCOPE_FIELDS) {
    const value = filter.scope[field];
    if (value !== undefined) query += ` AND filter_terms : "${scopeToken(field, value)}"`;
  }
  if (filter.types !== undefined) {
    query += ` AND filter_terms : (${filter.types.map((t) => `"xy${t}"`).join(' OR ')})`;
  }
  return query;
}

export function rowScope(row: Row): MemoryScope {
  const scope: Record<string, string> = {};
  if (row.scope_team !== null) scope.team = row.scope_team;
  if (row.scope_agent !== null) scope.agent = row.scope_agent;
  if (row.scope_session !== null) scope.session = row.scope_session;
  if (row.scope_user !== null) scope.user = row.scope_user;
  return scope;
}

export function toCandidate(row: CandidateRow): Candidate {
  return {
    id: row.id,
    importance: row.importance,
    evergreen: row.evergreen === 1,
    accessedAt: row.accessed_at,
  };
}

/** A row as the entry handed out, with its vector (held in the matrix, not read from the row). */
export function rowToEntry(row: Row, embedding: Float32Array | undefined): MemoryEntry {
  return {
    id: row.id,
    content: row.content,
    type: row.type as MemoryType,
    importance: row.importance,
    tags: JSON.parse(row.tags) as string[],
    ...(embedding === undefined ? {} : { embedding }),
    scope: rowScope(row),
    evergreen: row.evergreen === 1,
    createdAt: row.created_at,
    accessedAt: row.accessed_at,
    accessCount: row.access_count,
  };
}
