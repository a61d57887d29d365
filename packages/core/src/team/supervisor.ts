import { invalidArgument, type TroupeError } from '../errors.js';

/**
 * One-for-one restarts: each agent restarts on its own, at most `maxRestarts` per window.
 *
 * @example
 * ```ts
 * createTeam({ ...services, supervision: { maxRestarts: 5, windowMs: 30_000 } });
 * ```
 */
export interface SupervisionOptions {
  /** Restarts allowed within `windowMs` before the agent is marked failed. Default 3. */
  readonly maxRestarts?: number;
  /** Default 60,000 ms. */
  readonly windowMs?: number;
}

/** The supervisor's answer to a failure. */
export type SupervisorDecision =
  | { readonly restart: true; readonly restarts: number }
  | { readonly restart: false; readonly restarts: number };

/** Checks supervision options once, naming the bad one. */
export function validateSupervision(
  options: SupervisionOptions | undefined,
): Required<SupervisionOptions> {
  const maxRestarts = options?.maxRestarts ?? 3;
  const windowMs = options?.windowMs ?? 60_000;
  if (!(Number.isInteger(maxRestarts) && maxRestarts >= 0)) {
    throw invalidArgument('supervision.maxRestarts must be a non-negative integer', {
      maxRestarts,
    });
  }
  if (!(Number.isFinite(windowMs) && windowMs > 0)) {
    throw invalidArgument('supervision.windowMs must be a positive finite number', { windowMs });
  }
  return { maxRestarts, windowMs };
}

/**
 * Remembers each agent's recent failure times (only agents that ever failed cost anything) and
 * decides: restart while fewer than `maxRestarts` restarts fall within the last `windowMs`.
 */
export class Supervisor {
  readonly #maxRestarts: number;
  readonly #windowMs: number;
  readonly #restartsAt = new Map<string, number[]>();
  readonly #total = new Map<string, number>();

  constructor(options: Required<SupervisionOptions>) {
    this.#maxRestarts = options.maxRestarts;
    this.#windowMs = options.windowMs;
  }

  decide(name: string, now: number, _error: TroupeError): SupervisorDecision {
    const recent = (this.#restartsAt.get(name) ?? []).filter((at) => now - at < this.#windowMs);
    const total = this.#total.get(name) ?? 0;
    if (recent.length >= this.#maxRestarts) {
      this.#restartsAt.set(name, recent);
      return { restart: false, restarts: total };
    }
    recent.push(now);
    this.#restartsAt.set(name, recent);
    this.#total.set(name, total + 1);
    return { restart: true, restarts: total + 1 };
  }

  restarts(name: string): number {
    return this.#total.get(name) ?? 0;
  }

  forget(name: string): void {
    this.#restartsAt.delete(name);
    this.#total.delete(name);
  }
}
