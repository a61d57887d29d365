// Residency: how many agents a team keeps live (idle TTL, most live actors), and its counters.
// The options are checked here once, for createTeam; the session placement trusts them.
import { invalidArgument } from '../errors.js';

/**
 * How many agents a team keeps live. Both off by default: every agent stays live.
 *
 * @example
 * ```ts
 * createTeam({ ...services, store, idleTtlMs: 600_000, maxActive: 100 });
 * ```
 */
export interface ResidencyOptions {
  /** An agent idle this long is saved and its actor stopped; its next message brings it back. */
  readonly idleTtlMs?: number;
  /** At most this many live actors: the least recently used idle ones are passivated first. */
  readonly maxActive?: number;
}

/**
 * Live and passive agents, and how sends found them.
 *
 * @example
 * ```ts
 * const { live, passive, hits, misses, evictions } = team.residency();
 * ```
 */
export interface ResidencyStats {
  /** Agents with a live actor. */
  readonly live: number;
  /** Agents saved and stopped, brought back by their next message. */
  readonly passive: number;
  /** Sends that found their agent live. */
  readonly hits: number;
  /** Sends that had to bring their agent back from its session. */
  readonly misses: number;
  /** Agents passivated so far (idle TTL or the `maxActive` bound). */
  readonly evictions: number;
  /** Agents restored from a stored session at spawn (resume). */
  readonly resumed: number;
}

/**
 * Checks the residency options of a team once, naming the option: `idleTtlMs` and `maxActive`
 * are read from `options` (other fields are ignored), and both need a session store
 * (`hasStore`), since passivated agents live in their sessions.
 *
 * @example
 * ```ts
 * const residency = validateResidency({ idleTtlMs: 60_000, maxActive: 100 }, true);
 * ```
 */
export function validateResidency(
  options: ResidencyOptions | undefined,
  hasStore = true,
): ResidencyOptions {
  if (options === undefined) return {};
  const { idleTtlMs, maxActive } = options;
  if (idleTtlMs !== undefined && !(Number.isFinite(idleTtlMs) && idleTtlMs > 0)) {
    throw invalidArgument('idleTtlMs must be a positive finite number', { idleTtlMs });
  }
  if (maxActive !== undefined && !(Number.isSafeInteger(maxActive) && maxActive >= 1)) {
    throw invalidArgument('maxActive must be a positive integer', { maxActive });
  }
  if (!hasStore && (idleTtlMs !== undefined || maxActive !== undefined)) {
    throw invalidArgument(
      'idleTtlMs and maxActive need a store (passivated agents live in their sessions)',
    );
  }
  return {
    ...(idleTtlMs === undefined ? {} : { idleTtlMs }),
    ...(maxActive === undefined ? {} : { maxActive }),
  };
}
