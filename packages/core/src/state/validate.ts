// The checks live in ../backend/validate.ts (public as @troupe/core/backend, shared with remote
// backends); the shared state and the expiry wheel import them from here.
export * from '../backend/validate.js';
