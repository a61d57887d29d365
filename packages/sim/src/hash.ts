import { createHash } from 'node:crypto';

/**
 * Incremental SHA-256 over event-log lines: the run's fingerprint. Two runs with the same
 * scenario and seed produce the same lines and so the same hash.
 */
export class LogHasher {
  readonly #hash = createHash('sha256');
  #lines = 0;
  /**
   * Lines not hashed yet. A native `update` per line costs more than the hashing itself, so
   * lines are joined and hashed ~64 KB at a time: the same bytes, so the same digest.
   */
  #pending = '';

  /** Adds one JSONL line (without its newline). */
  add(line: string): void {
    this.#pending += `${line}\n`;
    this.#lines++;
    if (this.#pending.length >= 65_536) this.#flush();
  }

  get lines(): number {
    return this.#lines;
  }

  digest(): string {
    this.#flush();
    return this.#hash.copy().digest('hex');
  }

  #flush(): void {
    if (this.#pending === '') return;
    this.#hash.update(this.#pending);
    this.#pending = '';
  }
}

/** Hashes many per-team hashes, in team order, into one. */
export function combineHashes(hashes: readonly string[]): string {
  if (hashes.length === 1) return hashes[0]!;
  const h = createHash('sha256');
  for (const part of hashes) h.update(part);
  return h.digest('hex');
}
