import { nanoid } from 'nanoid';
import { checkOptionNames } from './backend/validate.js';
import { invalidArgument } from './errors.js';

const ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict';

/**
 * A small, fast, seedable PRNG (sfc32). Same seed, same sequence, on every platform.
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * const roll = rng.next();      // in [0, 1)
 * const pick = rng.int(0, 9);   // integer in [0, 9]
 * ```
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** A new generator whose sequence is derived from this one (for per-agent streams). */
  fork(): Rng;
}

/**
 * Creates an {@link Rng}. The seed is any integer, or a string (hashed).
 *
 * @example
 * ```ts
 * const a = createRng('team-1');
 * const b = createRng('team-1');
 * a.next() === b.next(); // true
 * ```
 */
export function createRng(seed: number | string): Rng {
  let h = typeof seed === 'string' ? hashString(seed) : seed >>> 0;
  // Spread the seed's bits over the four words of state.
  let a = 0x9e3779b9 ^ h;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  let b = 0x243f6a88 ^ h;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  let c = 0xb7e15162 ^ h;
  let d = 1;
  const nextU32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextU32();
  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int: (min, max) => min + Math.floor((nextU32() / 4294967296) * (max - min + 1)),
    fork: () => createRng(nextU32()),
  };
  return rng;
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Makes ids. Unseeded, it is nanoid (random, URL-safe). Seeded, ids come from a
 * deterministic PRNG with the same alphabet, so a simulation is reproducible byte for byte.
 *
 * @example
 * ```ts
 * const ids = createIds({ seed: 7 });
 * ids.next('run'); // 'run_…' — the same string for seed 7, every time
 * ```
 */
export interface IdGenerator {
  /** A new id of `size` characters (default 21), optionally as `${prefix}_${id}`. */
  next(prefix?: string, size?: number): string;
}

/**
 * Creates an {@link IdGenerator}: random (nanoid) without a seed, deterministic with one.
 * `seed` is a finite number or a string; anything else (a bigint, say) and any unknown option
 * is refused with `ERR_INVALID_ARGUMENT` naming it, as is a `size` outside 1-1024 in `next`.
 *
 * @example
 * ```ts
 * const ids = createIds();
 * ids.next('team', 12); // 'team_V1StGXR8_Z5j'
 * ```
 */
export function createIds(options: { seed?: number | string } = {}): IdGenerator {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgument('options must be an object', { options });
  }
  checkOptionNames(options as Record<string, unknown>, ID_OPTIONS, 'createIds');
  const { seed } = options;
  if (
    seed !== undefined &&
    !(typeof seed === 'string' || (typeof seed === 'number' && Number.isFinite(seed)))
  ) {
    throw invalidArgument('options.seed must be a finite number or a string', {
      seed: typeof seed === 'bigint' ? `${String(seed)}n` : seed,
    });
  }
  const rng = seed === undefined ? undefined : createRng(seed);
  return {
    next(prefix, size = 21) {
      if (prefix !== undefined && typeof prefix !== 'string') {
        throw invalidArgument('prefix must be a string', { prefix });
      }
      if (!(Number.isSafeInteger(size) && size > 0 && size <= MAX_ID_SIZE)) {
        throw invalidArgument(`size must be an integer from 1 to ${MAX_ID_SIZE}`, { size });
      }
      if (rng === undefined) return prefix ? `${prefix}_${nanoid(size)}` : nanoid(size);
      let id = '';
      for (let i = 0; i < size; i++) id += ALPHABET[(rng.next() * 64) | 0];
      return prefix ? `${prefix}_${id}` : id;
    },
  };
}

const ID_OPTIONS: ReadonlySet<string> = new Set(['seed']);
const MAX_ID_SIZE = 1_024;
