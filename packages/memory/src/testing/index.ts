// Contract suite for MemoryStore implementations: @troupe/memory/testing (imports vitest).

export { memoryStoreContract } from './contract.js';
