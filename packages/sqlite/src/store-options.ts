// The SQLite session store's options, checked once at construction.
import { invalidArgument } from '@troupe/core';
import { checkOptionNames } from '@troupe/core/backend';

/**
 * Options for {@link createSqliteSessionStore}.
 *
 * @example
 * ```ts
 * createSqliteSessionStore({ path: 'troupe.db', busyTimeoutMs: 10_000, synchronous: 'FULL' });
 * ```
 */
export interface SqliteSessionStoreOptions {
  /** Database file; created if missing. `':memory:'` works but is gone on close. */
  readonly path: string;
  /** How long a write waits for another process's lock before failing (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /**
   * `'NORMAL'` (default): commits survive a process crash; an OS crash or power loss may lose
   * the last few. `'FULL'`: every commit is fsynced, also surviving power loss, but slower.
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /**
   * Where WAL checkpoints run. `'worker'` (default for files): on a connection of their own in
   * a worker thread, every few thousand rows written, so no writer waits for a checkpoint's
   * copy and fsyncs (25-45 ms each here); SQLite's own auto-checkpoint stays on as a backstop at
   * 40 MB of WAL. `'inline'`: SQLite's default, on the writing connection every ~4 MB of WAL.
   */
  readonly checkpoint?: 'worker' | 'inline';
  /**
   * Where writes run. `'worker'` (default for files): in a writer thread with its own
   * connection, so a commit never holds the event loop; the thread commits what queued up
   * while its last transaction ran as one transaction. `'inline'` (the only choice for
   * `':memory:'`): inside each call, on the calling thread.
   */
  readonly writer?: 'worker' | 'inline';
}

/** {@link SqliteSessionStoreOptions} after validation, defaults filled in. */
export interface StoreSettings {
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly synchronous: 'NORMAL' | 'FULL';
  readonly checkpoint: 'worker' | 'inline';
  readonly writer: 'worker' | 'inline';
  /** An in-memory database (no file, so no checkpoint worker). */
  readonly inMemory: boolean;
}

const STORE_OPTIONS: ReadonlySet<string> = new Set([
  'path',
  'busyTimeoutMs',
  'synchronous',
  'checkpoint',
  'writer',
]);

/** Validates the options, naming the offending one. */
export function parseStoreOptions(options: SqliteSessionStoreOptions): StoreSettings {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object');
  checkOptionNames(
    options as unknown as Record<string, unknown>,
    STORE_OPTIONS,
    'SQLite session store',
  );
  const { path, busyTimeoutMs = 5_000, synchronous = 'NORMAL' } = options;
  if (typeof path !== 'string' || path.length === 0) {
    throw invalidArgument('options.path must be a non-empty string', { path });
  }
  if (!(Number.isSafeInteger(busyTimeoutMs) && busyTimeoutMs >= 0)) {
    throw invalidArgument('options.busyTimeoutMs must be a non-negative integer', {
      busyTimeoutMs,
    });
  }
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw invalidArgument("options.synchronous must be 'NORMAL' or 'FULL'", { synchronous });
  }
  const inMemory = path === ':memory:' || path.startsWith('file::memory:');
  const checkpoint = options.checkpoint ?? (inMemory ? 'inline' : 'worker');
  if (checkpoint !== 'worker' && checkpoint !== 'inline') {
    throw invalidArgument("options.checkpoint must be 'worker' or 'inline'", { checkpoint });
  }
  const writer = options.writer ?? (inMemory ? 'inline' : 'worker');
  if (writer !== 'worker' && writer !== 'inline') {
    throw invalidArgument("options.writer must be 'worker' or 'inline'", { writer });
  }
  if (writer === 'worker' && inMemory) {
    throw invalidArgument(
      "options.writer 'worker' needs a database file: an in-memory database is private to its connection",
      { writer, path },
    );
  }
  return { path, busyTimeoutMs, synchronous, checkpoint, writer, inMemory };
}
