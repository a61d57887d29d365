// Tools return the same updates `applyUpdates` takes.
export type { ContextState, ContextUpdate } from '../updates/apply-updates.js';
