/**
 * A progress bar on stderr. On a terminal it redraws one line; elsewhere (CI logs, pipes) it
 * prints at most one line per 10% so logs stay short. Silent when disabled.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #tty: boolean;
  #lastDecile = -1;

  constructor(options: { stream?: NodeJS.WriteStream; enabled?: boolean } = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = options.enabled ?? true;
    this.#tty = this.#stream.isTTY === true;
  }

  update(done: number, total: number, label: string): void {
    if (!this.#enabled || total <= 0) return;
    const fraction = Math.min(1, done / total);
    if (this.#tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      this.#stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`,
      );
      if (done >= total) this.#stream.write('\n');
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== this.#lastDecile) {
      this.#lastDecile = decile;
      this.#stream.write(`progress: ${done}/${total} ${label} (${Math.round(fraction * 100)}%)\n`);
    }
  }
}
