// Tracing across processes on Redis: this process posts a task to agent `coder`'s mailbox on
// the Redis bus from inside a span, with its trace context in the message (MailEnvelope.trace);
// a child process hosting `coder` picks it up and its run continues that trace. The child runs
// the built packages: build first (`npx tsc -p packages/core/tsconfig.build.json` and redis's).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { inboxTopic, type MailEnvelope, systemClock, traceparent } from '@troupe/core';
import { createRedisBus } from '@troupe/redis';
import { startRedisServer, type TestRedisServer } from '@troupe/redis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const host = fileURLToPath(new URL('./fixtures/tracing/redis-host.js', import.meta.url));

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

/** Starts the child; resolves `ready` once it hosts `coder`, `output` with its JSON line. */
function startHost(team: string) {
  const child = spawn(process.execPath, [host, server.url, team], {
    stdio: ['ignore', 'pipe', 'pipe'],
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
  const output = new Promise<{ status: string; spans: ChildSpan[] }>((resolve, reject) => {
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined)
        reject(new Error(`host exited ${code}: ${stderr || stdout}`));
      else resolve(JSON.parse(line));
    });
  });
  return { ready: Promise.race([ready, output.then(() => undefined)]), output };
}

describe('tracing across processes on Redis', () => {
  it("a task posted from inside a span continues that trace in the agent's process", async () => {
    const team = 'traced';
    const child = startHost(team);
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

    const { status, spans } = await child.output;
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
  });
});
