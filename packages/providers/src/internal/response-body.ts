// A response body that restarts the idle watchdog on every chunk.
import type { Readable } from 'node:stream';
import type { Clock } from '@troupe/core';
import { TroupeError } from '@troupe/core';
import type { Timer } from './timer.js';
import { arm, disarm } from './timer.js';

/**
 * A response body, read once through one of its two methods. Both restart the idle watchdog on
 * every chunk. Reading is event-driven ('data'/'end'): async iteration of a stream costs an
 * iterator, a generator and a few promises per chunk, which showed in the per-call profile.
 */
export interface Body {
  /** The whole body as text (decoded once; bodies beyond 64 MiB are cut). */
  text(): Promise<string>;
  /**
   * Calls `onChunk` for each chunk, resolving at the end. If `onChunk` throws, reading stops
   * and the promise rejects with what it threw (the call then tears the request down).
   */
  each(onChunk: (chunk: Buffer) => void): Promise<void>;
}

/** Bodies are buffered up to this size; a bigger one is drained and truncated (then malformed). */
const MAX_BODY = 64 * 1024 * 1024;
const noop = (): void => {};

/** What a watched body asks of the call it belongs to. */
export interface BodyWatch {
  readonly clock: Clock;
  readonly idleTimeoutMs: number;
  /** The body was silent for `idleTimeoutMs`. */
  onIdle(): void;
  /** Why the call ended early, if it did (explains a body destroyed without an error). */
  outcome(): TroupeError | undefined;
}

/**
 * Wraps a body so that every chunk restarts the idle watchdog. One timer, re-armed lazily
 * (when it fires early it sleeps the remainder), instead of clear+set per chunk.
 */
export class WatchedBody implements Body {
  readonly #stream: Readable;
  readonly #watch: BodyWatch;

  constructor(stream: Readable, watch: BodyWatch) {
    this.#stream = stream;
    this.#watch = watch;
    // A sink for errors after reading stopped (a leftover body destroyed on teardown): without
    // a listener, a stream's 'error' event would be an uncaught exception.
    stream.on('error', noop);
  }

  each(onChunk: (chunk: Buffer) => void): Promise<void> {
    const stream = this.#stream;
    const { clock, idleTimeoutMs: idle } = this.#watch;
    return new Promise<void>((resolve, reject) => {
      let last = clock.now();
      let timer: Timer | undefined;
      let done = false;
      const check = (): void => {
        const quiet = clock.now() - last;
        if (quiet >= idle) this.#watch.onIdle();
        else timer = arm(clock, check, idle - quiet);
      };
      const finish = (error?: unknown): void => {
        if (done) return;
        done = true;
        disarm(clock, timer);
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('error', finish);
        stream.off('close', onClose);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onData = (chunk: Buffer): void => {
        last = clock.now();
        try {
          onChunk(chunk);
        } catch (error) {
          finish(error);
        }
      };
      const onEnd = (): void => finish();
      // Destroyed without an error event (an abort, say): the outcome explains it.
      const onClose = (): void => finish(this.#watch.outcome() ?? closedEarly());
      timer = arm(clock, check, idle);
      stream.on('data', onData);
      stream.once('end', onEnd);
      stream.once('error', finish);
      stream.once('close', onClose);
    });
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    await this.each((chunk) => {
      if (size < MAX_BODY) chunks.push(chunk);
      size += chunk.length;
    });
    return chunks.length === 1
      ? (chunks[0] as Buffer).toString('utf8')
      : Buffer.concat(chunks).toString('utf8');
  }
}

function closedEarly(): TroupeError {
  return new TroupeError('ERR_PROVIDER_UNAVAILABLE', 'response body closed early', {
    details: { reason: 'connection' },
  });
}
