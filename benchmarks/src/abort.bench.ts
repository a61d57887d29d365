/**
 * An aborted provider call settles within 50 ms: the wall time from `abort()` to the call's
 * rejection with `ERR_ABORTED`, for `openaiCompatible` and `anthropic` against the fake model
 * server on 127.0.0.1, in the two states a call waits in: a stream stalled after its first
 * deltas, and a request still waiting for its first byte. {@link SAMPLES} aborts per case; the
 * goal is on the p99 of all of them against the bound. (The provider tests check the behaviour
 * that makes the bound hold: the call settles before the event loop takes another turn.)
 */
import { performance } from 'node:perf_hooks';
import type { Model, ModelRequest } from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import { createFakeModelServer, type FakeModelServer } from '@troupe/providers/testing';
import { figure, heading, ratio } from './lib/harness.js';

const BOUND_MS = 50;
const SAMPLES = 40;

type Case = 'stalled stream' | 'before first byte';

/** Starts a call in the given waiting state, aborts it, and returns ms from abort to settle. */
async function abortOnce(server: FakeModelServer, model: Model, kind: Case): Promise<number> {
  const controller = new AbortController();
  let call: Promise<unknown>;
  if (kind === 'stalled stream') {
    server.reply({ text: 'streaming then silence', fault: { kind: 'stall', afterEvents: 5 } });
    let first!: () => void;
    const gotDelta = new Promise<void>((resolve) => {
      first = resolve;
    });
    call = model.generate(request(controller.signal, () => first()));
    await gotDelta;
  } else {
    const before = server.requests.length;
    server.reply({ text: 'late', fault: { kind: 'slow-first-byte', delayMs: 60_000 } });
    call = model.generate(request(controller.signal));
    await server.waitUntil(() => server.requests.length > before);
  }
  const settled = call.then(
    () => new Error('the aborted call answered'),
    (error: unknown) => error,
  );
  const start = performance.now();
  controller.abort(new Error('benchmark abort'));
  const error = await settled;
  const ms = performance.now() - start;
  if ((error as { code?: unknown }).code !== 'ERR_ABORTED') {
    throw new Error(`an aborted call settled with ${String(error)}`);
  }
  // Not awaited: the server notices the closed socket some seconds later, which is no part of
  // what the caller waits for.
  return ms;
}

function request(signal: AbortSignal, onDelta?: () => void): ModelRequest {
  return {
    messages: [{ role: 'user', content: 'hi' }],
    tools: [],
    signal,
    ...(onDelta === undefined ? {} : { onDelta }),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

export default async function abortBench(): Promise<void> {
  heading(`abort() to ERR_ABORTED on a provider call, ${SAMPLES} aborts per case`);
  const server = await createFakeModelServer();
  const all: number[] = [];
  try {
    const models: Record<string, Model> = {
      openaiCompatible: openaiCompatible({ baseURL: server.openaiBaseURL, model: 'm' }),
      anthropic: anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'k', model: 'm' }),
    };
    for (const [name, model] of Object.entries(models)) {
      for (const kind of ['stalled stream', 'before first byte'] as const) {
        await abortOnce(server, model, kind); // warm-up
        const ms: number[] = [];
        for (let i = 0; i < SAMPLES; i++) ms.push(await abortOnce(server, model, kind));
        ms.sort((a, b) => a - b);
        all.push(...ms);
        figure(
          `${name}, ${kind}`.padEnd(36),
          `p50 ${percentile(ms, 0.5).toFixed(3)} ms, p99 ${percentile(ms, 0.99).toFixed(3)} ms, max ${(ms.at(-1) ?? 0).toFixed(3)} ms`,
        );
      }
    }
  } finally {
    await closeProviderPools();
    await server.close();
  }
  all.sort((a, b) => a - b);
  ratio(`abort to settle, p99 of all / ${BOUND_MS} ms bound`, percentile(all, 0.99) / BOUND_MS, {
    max: 1,
  });
}
