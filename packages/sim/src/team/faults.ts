import { type Clock, type ModelRequest, type Rng, TroupeError } from '@troupe/core';
import { sleep } from '../internal/sleep.js';
import type { TeamScenario } from './team-scenario.js';

const MAX_ATTEMPTS = 6;

const FAULT_CODES = {
  rate_limited: 'ERR_PROVIDER_RATE_LIMITED',
  server_error: 'ERR_PROVIDER_UNAVAILABLE',
  timeout: 'ERR_TIMEOUT',
  outage: 'ERR_PROVIDER_UNAVAILABLE',
} as const;

/**
 * Injects the scenario's faults into one model call, before it is answered: a crash fails the
 * call at once; a 429, 5xx, timeout or backend outage is reported through `failed` and retried
 * (429s after 1-5 s, fed to the limiter; 5xx and outages with jittered exponential backoff;
 * timeouts after `timeoutMs`), at most six attempts, as a provider client would. Draws come from
 * `rng` in a fixed order, so the same seed injects the same faults.
 */
export function faultInjector(options: {
  agent: string;
  faults: TeamScenario['faults'];
  clock: Clock;
  rng: Rng;
  failed: (code: string, fault: string) => void;
}): (request: ModelRequest) => Promise<void> {
  const { agent, faults: f, clock, rng, failed } = options;
  return async (request: ModelRequest): Promise<void> => {
    if (f.crash > 0 && rng.next() < f.crash) {
      failed('ERR_INTERNAL', 'crash');
      throw new TroupeError('ERR_INTERNAL', `injected crash of agent ${agent}`);
    }
    for (let attempt = 0; ; attempt++) {
      const now = clock.now();
      const roll = rng.next();
      let fault: keyof typeof FAULT_CODES | undefined;
      if (f.outages.some((o) => o.from <= now && now < o.to)) fault = 'outage';
      else if (roll < f.rateLimited) fault = 'rate_limited';
      else if (roll < f.rateLimited + f.serverError) fault = 'server_error';
      else if (roll < f.rateLimited + f.serverError + f.timeout) fault = 'timeout';
      if (fault === undefined) return;
      const code = FAULT_CODES[fault];
      failed(code, fault);
      if (attempt + 1 >= MAX_ATTEMPTS)
        throw new TroupeError(code, `injected ${fault}, ${MAX_ATTEMPTS} attempts`);
      let waitMs: number;
      if (fault === 'rate_limited') {
        waitMs = rng.int(1_000, 5_000);
        request.onRateLimit?.({ retryAfterMs: waitMs });
      } else if (fault === 'timeout') waitMs = f.timeoutMs;
      else waitMs = Math.round(500 * 2 ** attempt * (0.5 + rng.next()));
      await sleep(clock, waitMs, request.signal);
    }
  };
}
