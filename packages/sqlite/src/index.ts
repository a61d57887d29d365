// Public API of @troupe/sqlite.

export { SCHEMA_VERSION } from './schema.js';
export type { SqliteSessionStore, SqliteSessionStoreOptions } from './store.js';
export { createSqliteSessionStore } from './store.js';
