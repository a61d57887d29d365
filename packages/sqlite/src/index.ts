// Public API of @troupe/sqlite.

export { SCHEMA_VERSION } from './schema.js';
export type { SqliteSessionStore } from './store.js';
export { createSqliteSessionStore } from './store.js';
export type { SqliteSessionStoreOptions } from './store-options.js';
