import { createInMemoryStore, createSqliteStore } from '../src/index.js';
import { memoryStoreContract } from './contract.js';

memoryStoreContract('in-memory', (options) => createInMemoryStore(options));
memoryStoreContract('sqlite', (options) => createSqliteStore(options));
