import { constants } from 'node:os';
import { type Clock, systemClock } from '../clock.js';
import { invalidArgument } from '../errors.js';
import type { SessionLog } from './log.js';

/**
 * The parts of `process` that {@link flushOnExit} uses (a fake one makes it testable).
 *
 * @example
 * ```ts
 * const stop = flushOnExit(log, { process: myFakeProcess }); // for tests
 * ```
 */
export interface ExitProcess {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
  /** Ends the process; the result is ignored (the real one never returns, a fake may). */
  exit(code?: number): unknown;
}

/**
 * Options for {@link flushOnExit}.
 *
 * @example
 * ```ts
 * flushOnExit([teamLog, auditLog], { signals: ['SIGTERM'], timeoutMs: 2_000 });
 * ```
 */
export interface FlushOnExitOptions {
  /** Signals to flush on (default `['SIGINT', 'SIGTERM']`). */
  readonly signals?: readonly NodeJS.Signals[];
  /** For stores without `appendLogSync`: longest wait for the async flush before exiting (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Times the async flush's deadline (default {@link systemClock}). */
  readonly clock?: Clock;
  /** Default the real `process`. */
  readonly process?: ExitProcess;
}

/**
 * Flushes session logs when the process is about to end, and returns a function that removes
 * the handlers again.
 *
 * - On SIGINT or SIGTERM: flushes every log, then exits with code 128 + the signal number
 *   (130, 143), the shell's convention for death by that signal. When every log's store has
 *   `appendLogSync` (SQLite, memory) the flush is synchronous, done before the handler returns:
 *   nothing else can run first, so no later `process.exit()` elsewhere can cut it short. Other
 *   stores are flushed asynchronously, waiting at most `timeoutMs`.
 * - On `beforeExit` (the event loop ran dry): flushes logs that still hold entries.
 * - On `exit` (including `process.exit()` called elsewhere): a last synchronous flush, for
 *   stores that support it; `exit` handlers cannot wait for anything.
 *
 * A SIGKILL or a power cut cannot be caught: at most the last `flushIntervalMs` is lost then.
 *
 * @example
 * ```ts
 * const log = createSessionLog({ store: createSqliteSessionStore({ path: 'troupe.db' }), clock });
 * const stop = flushOnExit(log);
 * // ... later, on an orderly shutdown:
 * await log.close();
 * stop();
 * ```
 */
export function flushOnExit(
  target: SessionLog | readonly SessionLog[],
  options: FlushOnExitOptions = {},
): () => void {
  const logs: readonly SessionLog[] = Array.isArray(target) ? target : [target as SessionLog];
  for (const [i, log] of logs.entries()) {
    if (typeof log?.flush !== 'function' || typeof log.flushSync !== 'function') {
      throw invalidArgument(`logs[${i}] must be a SessionLog`);
    }
  }
  const { signals = ['SIGINT', 'SIGTERM'], timeoutMs = 5_000, clock = systemClock } = options;
  const proc: ExitProcess = options.process ?? process;
  if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
    throw invalidArgument('options.timeoutMs must be a non-negative finite number', { timeoutMs });
  }
  for (const signal of signals) {
    if (constants.signals[signal] === undefined) {
      throw invalidArgument(`options.signals: unknown signal ${signal}`, { signal });
    }
  }

  // Every log, even when an earlier one cannot flush synchronously.
  const flushAllSync = (): boolean => logs.map((log) => log.flushSync()).every(Boolean);

  const onSignal = (signal: NodeJS.Signals): void => {
    const code = 128 + (constants.signals[signal] ?? 0);
    // A second signal now gets the default behaviour: a way out if a flush hangs.
    removeSignalListeners();
    if (flushAllSync()) {
      proc.exit(code);
      return;
    }
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      proc.exit(code);
    };
    clock.setTimeout(finish, timeoutMs);
    void Promise.allSettled(logs.map((log) => log.flush())).then(finish);
  };
  const onBeforeExit = (): void => {
    // Only logs with entries: a flush with nothing to write would wake the loop forever.
    for (const log of logs) if (log.pending() > 0) void log.flush().catch(() => {});
  };
  const onExit = (): void => {
    flushAllSync();
  };

  const listeners = signals.map((signal) => [signal, (): void => onSignal(signal)] as const);
  const removeSignalListeners = (): void => {
    for (const [signal, listener] of listeners) proc.off(signal, listener);
  };
  for (const [signal, listener] of listeners) proc.on(signal, listener);
  proc.on('beforeExit', onBeforeExit);
  proc.on('exit', onExit);

  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    removeSignalListeners();
    proc.off('beforeExit', onBeforeExit);
    proc.off('exit', onExit);
  };
  return stop;
}
