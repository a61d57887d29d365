/**
 * Persistence: the session saver's coalescing, the batched session log's throughput on SQLite,
 * and what persistence does to the event loop while a team logs heavily.
 *
 * 1. Coalescing: 10 saves of one session scheduled back to back (turns that finish at once),
 *    then against a store whose writes take 20 ms with a save every 2 ms: snapshot writes
 *    counted (goal: at most 2).
 * 2. Session log rows/s on SQLite (WAL, synchronous=NORMAL, the default): `createSessionLog`
 *    (1000 appends, then flush: one transaction) against the naive way (one `appendLog`
 *    transaction per entry, shown for scale without a goal), and against the floor (raw
 *    better-sqlite3, the same 32-row insert statement, one transaction), which judges it. With NORMAL a WAL commit is not fsynced, so a one-row
 *    transaction is cheap (~25 µs here) and the ratio is about 10x; then the same with
 *    synchronous=FULL, where each commit is an fsync (~5 ms on this machine's disk).
 * 3. Event-loop delay p99 (perf_hooks.monitorEventLoopDelay, 1 ms resolution) while 20 agents
 *    of one team run continuously (scripted model, 10 ms per call on the system clock, 4 tool
 *    calls per run): no persistence, Troupe's SQLite persistence (batched log and saver), and a
 *    naive listener writing each team event in its own transaction. The store commits in a
 *    writer thread and checkpoints its WAL from another: on the event loop's thread, each
 *    checkpoint's fsyncs stalled the loop for 25-45 ms (p99 2-4x the no-persistence one), and
 *    the commits themselves held it for ~10 µs a row. CPU per run counts every thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type ChatMessage,
  createBus,
  createRateLimiter,
  createSessionLog,
  createSessionSaver,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  SESSION_FORMAT_VERSION,
  type SessionLogEntry,
  type SessionSnapshot,
  type SessionStore,
  systemClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing/doubles';
import { createSqliteSessionStore } from '@troupe/sqlite';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { figure, heading, measure, ratio, table } from './lib/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-persistence-'));
let files = 0;
const freshPath = (): string => join(dir, `bench-${files++}.db`);

const snapshot = (revision: number): SessionSnapshot => ({
  sessionId: 'bench/agent',
  agent: 'agent',
  version: SESSION_FORMAT_VERSION,
  revision,
  context: { plan: ['read', 'write'], step: revision, apiKey: 'sk-never-written' },
  usage: {
    requests: revision,
    inputTokens: 100 * revision,
    outputTokens: 20 * revision,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
  },
  historyLength: revision,
  updatedAt: systemClock.now(),
});
const message = (i: number): ChatMessage => ({ role: 'user', content: `message ${i}` });

/** Counts snapshot writes; `delayMs` makes each write take that long (real time). */
function counting(store: SessionStore, delayMs = 0): { store: SessionStore; writes: () => number } {
  let writes = 0;
  const wait = () => new Promise<void>((resolve) => systemClock.setTimeout(resolve, delayMs));
  return {
    writes: () => writes,
    store: {
      ...store,
      async saveSnapshot(s) {
        writes++;
        if (delayMs > 0) await wait();
        return store.saveSnapshot(s);
      },
      async appendHistory(id, from, messages) {
        if (delayMs > 0) await wait();
        return store.appendHistory(id, from, messages);
      },
    },
  };
}

async function coalescing(): Promise<void> {
  heading('saver: 10 rapid saves of one session');
  {
    const sqlite = createSqliteSessionStore({ path: freshPath() });
    const { store, writes } = counting(sqlite);
    const saver = createSessionSaver({ store, clock: systemClock });
    for (let i = 1; i <= 10; i++) {
      saver.schedule(snapshot(i), { fromIndex: i - 1, messages: [message(i)] });
      await Promise.resolve(); // the next turn starts at once
    }
    await saver.flush();
    figure('snapshot writes, 10 saves back to back (sqlite)', String(writes()));
    figure('history on disk', `${(await sqlite.loadHistory('bench/agent')).length} messages`);
    ratio('saver: snapshot writes per 10 back-to-back saves (naive: 10)', writes(), { max: 2 });
    await saver.close();
    await sqlite.close();
  }
  {
    const sqlite = createSqliteSessionStore({ path: freshPath() });
    const { store, writes } = counting(sqlite, 20);
    const saver = createSessionSaver({ store, clock: systemClock });
    for (let i = 1; i <= 10; i++) {
      saver.schedule(snapshot(i), { fromIndex: i - 1, messages: [message(i)] });
      await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 2));
    }
    await saver.flush();
    figure('snapshot writes, a save every 2 ms, 20 ms per write', String(writes()));
    ratio('saver: snapshot writes per 10 saves, slow store (naive: 10)', writes(), { max: 2 });
    await saver.close();
    await sqlite.close();
  }
}

const ROWS = 1_000;
const entry = (i: number): SessionLogEntry => ({
  sessionId: `bench/agent-${i % 8}`,
  type: 'tool.called',
  at: 1_700_000_000_000 + i,
  data: { agent: `agent-${i % 8}`, tool: 'add', args: { a: i, b: 1 }, turn: i % 5 },
});
const entries = Array.from({ length: ROWS }, (_, i) => entry(i));

async function throughput(): Promise<void> {
  heading(`session log on SQLite: ${ROWS} entries per operation`);
  const batchedStore = createSqliteSessionStore({ path: freshPath() });
  const log = createSessionLog({ store: batchedStore, clock: systemClock, maxBatch: ROWS });
  const naiveStore = createSqliteSessionStore({ path: freshPath() });
  const floorDb = new Database(freshPath());
  floorDb.pragma('journal_mode = WAL');
  floorDb.pragma('synchronous = NORMAL');
  // The floor writes the same layout as the store (log rows with an integer session ref, indexed
  // by (ref, seq)) with the same 32-row insert statement, minus everything else.
  floorDb.exec(
    'CREATE TABLE log (seq INTEGER PRIMARY KEY, session_ref INTEGER NOT NULL, type TEXT NOT NULL, at REAL NOT NULL, data TEXT NOT NULL); CREATE INDEX log_by_session ON log (session_ref, seq)',
  );
  const refs = new Map<string, number>();
  const GROUP = 32;
  const insert = floorDb.prepare(
    `INSERT INTO log (session_ref, type, at, data) VALUES ${Array(GROUP).fill('(?, ?, ?, ?)').join(', ')}`,
  );
  const params = new Array<unknown>(GROUP * 4);
  const floorTx = floorDb.transaction((rows: readonly SessionLogEntry[]) => {
    for (let i = 0; i + GROUP <= rows.length; i += GROUP) {
      for (let j = 0; j < GROUP; j++) {
        const e = rows[i + j]!;
        let ref = refs.get(e.sessionId);
        if (ref === undefined) {
          ref = refs.size + 1;
          refs.set(e.sessionId, ref);
        }
        params[j * 4] = ref;
        params[j * 4 + 1] = e.type;
        params[j * 4 + 2] = e.at;
        params[j * 4 + 3] = JSON.stringify(e.data);
      }
      insert.run(params);
    }
  });

  const floorName = `floor: raw better-sqlite3, ${ROWS - (ROWS % 32)} rows, 1 transaction`;
  const batchedName = `createSessionLog: ${ROWS} appends + flush`;
  const naiveName = `naive: ${ROWS} appendLog calls, 1 row each`;
  const results = await measure({
    [floorName]: () => floorTx(entries),
    [batchedName]: async () => {
      for (const e of entries) log.append(e);
      await log.flush();
    },
    [naiveName]: async () => {
      for (const e of entries) await naiveStore.appendLog([e]);
    },
  });
  const floor = results[floorName]!;
  const batched = results[batchedName]!;
  const naive = results[naiveName]!;
  table([floor, batched, naive]);
  // From the mean time per operation (tinybench's ops/s is a mean of per-sample rates, which
  // a few fast samples skew).
  const rowsPerSec = (m: { meanUs: number }) => (ROWS * 1e6) / m.meanUs;
  figure('batched rows/s', Math.round(rowsPerSec(batched)).toLocaleString('en-US'));
  figure('naive rows/s', Math.round(rowsPerSec(naive)).toLocaleString('en-US'));
  // The naive way is a straw man written for the comparison: information, not a goal.
  ratio(
    'session log: batched vs one transaction per entry (rows/s)',
    rowsPerSec(batched) / rowsPerSec(naive),
  );
  ratio('session log: cost per row vs raw better-sqlite3 floor', batched.meanUs / floor.meanUs, {
    max: 2,
  });
  await log.close();
  await batchedStore.close();
  await naiveStore.close();
  floorDb.close();
}

/**
 * The same comparison with `synchronous: 'FULL'` on both sides, where every commit is fsynced
 * (durable against power loss). 100 entries per operation: one-row commits cost an fsync each.
 */
async function throughputFull(): Promise<void> {
  const rows = 100;
  heading(`session log on SQLite, synchronous=FULL: ${rows} entries per operation`);
  const batchedStore = createSqliteSessionStore({ path: freshPath(), synchronous: 'FULL' });
  const log = createSessionLog({ store: batchedStore, clock: systemClock });
  const naiveStore = createSqliteSessionStore({ path: freshPath(), synchronous: 'FULL' });
  const some = entries.slice(0, rows);
  const batchedName = `createSessionLog: ${rows} appends + flush (FULL)`;
  const naiveName = `naive: ${rows} appendLog calls, 1 row each (FULL)`;
  const results = await measure(
    {
      [batchedName]: async () => {
        for (const e of some) log.append(e);
        await log.flush();
      },
      [naiveName]: async () => {
        for (const e of some) await naiveStore.appendLog([e]);
      },
    },
    { timeMs: 1_000, warmupMs: 0 },
  );
  const batched = results[batchedName]!;
  const naive = results[naiveName]!;
  table([batched, naive]);
  ratio(
    'session log, synchronous=FULL: batched vs one transaction per entry (rows/s)',
    naive.meanUs / batched.meanUs,
  );
  await log.close();
  await batchedStore.close();
  await naiveStore.close();
}

type Mode = 'none' | 'troupe' | 'naive';
const AGENTS = 20;

interface LoadResult {
  p99Ms: number;
  events: number;
  runs: number;
  /** Process CPU time per run, µs (less sensitive to other processes than the delay). */
  cpuUsPerRun: number;
}

/** Runs AGENTS agents for `ms` and returns the event-loop delay p99 in ms and the events seen. */
async function teamUnderLoad(mode: Mode, ms: number): Promise<LoadResult> {
  const clock = systemClock;
  const path = freshPath();
  const store = mode === 'troupe' ? createSqliteSessionStore({ path }) : undefined;
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    ...(store === undefined ? {} : { store }),
  });
  let naiveDb: Database.Database | undefined;
  if (mode === 'naive') {
    naiveDb = new Database(path);
    naiveDb.pragma('journal_mode = WAL');
    naiveDb.pragma('synchronous = NORMAL');
    naiveDb.exec(
      'CREATE TABLE log (seq INTEGER PRIMARY KEY, session_id TEXT, type TEXT, at REAL, data TEXT)',
    );
    const insert = naiveDb.prepare(
      'INSERT INTO log (session_id, type, at, data) VALUES (?, ?, ?, ?)',
    );
    team.on('*', (event) => {
      insert.run(team.id, event.type, event.at, JSON.stringify(event));
    });
  }
  let events = 0;
  team.on('*', () => {
    events++;
  });
  const add = defineTool({
    name: 'add',
    description: 'Adds two integers.',
    input: z.object({ a: z.number().int(), b: z.number().int() }),
    run: ({ a, b }) => String(a + b),
  });
  const model = scriptedModel({
    clock,
    latencyMs: 10,
    record: false,
    steps: (_request, call) =>
      call.turn < 4
        ? { toolCalls: [{ name: 'add', arguments: { a: call.turn, b: 1 } }] }
        : { text: 'done' },
  });
  const agent = defineAgent({ name: 'adder', instructions: 'Add.', model, tools: [add] });
  const names = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
  for (const name of names) await team.spawn(agent, { name });

  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let runs = 0;
  const end = clock.now() + ms;
  histogram.enable();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    names.map(async (name) => {
      while (clock.now() < end) {
        await team.send(name, 'Add the numbers up.');
        runs++;
      }
    }),
  );
  histogram.disable();
  const cpu = process.cpuUsage(cpuBefore);
  await team.close();
  await store?.close();
  naiveDb?.close();
  return {
    p99Ms: histogram.percentile(99) / 1e6,
    events,
    runs,
    cpuUsPerRun: (cpu.user + cpu.system) / Math.max(1, runs),
  };
}

async function eventLoop(): Promise<void> {
  const ms = Math.max(500, Number(process.env.BENCH_TIME_MS) || 1_500);
  // Five rounds: the p99 of one 1.5 s round moves by 30% or more with the load of other processes.
  const rounds = 5;
  heading(
    `event-loop delay p99 while ${AGENTS} agents run (${rounds} interleaved rounds of ${ms} ms, median)`,
  );
  const modes: readonly [Mode, string][] = [
    ['none', 'no persistence'],
    ['troupe', 'troupe: SQLite session log + saver'],
    ['naive', 'naive: one transaction per team event'],
  ];
  const samples = new Map<Mode, LoadResult[]>();
  // Interleaved, so a burst of load from elsewhere on the machine hits every mode alike.
  for (let round = 0; round < rounds; round++) {
    for (const [mode] of modes) {
      const list = samples.get(mode) ?? [];
      list.push(await teamUnderLoad(mode, ms));
      samples.set(mode, list);
    }
  }
  const median = (mode: Mode) => {
    const list = [...(samples.get(mode) ?? [])].sort((a, b) => a.p99Ms - b.p99Ms);
    return list[Math.floor(list.length / 2)]!;
  };
  for (const [mode, name] of modes) {
    const r = median(mode);
    figure(
      name.padEnd(40),
      `p99 ${r.p99Ms.toFixed(2)} ms, ${Math.round((r.events * 1000) / ms).toLocaleString('en-US')} events/s logged, ${Math.round((r.runs * 1000) / ms).toLocaleString('en-US')} runs/s, CPU ${Math.round(r.cpuUsPerRun)} µs/run`,
    );
  }
  ratio(
    'event-loop p99: troupe persistence vs none',
    median('troupe').p99Ms / median('none').p99Ms,
    {
      max: 1.5,
    },
  );
  ratio(
    'event-loop p99: naive per-event transactions vs troupe',
    median('naive').p99Ms / median('troupe').p99Ms,
  );
  // CPU per run moves far less with the load of other processes than the delay does.
  const cpu = (mode: Mode) => {
    const list = (samples.get(mode) ?? []).map((r) => r.cpuUsPerRun).sort((a, b) => a - b);
    return list[Math.floor(list.length / 2)]!;
  };
  figure(
    'persistence CPU per run, troupe',
    `${Math.round(cpu('troupe') - cpu('none'))} µs over none`,
  );
  figure(
    'persistence CPU per run, naive',
    `${Math.round(cpu('naive') - cpu('none'))} µs over none`,
  );
  // Troupe also saves every agent's snapshot and history; the naive listener only logs events.
  ratio('CPU per run: naive per-event transactions vs troupe', cpu('naive') / cpu('troupe'));
}

export default async function persistence(): Promise<void> {
  try {
    await coalescing();
    await throughput();
    await throughputFull();
    await eventLoop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
