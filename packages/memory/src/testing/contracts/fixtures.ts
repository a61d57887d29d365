// What every part of the MemoryStore contract suite shares: the store factory, the clock, the
// hand-made vectors and an error assertion.
import type { SimulatedClock } from '@troupe/core';
import { isTroupeError } from '@troupe/core';
import { expect } from 'vitest';
import type { MemoryStore, MemoryStoreOptions } from '../../index.js';

/** One run of the suite: how its tests make stores, and the clock of the last one made. */
export interface ContractContext {
  /** A fresh, empty store with these options on a new `SimulatedClock` (unless given one). */
  make(options?: Partial<MemoryStoreOptions>): MemoryStore;
  /** The backend's own factory, for construction tests. */
  create(options: MemoryStoreOptions): MemoryStore;
  /** The clock of the store `make` returned last. */
  readonly clock: SimulatedClock;
}

export const DAY = 86_400_000;

/** Hand-made 4-dimension vectors: cosine with `Q` is 1, 0.8, 0.6 and 0 respectively. */
export const Q = new Float32Array([1, 0, 0, 0]);
export const V1 = new Float32Array([1, 0, 0, 0]);
export const V08 = new Float32Array([0.8, 0.6, 0, 0]);
export const V06 = new Float32Array([0.6, 0.8, 0, 0]);
export const V0 = new Float32Array([0, 0, 1, 0]);

/** Asserts that `promise` rejects with a `TroupeError` of `code` (and `details.field`). */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  field?: string,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isTroupeError(error), `expected a TroupeError, got ${String(error)}`).toBe(true);
  if (!isTroupeError(error)) return;
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.details?.field).toBe(field);
}
