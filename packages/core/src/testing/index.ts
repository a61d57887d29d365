// Test doubles and contract suites: @troupe/core/testing.
// Contract suites import vitest; the doubles alone are also at @troupe/core/testing/doubles.

export type { BusFixture } from './contracts/bus.js';
export { busContract } from './contracts/bus.js';
export type { DirectoryFixture } from './contracts/directory.js';
export { directoryContract } from './contracts/directory.js';
export type { LimiterContractSetup, LimiterFixture } from './contracts/limiter.js';
export { limiterContract } from './contracts/limiter.js';
export { sampleSnapshot, sessionStoreContract } from './contracts/session-store.js';
export type { SharedStateFixture } from './contracts/shared-state.js';
export { sharedStateContract } from './contracts/shared-state.js';
export * from './doubles.js';
