// Kept for imports of './session.js': the persistence interfaces live in ./session/types.ts.
export * from './session/types.js';
