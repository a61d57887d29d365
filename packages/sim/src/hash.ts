import { createHash } from 'node:crypto';

/**
 * Incremental SHA-256 over event-log lines: the run's fingerprint. Two runs with the same
 * scenario and seed produce the same lines and so the same hash.
 */
export class LogHasher {
  readonly #hash = createHash('sha256');
  #lines = 0;

  /** Adds one JSONL line (without its newline). */
  add(line: string): void {
    this.#hash.update(line);
    this.#hash.update('\n');
    this.#lines++;
  }

  get lines(): number {
    return this.#lines;
  }

  digest(): string {
    return this.#hash.copy().digest('hex');
  }
}

/** Hashes many per-team hashes, in team order, into one. */
export function combineHashes(hashes: readonly string[]): string {
  if (hashes.length === 1) return hashes[0]!;
  const h = createHash('sha256');
  for (const part of hashes) h.update(part);
  return h.digest('hex');
}
