import { TroupeError } from '@troupe/core';
import { vectorNorm } from '../vector.js';
import { scanTopK } from './scan.js';
import type { TopK } from './top-k.js';

/**
 * Row-per-entry embedding matrix in SharedArrayBuffers, with each row's norm stored beside it,
 * so pool workers read the same memory the coordinator writes (no copy per search).
 * Slots are stable for an entry's life; freed slots are reused. Growth doubles the buffers
 * (amortized O(1) per insert); scans already in flight keep the old buffers, which hold the same
 * rows.
 */
export class VectorIndex {
  readonly dims: number;
  #capacity: number;
  #matrixBuffer: SharedArrayBuffer;
  #normsBuffer: SharedArrayBuffer;
  #matrix: Float32Array;
  #norms: Float64Array;
  #next = 0;
  readonly #free: number[] = [];

  constructor(dims: number, capacity = 64) {
    this.dims = dims;
    this.#capacity = capacity;
    this.#matrixBuffer = new SharedArrayBuffer(capacity * dims * 4);
    this.#normsBuffer = new SharedArrayBuffer(capacity * 8);
    this.#matrix = new Float32Array(this.#matrixBuffer);
    this.#norms = new Float64Array(this.#normsBuffer);
  }

  get matrixBuffer(): SharedArrayBuffer {
    return this.#matrixBuffer;
  }

  get normsBuffer(): SharedArrayBuffer {
    return this.#normsBuffer;
  }

  /** Stores a vector (its norm is computed here, once) and returns its slot. */
  add(vector: Float32Array, norm = vectorNorm(vector)): number {
    if (vector.length !== this.dims) {
      throw new TroupeError(
        'ERR_INTERNAL',
        `a ${vector.length}-value vector reached a ${this.dims}-dimension matrix`,
      );
    }
    const slot = this.#free.pop() ?? this.#next++;
    if (slot >= this.#capacity) this.#grow();
    this.#matrix.set(vector, slot * this.dims);
    this.#norms[slot] = norm;
    return slot;
  }

  remove(slot: number): void {
    this.#norms[slot] = 0;
    this.#free.push(slot);
  }

  /** A copy of the slot's vector. */
  get(slot: number): Float32Array {
    return this.#matrix.slice(slot * this.dims, (slot + 1) * this.dims);
  }

  norm(slot: number): number {
    return this.#norms[slot]!;
  }

  /** Cosine top-k over `slots[from..to)` in this thread. */
  scan(query: Float32Array, queryNorm: number, slots: Int32Array, k: number): TopK {
    return scanTopK({
      matrix: this.#matrix,
      norms: this.#norms,
      dims: this.dims,
      query,
      queryNorm,
      slots,
      from: 0,
      to: slots.length,
      k,
    });
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const matrixBuffer = new SharedArrayBuffer(capacity * this.dims * 4);
    const normsBuffer = new SharedArrayBuffer(capacity * 8);
    const matrix = new Float32Array(matrixBuffer);
    const norms = new Float64Array(normsBuffer);
    matrix.set(this.#matrix);
    norms.set(this.#norms);
    this.#capacity = capacity;
    this.#matrixBuffer = matrixBuffer;
    this.#normsBuffer = normsBuffer;
    this.#matrix = matrix;
    this.#norms = norms;
  }
}
