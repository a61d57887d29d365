import { invalidArgument } from '@troupe/core';
import { Pool } from 'undici';

/**
 * Default bound on keep-alive connections per origin.
 *
 * @example
 * ```ts
 * openaiCompatible({ baseURL, model, connections: DEFAULT_CONNECTIONS * 2 });
 * ```
 */
export const DEFAULT_CONNECTIONS = 20;

// One pool per origin for the whole process: every model instance (every agent) that talks to
// the same origin shares its keep-alive connections, so a team of 50 agents opens at most
// `connections` sockets to a provider instead of one per call.
const pools = new Map<string, Pool>();

/**
 * The shared keep-alive pool for `origin`, created on first use with `connections` as its
 * bound. Later callers share it whatever bound they ask for: the first one sets it. `origin` is
 * a bare http(s) origin (`https://host[:port]`, no path or trailing slash) and `connections` a
 * positive integer; anything else is `ERR_INVALID_ARGUMENT` and creates no pool.
 *
 * @example
 * ```ts
 * const pool = providerPool('https://api.openai.com');
 * ```
 */
export function providerPool(origin: string, connections: number = DEFAULT_CONNECTIONS): Pool {
  let pool = pools.get(origin);
  if (pool === undefined) {
    // Checked only when a pool is made: the lookup above is on every request's path.
    checkOrigin(origin);
    if (!Number.isInteger(connections) || connections < 1)
      throw invalidArgument('connections must be a positive integer', { connections });
    pool = new Pool(origin, { connections, pipelining: 1 });
    pools.set(origin, pool);
  }
  return pool;
}

/**
 * Closes every shared pool (waiting for in-flight requests) so a test or a process can exit
 * cleanly. Models keep working afterwards: the next request opens a fresh pool.
 *
 * @example
 * ```ts
 * afterAll(() => closeProviderPools());
 * ```
 */
export async function closeProviderPools(): Promise<void> {
  const closing = [...pools.values()];
  pools.clear();
  await Promise.all(closing.map((pool) => pool.close()));
}

/**
 * Destroys every shared pool at once, aborting requests in flight. For shutdown paths that
 * cannot wait.
 *
 * @example
 * ```ts
 * process.on('SIGTERM', () => void destroyProviderPools());
 * ```
 */
export async function destroyProviderPools(): Promise<void> {
  const closing = [...pools.values()];
  pools.clear();
  await Promise.all(closing.map((pool) => pool.destroy()));
}

function checkOrigin(origin: unknown): void {
  let url: URL | undefined;
  try {
    url = typeof origin === 'string' ? new URL(origin) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.origin !== origin || !/^https?:$/.test(url.protocol)) {
    throw invalidArgument('origin must be an http(s) origin such as https://api.openai.com', {
      origin,
    });
  }
}
