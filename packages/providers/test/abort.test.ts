import { performance } from 'node:perf_hooks';
import type { ModelRequest } from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import type { FakeModelServer } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

// The behavioural bound: an aborted call settles within 50 ms. Measured on real time
// from `abort()` to the rejection being observed; the bound is the requirement itself, not a
// performance target (the settle is synchronous on abort, typically well under 1 ms).
const ABORT_BOUND_MS = 50;

let server: FakeModelServer;
beforeEach(async () => {
  server = await createFakeModelServer();
});
afterEach(() => server.close());
afterAll(() => closeProviderPools());

const makers = {
  openai: (options: Record<string, unknown> = {}) =>
    openaiCompatible({ baseURL: server.openaiBaseURL, model: 'm', ...options }),
  anthropic: (options: Record<string, unknown> = {}) =>
    anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'k', model: 'm', ...options }),
};

const ask = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: 'user', content: 'hi' }],
  tools: [],
  ...extra,
});

/** Aborts `controller` and measures how long `call` takes to settle. */
async function abortAndTime(
  controller: AbortController,
  call: Promise<unknown>,
): Promise<{ error: unknown; ms: number }> {
  const settled = call.then(
    () => undefined,
    (error: unknown) => error,
  );
  const start = performance.now();
  controller.abort(new Error('user pressed stop'));
  const error = await settled;
  return { error, ms: performance.now() - start };
}

for (const [name, make] of Object.entries(makers)) {
  describe(`${name}: abort`, () => {
    it('settles a stalled stream with ERR_ABORTED within the bound and closes its socket', async () => {
      server.reply({ text: 'streaming then silence', fault: { kind: 'stall', afterEvents: 5 } });
      const controller = new AbortController();
      let first!: () => void;
      const gotDelta = new Promise<void>((resolve) => {
        first = resolve;
      });
      const call = make().generate(ask({ signal: controller.signal, onDelta: () => first() }));
      await gotDelta;
      const { error, ms } = await abortAndTime(controller, call);
      expect(error).toMatchObject({ code: 'ERR_ABORTED' });
      expect((error as Error).cause).toMatchObject({ message: 'user pressed stop' });
      expect(ms).toBeLessThan(ABORT_BOUND_MS);
      await server.waitUntil(() => server.socketsOpen === 0);
    });

    it('settles a call still waiting for its first byte within the bound', async () => {
      server.reply({ text: 'late', fault: { kind: 'slow-first-byte', delayMs: 60_000 } });
      const controller = new AbortController();
      const call = make().generate(ask({ signal: controller.signal }));
      await server.waitUntil(() => server.requests.length === 1);
      const { error, ms } = await abortAndTime(controller, call);
      expect(error).toMatchObject({ code: 'ERR_ABORTED' });
      expect(ms).toBeLessThan(ABORT_BOUND_MS);
      await server.waitUntil(() => server.socketsOpen === 0);
    });

    it('settles a call waiting out a retry-after within the bound, without retrying', async () => {
      server.reply(
        { fault: { kind: 'status', status: 429, retryAfter: '30' } },
        { text: 'unused' },
      );
      const controller = new AbortController();
      let waiting!: () => void;
      const retrying = new Promise<void>((resolve) => {
        waiting = resolve;
      });
      const call = make({ onRetry: () => waiting() }).generate(ask({ signal: controller.signal }));
      await retrying;
      const { error, ms } = await abortAndTime(controller, call);
      expect(error).toMatchObject({ code: 'ERR_ABORTED' });
      expect(ms).toBeLessThan(ABORT_BOUND_MS);
      expect(server.requests.length).toBe(1);
    });

    it('rejects an already aborted signal without sending anything', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(make().generate(ask({ signal: controller.signal }))).rejects.toMatchObject({
        code: 'ERR_ABORTED',
      });
      expect(server.requests.length).toBe(0);
    });

    it('frees the connection: a one-connection pool serves the next call after an abort', async () => {
      server.reply(
        { text: 'stalls', fault: { kind: 'stall', afterEvents: 5 } },
        { text: 'next call' },
      );
      const model = make({ connections: 1 });
      const controller = new AbortController();
      let first!: () => void;
      const gotDelta = new Promise<void>((resolve) => {
        first = resolve;
      });
      const call = model.generate(ask({ signal: controller.signal, onDelta: () => first() }));
      await gotDelta;
      await abortAndTime(controller, call);
      expect((await model.generate(ask())).text).toBe('next call');
    });
  });
}
