import { createInMemoryStore, createSqliteStore } from '../src/index.js';
import { memoryStoreContract } from '../src/testing/index.js';

memoryStoreContract('in-memory', (options) => createInMemoryStore(options));
memoryStoreContract('sqlite', (options) => createSqliteStore(options));
