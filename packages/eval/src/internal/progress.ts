import type { TaskResult } from '../types.js';

/** One line per finished task on the progress stream (stderr by default). */
export class Progress {
  readonly #out: NodeJS.WritableStream | false;
  readonly #total: number;
  #done: number;

  constructor(out: NodeJS.WritableStream | false, total: number, done: number) {
    this.#out = out;
    this.#total = total;
    this.#done = done;
  }

  line(text: string): void {
    if (this.#out !== false) this.#out.write(`${text}\n`);
  }

  finished(result: TaskResult): void {
    this.#done++;
    const scores = Object.entries(result.scores)
      .map(([name, s]) => `${name}=${Number(s.score.toFixed(3))}`)
      .join(' ');
    const error = result.error ? ` ${result.error.code}` : '';
    this.line(
      `[${this.#done}/${this.#total}] ${result.id} ${result.status}${error} ${Math.round(result.latencyMs)}ms $${result.costUsd.toFixed(5)} ${scores}`,
    );
  }
}
