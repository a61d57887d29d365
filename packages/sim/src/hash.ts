import { createHash } from 'node:crypto';

/**
 * Incremental SHA-256 over event-log lines: the run's fingerprint, the hash of exactly the bytes
 * of the lines each followed by a newline (as `events.jsonl` holds them). Two runs with the same
 * scenario and seed produce the same lines and so the same hash.
 */
export class LogHasher {
  readonly #hash = createHash('sha256');
  /**
   * Lines not hashed yet. A native `update` per line costs more than the hashing itself, so
   * lines are joined and hashed ~64 KB at a time: the same bytes, so the same digest.
   */
  #pending = '';

  /** Adds one JSONL line (without its newline). */
  add(line: string): void {
    this.#pending += `${line}\n`;
    if (this.#pending.length >= 65_536) this.#flush();
  }

  /** The hex SHA-256 of the lines added so far; more lines may be added after. */
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
