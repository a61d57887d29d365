/**
 * Long-lived agents under a context policy (issue 17): one agent takes 10,000 messages, one run
 * each, with a budget of 2,500 input tokens and summaries on.
 *
 * - Input tokens per call, as the model counts them: the mean over calls 100-199 against the
 *   mean over calls 10,000-10,099. Between compactions the view grows, then drops back (a
 *   sawtooth of about 25 calls here), so each figure is a mean over several periods.
 * - CPU per call (`process.cpuUsage`, user + system): the same two ranges, one send each, the
 *   whole round trip (mailbox, lease, view, model), the fastest of five blocks of 20 calls. On
 *   a team without a store: the SQLite store writes from a worker thread of the same process,
 *   and its CPU is the store's, not the view's.
 * - Heap of an agent with a SQLite session store: the live data on the heap (a heap snapshot's
 *   objects, without JIT code and VM internals, see lib/live-heap.ts) with the agents, less the
 *   same after they are stopped (the team, its bus and its session log stay), per agent: 4
 *   agents after 100 messages each against 4 agents after 10,000 each; every save durable
 *   first. (`heapUsed` swings by tens of KiB with compiled code and leftover garbage, more than
 *   an agent holds.)
 *
 * The model answers at once and counts its input cheaply (characters / 4 plus 4 a message), so
 * what grows with the conversation is the runtime's own work. Informational: the same agent with
 * no policy, input tokens at call 1,000 over call 100 (the growth a policy removes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Clock,
  type ContextOptions,
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  DEFAULT_SUMMARY_INSTRUCTIONS,
  defineAgent,
  type Model,
  type ModelRequest,
  SimulatedClock,
  systemClock,
  type Team,
} from '@troupe/core';
import { createSqliteSessionStore } from '@troupe/sqlite';
import { figure, heading, ratio } from './lib/harness.js';
import { liveHeapBytes } from './lib/live-heap.js';

const BUDGET = 2_500;
const EARLY = 100;
const LATE = 10_000;
const SPAN = 100;
const BLOCK = 20;

/** Input tokens the way a provider would count them, cheaply. */
function count(request: ModelRequest): number {
  let chars = (request.system ?? '').length + 3_200; // the team tools' schemas
  for (const message of request.messages) chars += message.content.length + 16;
  return Math.ceil(chars / 4);
}

interface Counting extends Model {
  /** Input tokens of each agent call, in order. */
  readonly inputs: number[];
  summaries: number;
}

/** `record: false` keeps no per-call figures (the heap figures must not count the bench's own). */
function countingModel(record = true): Counting {
  const inputs: number[] = [];
  let calls = 0;
  const model: Counting = {
    id: 'bench',
    inputs,
    summaries: 0,
    async generate(request) {
      const inputTokens = count(request);
      const summary = request.system === DEFAULT_SUMMARY_INSTRUCTIONS;
      if (summary) model.summaries++;
      else if (record) inputs.push(inputTokens);
      const text = summary
        ? 'The user reported numbered figures; each was acknowledged and filed.'
        : `Filed ${++calls}.`;
      return { text, toolCalls: [], usage: { inputTokens, outputTokens: 8 }, stopReason: 'end' };
    },
  };
  return model;
}

/** A team on the system clock, with a SQLite session store in `dir` (closed with the team). */
function makeTeam(
  dir: string | undefined,
  name: string,
  clock: Clock = systemClock,
): { team: Team; close(): Promise<void> } {
  const store = dir === undefined ? undefined : createSqliteSessionStore({ path: join(dir, name) });
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    ...(store === undefined ? {} : { store }),
  });
  return {
    team,
    async close() {
      await team.close();
      await store?.close();
    },
  };
}

const message = (i: number) =>
  `Figure ${i}: ${(i * 7919) % 10_007} units shipped to depot ${i % 17}.`;

/** Sends messages `from..to` (inclusive); returns the CPU microseconds they took. */
async function send(team: Team, from: number, to: number, name = 'ada'): Promise<number> {
  const start = process.cpuUsage();
  for (let i = from; i <= to; i++) {
    const result = await team.send(name, message(i));
    if (result.status !== 'completed') throw new Error(`message ${i}: ${result.status}`);
  }
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/**
 * CPU per call over messages `from..from + SPAN - 1`, in blocks: the fastest block's figure
 * (this machine is shared; a load spike or a GC would otherwise land on one side only).
 */
async function cpuPerCall(team: Team, from: number): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let at = from; at < from + SPAN; at += BLOCK)
    best = Math.min(best, (await send(team, at, at + BLOCK - 1)) / BLOCK);
  return best;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Live heap data per agent after `messages` messages each: with the agents, less without. */
async function agentHeap(
  dir: string,
  messages: number,
  agents: number,
  context: ContextOptions,
): Promise<number> {
  // A simulated clock that never moves: no flush timer fires between the two readings (the
  // session log's buffer is the same in both, so it cancels out).
  const { team, close } = makeTeam(dir, `heap-${messages}.db`, new SimulatedClock());
  const names = Array.from({ length: agents }, (_, i) => `ada${i}`);
  for (const name of names) {
    await team.spawn(
      defineAgent({ name, instructions: 'File figures.', model: countingModel(false), context }),
      { name },
    );
  }
  for (const name of names) await send(team, 1, messages, name);
  // Reading the history waits until every save is durable: no write backlog is measured.
  for (const name of names) await team.history(name);
  await team.settled();
  const withAgents = await liveHeapBytes();
  for (const name of names) await team.stop(name);
  await team.settled();
  const without = await liveHeapBytes();
  await close();
  return (withAgents - without) / agents;
}

export default async function run(): Promise<void> {
  heading('context: one agent, 10,000 messages, budget 2,500 tokens, summaries on');
  const dir = mkdtempSync(join(tmpdir(), 'troupe-context-bench-'));
  const context: ContextOptions = { maxInputTokens: BUDGET, summarize: { maxTokens: 200 } };
  try {
    const model = countingModel();
    // Warm-up: the same job on a throwaway agent, so both figures are of JIT-compiled code.
    const warm = makeTeam(undefined, 'warm');
    await warm.team.spawn(
      defineAgent({ name: 'ada', instructions: 'File figures.', model: countingModel(), context }),
      { name: 'ada' },
    );
    await send(warm.team, 1, 2_000);
    await warm.close();

    const { team, close } = makeTeam(undefined, 'long');
    await team.spawn(defineAgent({ name: 'ada', instructions: 'File figures.', model, context }), {
      name: 'ada',
    });
    await send(team, 1, EARLY - 1);
    const earlyCpu = await cpuPerCall(team, EARLY);
    await send(team, EARLY + SPAN, LATE - 1);
    const lateCpu = await cpuPerCall(team, LATE);
    await close();
    const early = mean(model.inputs.slice(EARLY - 1, EARLY - 1 + SPAN));
    const late = mean(model.inputs.slice(LATE - 1, LATE - 1 + SPAN));
    figure('input tokens per call, calls 100-199', early.toFixed(0));
    figure('input tokens per call, calls 10,000-10,099', late.toFixed(0));
    figure('largest call', `${Math.max(...model.inputs)} tokens (budget ${BUDGET})`);
    figure('summary calls over 10,099 messages', String(model.summaries));
    figure('CPU per call at message 100', `${earlyCpu.toFixed(0)} µs`);
    figure('CPU per call at message 10,000', `${lateCpu.toFixed(0)} µs`);
    ratio('input tokens per call, message 10,000 / message 100', late / early, { max: 1.2 });
    ratio('CPU per call, message 10,000 / message 100', lateCpu / earlyCpu, { max: 1.5 });

    const small = await agentHeap(dir, EARLY, 4, context);
    const large = await agentHeap(dir, LATE, 4, context);
    figure('agent heap after 100 messages', `${(small / 1024).toFixed(0)} KiB`);
    figure('agent heap after 10,000 messages', `${(large / 1024).toFixed(0)} KiB`);
    ratio('agent heap with a store, 10,000 messages / 100 messages', large / small, { max: 2 });

    const naive = countingModel();
    const { team: plain, close: closePlain } = makeTeam(undefined, 'plain');
    await plain.spawn(defineAgent({ name: 'ada', instructions: 'File figures.', model: naive }), {
      name: 'ada',
    });
    await send(plain, 1, 1_000);
    await closePlain();
    ratio(
      'informational: no policy, input tokens at call 1,000 / call 100',
      (naive.inputs[999] ?? 0) / (naive.inputs[99] ?? 1),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
