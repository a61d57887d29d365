import { isTroupeError, TroupeError } from '@troupe/core';
import Database from 'better-sqlite3';
import { SCHEMA, SCHEMA_VERSION } from './sqlite-schema.js';

/** The schema version a memory database records, or undefined for a database without one. */
function storedSchemaVersion(db: Database.Database): string | undefined {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_meta'")
    .get();
  if (table === undefined) return undefined;
  return db.prepare('SELECT value FROM memory_meta WHERE key = ?').pluck().get('schema') as
    | string
    | undefined;
}

/**
 * Opens (or creates) the memory database at `file` in WAL mode with the current schema. A
 * database of another schema version is refused with `ERR_UNKNOWN_VERSION` before anything is
 * written to it; a file that cannot be opened is `ERR_BACKEND_UNAVAILABLE`.
 */
export function openMemoryDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    // The version first: a database of another schema is refused before anything (WAL mode,
    // the tables, the version row) is written to it.
    const version = storedSchemaVersion(db);
    if (version !== undefined && version !== SCHEMA_VERSION) {
      throw new TroupeError(
        'ERR_UNKNOWN_VERSION',
        `memory database schema ${version} is not ${SCHEMA_VERSION}`,
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    if (version === undefined) {
      db.prepare('INSERT INTO memory_meta (key, value) VALUES (?, ?)').run(
        'schema',
        SCHEMA_VERSION,
      );
    }
    return db;
  } catch (cause) {
    db?.close();
    if (isTroupeError(cause)) throw cause;
    throw new TroupeError('ERR_BACKEND_UNAVAILABLE', `cannot open the memory database at ${file}`, {
      cause,
    });
  }
}
