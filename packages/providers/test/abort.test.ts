import type { ModelRequest } from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import type { FakeModelServer } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

// An aborted call must settle promptly (the bound is 50 ms). The test checks the
// behaviour that makes the bound hold, deterministically: the call settles before the event loop
// takes another turn, so no I/O, no timer, nothing but promise continuations stands between
// abort() and the rejection. The wall time itself is measured in benchmarks/src/abort.bench.ts
// against the 50 ms bound: a timed assertion has no place in a test on a shared machine.

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

/** Aborts `controller` and reports how `call` settled. */
async function abortAndSettle(
  controller: AbortController,
  call: Promise<unknown>,
): Promise<{ error: unknown; beforeNextTurn: boolean }> {
  const settled = call.then(
    () => undefined,
    (error: unknown) => error,
  );
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  controller.abort(new Error('user pressed stop'));
  const error = await settled;
  return { error, beforeNextTurn: !turned };
}

for (const [name, make] of Object.entries(makers)) {
  describe(`${name}: abort`, () => {
    it('settles a stalled stream with ERR_ABORTED before the next event-loop turn and closes its socket', async () => {
      server.reply({ text: 'streaming then silence', fault: { kind: 'stall', afterEvents: 5 } });
      const controller = new AbortController();
      let first!: () => void;
      const gotDelta = new Promise<void>((resolve) => {
        first = resolve;
      });
      const call = make().generate(ask({ signal: controller.signal, onDelta: () => first() }));
      await gotDelta;
      const outcome = await abortAndSettle(controller, call);
      expect(outcome.error).toMatchObject({ code: 'ERR_ABORTED' });
      expect((outcome.error as Error).cause).toMatchObject({ message: 'user pressed stop' });
      expect(outcome.beforeNextTurn).toBe(true);
      await server.waitUntil(() => server.socketsOpen === 0);
    });

    it('settles a call still waiting for its first byte before the next event-loop turn', async () => {
      server.reply({ text: 'late', fault: { kind: 'slow-first-byte', delayMs: 60_000 } });
      const controller = new AbortController();
      const call = make().generate(ask({ signal: controller.signal }));
      await server.waitUntil(() => server.requests.length === 1);
      const outcome = await abortAndSettle(controller, call);
      expect(outcome.error).toMatchObject({ code: 'ERR_ABORTED' });
      expect(outcome.beforeNextTurn).toBe(true);
      await server.waitUntil(() => server.socketsOpen === 0);
    });

    it('settles a call waiting out a retry-after before the next event-loop turn, without retrying', async () => {
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
      const outcome = await abortAndSettle(controller, call);
      expect(outcome.error).toMatchObject({ code: 'ERR_ABORTED' });
      expect(outcome.beforeNextTurn).toBe(true);
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
      await abortAndSettle(controller, call);
      expect((await model.generate(ask())).text).toBe('next call');
    });
  });
}
