/**
 * Pool placement: 1,000 agents each running a 9-step run (5 model calls, 4 tool calls) at once,
 * on a 2-thread agent pool (worker threads) against inline in the coordinator thread. Two tools: a trivial one
 * (pure orchestration: the pool pays a batched round trip per lease, so inline should win) and a
 * CPU-bound one (~100 µs of work per call: the pool's second thread should pay off). The agent
 * definitions are exported from this module so pool workers can load them by specifier.
 */
import { createHash } from 'node:crypto';
import {
  type AgentDefinition,
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  type PlacementOption,
  systemClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing/doubles';
import { z } from 'zod';
import { figure, heading, ratio } from './lib/harness.js';

const AGENTS = 1_000;
const TOOL_CALLS = 4;
const STEPS = 2 * TOOL_CALLS + 1;
const ROUNDS = Number(process.env.BENCH_POOL_ROUNDS ?? 3);

function burn(iterations: number): string {
  let digest = 'seed';
  for (let i = 0; i < iterations; i++) digest = createHash('sha256').update(digest).digest('hex');
  return digest.slice(0, 8);
}

function stepper(cpu: boolean): AgentDefinition {
  const work = defineTool({
    name: 'work',
    description: 'Does the work',
    input: z.object({ a: z.number().int(), b: z.number().int() }),
    run: ({ a, b }) => (cpu ? `${a + b}:${burn(60)}` : String(a + b)),
  });
  const model = scriptedModel({
    record: false,
    steps: (_request, call) =>
      call.turn < TOOL_CALLS
        ? { toolCalls: [{ name: 'work', arguments: { a: call.turn, b: 1 } }] }
        : { text: 'done' },
  });
  return defineAgent({ name: 'stepper', instructions: 'Work.', model, tools: [work] });
}

/** Pool workers load these by module specifier and export name. */
export const light = (): AgentDefinition => stepper(false);
export const heavy = (): AgentDefinition => stepper(true);

async function stepsPerSecond(
  placement: PlacementOption,
  kind: 'light' | 'heavy',
): Promise<number> {
  const clock = systemClock;
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    placement,
  });
  try {
    const source = { module: import.meta.url, export: kind };
    const names = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
    await Promise.all(names.map((name) => team.spawn(source, { name })));
    let best = 0;
    for (let round = 0; round <= ROUNDS; round++) {
      const started = performance.now();
      const results = await Promise.all(names.map((name) => team.send(name, 'go')));
      const seconds = (performance.now() - started) / 1000;
      if (results.some((r) => r.status !== 'completed' || r.turns !== TOOL_CALLS + 1)) {
        throw new Error(
          `a ${kind} run did not complete: ${JSON.stringify(results.find((r) => r.status !== 'completed'))}`,
        );
      }
      if (round > 0) best = Math.max(best, (AGENTS * STEPS) / seconds); // round 0 warms up
    }
    return best;
  } finally {
    await team.close();
  }
}

export default async function poolBench(): Promise<void> {
  heading(
    `Pool placement: ${AGENTS.toLocaleString('en-US')} concurrent agents × ${STEPS} steps, 2 threads vs inline`,
  );
  const pool: PlacementOption = { pool: { threads: 2, agentsPerWorker: AGENTS / 2 } };
  const rows: [string, number, number][] = [];
  for (const kind of ['light', 'heavy'] as const) {
    const inline = await stepsPerSecond('inline', kind);
    const pooled = await stepsPerSecond(pool, kind);
    rows.push([kind, inline, pooled]);
    figure(`${kind} tool: inline`, `${Math.round(inline).toLocaleString('en-US')} steps/s`);
    figure(
      `${kind} tool: pool (2 threads)`,
      `${Math.round(pooled).toLocaleString('en-US')} steps/s`,
    );
  }
  for (const [kind, inline, pooled] of rows) {
    ratio(
      `pool (2 threads) / inline steps per second, ${kind === 'light' ? 'trivial tool' : 'CPU-bound tool'} (informational)`,
      pooled / inline,
    );
  }
}
