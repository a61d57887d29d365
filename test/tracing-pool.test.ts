// Tracing across the pool boundary: agents run in piscina workers, their events cross to the
// coordinator, and the trace context of an `ask_agent` travels in the mail to the asked agent's
// worker. The workers run the built packages: build first (`npx tsc -p packages/core/tsconfig.build.json`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  SimulatedClock,
} from '@troupe/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncContextManager } from './fixtures/tracing/context-manager.js';
import { children, isChildOf, only } from './fixtures/tracing/spans.js';

const agents = fileURLToPath(new URL('./fixtures/tracing/agents.js', import.meta.url));

beforeAll(() => {
  const dist = fileURLToPath(new URL('../packages/core/dist/index.js', import.meta.url));
  if (!existsSync(dist))
    throw new Error(
      'packages/core/dist is missing: run `npx tsc -p packages/core/tsconfig.build.json`',
    );
  context.setGlobalContextManager(new AsyncContextManager());
});
afterAll(() => context.disable());

describe('tracing a pool team', () => {
  it('parent links cross the pool boundary: send -> lead (worker 1) -> ask -> coder (worker 2)', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const clock = new SimulatedClock();
    const team = createTeam({
      id: 'pool-crew',
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
      // One agent per host: lead and coder run in different workers.
      placement: { pool: { threads: 2, agentsPerWorker: 1 } },
      tracing: { tracerProvider: provider },
    });
    try {
      await team.spawn({ module: agents, export: 'lead' }, { name: 'lead' });
      await team.spawn({ module: agents, export: 'coder' }, { name: 'coder' });
      const app = provider.getTracer('app');
      const result = await app.startActiveSpan('handle request', async (span) => {
        try {
          return await team.send('lead', 'Plan the sprint');
        } finally {
          span.end();
        }
      });
      expect(result).toMatchObject({ status: 'completed' });
      expect(result.text).toContain('3 days');
      await team.settled();
    } finally {
      await team.close();
    }

    const spans = exporter.getFinishedSpans();
    const request = only(spans, 'handle request');
    const leadRun = only(spans, 'invoke_agent lead');
    const ask = only(spans, 'execute_tool ask_agent');
    const coderRun = only(spans, 'invoke_agent coder');
    expect(isChildOf(leadRun, request)).toBe(true); // into the first worker
    expect(isChildOf(coderRun, ask)).toBe(true); // from one worker to the other
    expect(children(spans, coderRun)).toEqual(['troupe.turn', 'troupe.turn']);
    expect(children(spans, only(spans, 'execute_tool claim_region'))).toEqual(['troupe.claim']);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(leadRun.attributes).toMatchObject({
      'troupe.team.id': 'pool-crew',
      'gen_ai.agent.name': 'lead',
      'troupe.run.status': 'completed',
    });
    const chats = spans.filter((s) => s.name === 'chat claude-sonnet-4');
    expect(chats.map((s) => s.attributes['gen_ai.provider.name'])).toEqual([
      'anthropic',
      'anthropic',
    ]);
  });

  it("a run whose worker died without reporting its end is ended by the agent's next run", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const clock = new SimulatedClock();
    const team = createTeam({
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
      placement: { pool: { threads: 2, agentsPerWorker: 1 } },
      supervision: { maxRestarts: 1, windowMs: 60_000 },
      tracing: { tracerProvider: provider },
    });
    try {
      await team.spawn({ module: agents, export: 'crasher' }, { name: 'crasher' });
      const back = new Promise<void>((resolve) => team.on('agent.restarted', () => resolve()));
      expect(await team.send('crasher', 'crash')).toMatchObject({ status: 'failed' });
      await back;
      expect(await team.send('crasher', 'hello')).toMatchObject({ status: 'completed' });
      const runs = exporter.getFinishedSpans().filter((s) => s.name === 'invoke_agent crasher');
      expect(runs.map((s) => s.status.message)).toEqual(['no end reported', undefined]);
    } finally {
      await team.close();
    }
  });
});
