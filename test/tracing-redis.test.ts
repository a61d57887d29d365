// Tracing across processes on Redis: this process posts a task to agent `coder`'s mailbox on
// the Redis bus from inside a span, with its trace context in the message (MailEnvelope.trace);
// a child process hosting `coder` picks it up and its run continues that trace. The child runs
// the built packages: build first (`npx tsc -p packages/core/tsconfig.build.json` and redis's).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  createRateLimiter,
  createTeam,
  defineAgent,
  inboxTopic,
  type MailEnvelope,
  systemClock,
  traceparent,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import {
  createRedisBus,
  createRedisDirectory,
  createRedisSessionStore,
  createRedisSharedState,
} from '@troupe/redis';
import { startRedisServer, type TestRedisServer } from '@troupe/redis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncContextManager } from './fixtures/tracing/context-manager.js';
import { isChildOf, only } from './fixtures/tracing/spans.js';

const host = fileURLToPath(new URL('./fixtures/tracing/redis-host.js', import.meta.url));

const HOST_TTL_MS = 10_000;

/** Asks `coder` (hosted by the other process in the distributed test), then answers. */
const lead = defineAgent({
  name: 'lead',
  instructions: 'Plan the work.',
  model: scriptedModel({
    id: 'openai:gpt-4o-mini',
    steps: (_request, call) =>
      call.turn === 0
        ? {
            toolCalls: [
              { name: 'ask_agent', arguments: { agent: 'coder', task: 'Estimate a.ts' } },
            ],
          }
        : { text: `Plan: ${call.toolResults[0]?.content ?? ''}` },
  }),
});

interface ChildSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
}

let server: TestRedisServer;
beforeAll(async () => {
  for (const pkg of ['core', 'redis']) {
    const dist = fileURLToPath(new URL(`../packages/${pkg}/dist/index.js`, import.meta.url));
    if (!existsSync(dist))
      throw new Error(
        `packages/${pkg}/dist is missing: run \`npx tsc -p packages/${pkg}/tsconfig.build.json\``,
      );
  }
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

/**
 * Starts the child; `ready` resolves once it hosts `coder`, `spans` with its JSON line; `close`
 * tells it to close and resolves when it has exited.
 */
function startHost(team: string, mode: 'bus' | 'distributed') {
  const child = spawn(process.execPath, [host, server.url, team, mode], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let onSpans: (value: { status: string; spans: ChildSpan[] }) => void = () => {};
  const spans = new Promise<{ status: string; spans: ChildSpan[] }>((resolve) => {
    onSpans = resolve;
  });
  child.stdout.on('data', () => {
    const lines = stdout.split('\n');
    lines.pop(); // not a whole line yet
    const line = lines.find((l) => l.startsWith('{'));
    if (line !== undefined) onSpans(JSON.parse(line));
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`host exited ${code}: ${stderr || stdout}`));
    });
  });
  return {
    ready: Promise.race([ready, exited]),
    spans: Promise.race([spans, exited.then(() => Promise.reject(new Error('host exited early')))]),
    close: () => {
      child.stdin.end('close\n');
      return exited;
    },
  };
}

describe('tracing across processes on Redis', () => {
  it("a task posted from inside a span continues that trace in the agent's process", async () => {
    const team = 'traced';
    const child = startHost(team, 'bus');
    await child.ready;

    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const bus = createRedisBus({ redis: server.url, clock: systemClock, team });
    try {
      const dispatch = provider.getTracer('dispatcher').startSpan('dispatch task');
      const traced = traceparent(trace.setSpan(ROOT_CONTEXT, dispatch));
      expect(traced).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const body: MailEnvelope = {
        kind: 'send',
        id: 'task-1',
        text: 'Estimate a.ts',
        trace: traced!,
      };
      await bus.post(inboxTopic('coder'), { from: 'dispatcher', body });
      dispatch.end();
    } finally {
      await bus.close();
    }

    const { status, spans } = await child.spans;
    await child.close();
    expect(status).toBe('completed');
    const [dispatched] = exporter.getFinishedSpans();
    const run = spans.find((s) => s.name === 'invoke_agent coder');
    expect(run).toBeDefined();
    // The other process's run span: same trace, parent = the span that posted the task.
    expect(run?.traceId).toBe(dispatched?.spanContext().traceId);
    expect(run?.parentSpanId).toBe(dispatched?.spanContext().spanId);
    expect(run?.attributes).toMatchObject({
      'troupe.team.id': team,
      'troupe.run.status': 'completed',
    });
    // ...and the trace goes on inside it: turns, the model calls, the claim.
    const turns = spans.filter((s) => s.name === 'troupe.turn');
    expect(turns.map((t) => t.parentSpanId)).toEqual([run?.spanId, run?.spanId]);
    const claim = spans.find((s) => s.name === 'troupe.claim');
    const claimCall = spans.find((s) => s.name === 'execute_tool claim_region');
    expect(claim?.parentSpanId).toBe(claimCall?.spanId);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([run?.traceId]));
  }, 60_000);

  it('in a distributed team, an ask from an agent here to one in another process is its parent', async () => {
    context.setGlobalContextManager(new AsyncContextManager());
    const team = 'traced-crew';
    const child = startHost(team, 'distributed');
    await child.ready;

    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const clock = systemClock;
    const options = { redis: server.url, clock, team };
    const bus = createRedisBus(options);
    const state = createRedisSharedState(options);
    const store = createRedisSessionStore({ redis: server.url, team });
    const directory = createRedisDirectory({ ...options, hostTtlMs: HOST_TTL_MS });
    const crew = createTeam({
      id: team,
      clock,
      state,
      limiter: createRateLimiter({ clock, rules: [] }),
      bus,
      store,
      distributed: { directory, hostId: 'lead-host', hostTtlMs: HOST_TTL_MS },
      tracing: { tracerProvider: provider },
    });
    try {
      await crew.spawn(lead, { name: 'lead' });
      const result = await provider
        .getTracer('app')
        .startActiveSpan('handle request', async (span) => {
          try {
            return await crew.send('lead', 'Plan the sprint');
          } finally {
            span.end();
          }
        });
      expect(result).toMatchObject({ status: 'completed' });
      expect(result.text).toContain('3 days'); // the answer came back from the other process
    } finally {
      await crew.close();
      await Promise.all([bus.close(), state.close(), store.close(), directory.close()]);
      context.disable();
    }
    const { spans: remote } = await child.spans;
    await child.close();

    const local = exporter.getFinishedSpans();
    const request = only(local, 'handle request');
    const ask = only(local, 'execute_tool ask_agent');
    expect(isChildOf(only(local, 'invoke_agent lead'), request)).toBe(true);
    const coderRun = remote.find((s) => s.name === 'invoke_agent coder');
    expect(coderRun?.traceId).toBe(ask.spanContext().traceId);
    expect(coderRun?.parentSpanId).toBe(ask.spanContext().spanId);
    expect(new Set(remote.map((s) => s.traceId))).toEqual(new Set([request.spanContext().traceId]));
  }, 60_000);
});
