import { invalidArgument } from '@troupe/core';
import type { SimEvent } from '../events.js';

/**
 * A span on an agent's timeline (simulated ms).
 *
 * @example
 * ```ts
 * const turns = timeline.spans.filter((s: Span) => s.kind === 'turn').length;
 * ```
 */
export interface Span {
  readonly kind: 'turn' | 'lease' | 'claim';
  readonly start: number;
  readonly end: number;
  readonly label: string;
}

/**
 * A point on an agent's timeline (simulated ms).
 *
 * @example
 * ```ts
 * const conflicts = timeline.marks.filter((m: Mark) => m.kind === 'conflict');
 * ```
 */
export interface Mark {
  readonly kind: 'conflict' | 'message' | 'discovery' | 'fault' | 'failed' | 'restarted';
  readonly t: number;
  readonly label: string;
}

/**
 * One agent's row in the report's timeline: its spans and marks, in time order.
 *
 * @example
 * ```ts
 * for (const row of analysis.timelines) console.log(row.agent, row.spans.length);
 * ```
 */
export interface AgentTimeline {
  readonly agent: string;
  readonly spans: Span[];
  readonly marks: Mark[];
}

/**
 * Totals of one run (or of many teams, summed; `simulatedMs` is the longest team's).
 *
 * @example
 * ```ts
 * const t: RunTotals = result.analysis.totals;
 * console.log(`${t.regionsDone}/${t.regions} regions, ${t.conflicts} conflicts`);
 * ```
 */
export interface RunTotals {
  readonly teams: number;
  readonly agents: number;
  readonly simulatedMs: number;
  readonly modelCalls: number;
  readonly modelFailures: number;
  readonly turns: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly leaseWaits: number;
  readonly leaseWaitMs: number;
  readonly claimsGranted: number;
  readonly conflicts: number;
  readonly discoveries: number;
  readonly messages: number;
  readonly regionsDone: number;
  readonly regions: number;
  readonly agentFailures: number;
  readonly agentRestarts: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly finishReasons: Readonly<Record<string, number>>;
}

/**
 * One time bucket of the charts: what happened from `t` for `Analysis.bucketMs`.
 *
 * @example
 * ```ts
 * const busiest = analysis.buckets.reduce((a: Bucket, b: Bucket) => (b.modelCalls > a.modelCalls ? b : a));
 * ```
 */
export interface Bucket {
  readonly t: number;
  readonly modelCalls: number;
  readonly leaseWaitMs: number;
  readonly conflicts: number;
  readonly faults: number;
}

/**
 * A run folded for the report: totals, chart buckets and the first team's timelines.
 *
 * @example
 * ```ts
 * const analysis: Analysis = analyze(await readEventLog('events.jsonl'));
 * console.log(analysis.totals.modelCalls, analysis.buckets.length);
 * ```
 */
export interface Analysis {
  readonly totals: RunTotals;
  readonly bucketMs: number;
  readonly buckets: Bucket[];
  /** Timelines of the first team's agents (a report shows one team in detail). */
  readonly timelines: AgentTimeline[];
}

/**
 * What one team's events fold into: small and structured-clone safe, so a worker can send it
 * to the coordinator, which merges teams with {@link mergeAnalyses}.
 *
 * @example
 * ```ts
 * const team: TeamAnalysis = analyzer.result();
 * team.perSecond.modelCalls[0]; // model calls in the first simulated second
 * ```
 */
export interface TeamAnalysis {
  readonly totals: RunTotals;
  /** Per-second counts (index = simulated second). */
  readonly perSecond: {
    modelCalls: number[];
    leaseWaitMs: number[];
    conflicts: number[];
    faults: number[];
  };
  readonly timelines: AgentTimeline[];
}

type Counters = {
  -readonly [K in Exclude<keyof RunTotals, 'faults' | 'finishReasons'>]: number;
};

const zeroCounters = (): Counters => ({
  teams: 0,
  agents: 0,
  simulatedMs: 0,
  modelCalls: 0,
  modelFailures: 0,
  turns: 0,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  leaseWaits: 0,
  leaseWaitMs: 0,
  claimsGranted: 0,
  conflicts: 0,
  discoveries: 0,
  messages: 0,
  regionsDone: 0,
  regions: 0,
  agentFailures: 0,
  agentRestarts: 0,
});

const addAt = (series: number[], second: number, by: number): void => {
  while (series.length <= second) series.push(0);
  series[second]! += by;
};

/**
 * Folds one team's events, as they happen, into a {@link TeamAnalysis}: totals, per-second
 * series and (when `timelines` is on) per-agent timelines. One pass, O(1) per event.
 *
 * @example
 * ```ts
 * const analyzer = new TeamAnalyzer({ timelines: true });
 * for (const event of events) analyzer.add(event);
 * const analysis = mergeAnalyses([analyzer.result()]);
 * ```
 */
export class TeamAnalyzer {
  readonly #timelinesOn: boolean;
  readonly #c = zeroCounters();
  readonly #faults: Record<string, number> = {};
  readonly #finish: Record<string, number> = {};
  readonly #perSecond = {
    modelCalls: [] as number[],
    leaseWaitMs: [] as number[],
    conflicts: [] as number[],
    faults: [] as number[],
  };
  readonly #timelines = new Map<string, AgentTimeline>();
  readonly #openTurns = new Map<string, number>();
  readonly #openClaims = new Map<string, { agent: string; start: number; label: string }>();
  readonly #agents = new Set<string>();
  #end = 0;

  constructor(options: { timelines?: boolean } = {}) {
    this.#timelinesOn = options.timelines ?? false;
    this.#c.teams = 1;
  }

  #line(agent: string): AgentTimeline {
    let tl = this.#timelines.get(agent);
    if (!tl) {
      tl = { agent, spans: [], marks: [] };
      this.#timelines.set(agent, tl);
    }
    return tl;
  }

  add(e: SimEvent): void {
    const c = this.#c;
    const detail = this.#timelinesOn;
    const second = Math.floor(e.t / 1_000);
    if (e.t > this.#end) this.#end = e.t;
    if ('agent' in e) this.#agents.add(e.agent);
    switch (e.type) {
      case 'run.started':
        c.regions += e.regions;
        if (detail) for (const a of e.agents) this.#line(a);
        break;
      case 'turn.started':
        c.turns++;
        if (detail) this.#openTurns.set(e.agent, e.t);
        break;
      case 'turn.ended': {
        const start = this.#openTurns.get(e.agent);
        if (detail && start !== undefined) {
          this.#line(e.agent).spans.push({
            kind: 'turn',
            start,
            end: e.t,
            label: `turn ${e.turn}`,
          });
          this.#openTurns.delete(e.agent);
        }
        break;
      }
      case 'lease.waited':
        c.leaseWaits++;
        c.leaseWaitMs += e.waitMs;
        addAt(this.#perSecond.leaseWaitMs, second, e.waitMs);
        if (detail)
          this.#line(e.agent).spans.push({
            kind: 'lease',
            start: e.t - e.waitMs,
            end: e.t,
            label: `lease wait ${e.waitMs} ms`,
          });
        break;
      case 'model.answered':
        c.modelCalls++;
        c.inputTokens += e.inputTokens;
        c.outputTokens += e.outputTokens;
        c.costUsd += e.costUsd;
        addAt(this.#perSecond.modelCalls, second, 1);
        break;
      case 'model.failed':
        c.modelFailures++;
        this.#faults[e.fault] = (this.#faults[e.fault] ?? 0) + 1;
        addAt(this.#perSecond.faults, second, 1);
        if (detail)
          this.#line(e.agent).marks.push({
            kind: 'fault',
            t: e.t,
            label: `${e.fault} (${e.code})`,
          });
        break;
      case 'claim.granted':
        c.claimsGranted++;
        if (detail)
          this.#openClaims.set(`${e.agent}\u0000${e.resource}`, {
            agent: e.agent,
            start: e.t,
            label: `${e.resource} [${e.start}-${e.end}]`,
          });
        break;
      case 'claim.released': {
        const key = `${e.agent}\u0000${e.resource}`;
        const open = this.#openClaims.get(key);
        if (detail && open) {
          this.#line(e.agent).spans.push({
            kind: 'claim',
            start: open.start,
            end: e.t,
            label: open.label,
          });
          this.#openClaims.delete(key);
        }
        break;
      }
      case 'claim.conflicted':
        c.conflicts++;
        addAt(this.#perSecond.conflicts, second, 1);
        if (detail)
          this.#line(e.agent).marks.push({
            kind: 'conflict',
            t: e.t,
            label: `${e.resource} held by ${e.holder}`,
          });
        break;
      case 'discovery.shared':
        c.discoveries++;
        if (detail) this.#line(e.agent).marks.push({ kind: 'discovery', t: e.t, label: e.topic });
        break;
      case 'message.posted':
        c.messages++;
        if (detail) this.#line(e.agent).marks.push({ kind: 'message', t: e.t, label: e.topic });
        break;
      case 'region.done':
        c.regionsDone++;
        break;
      case 'agent.failed':
        c.agentFailures++;
        if (detail) this.#line(e.agent).marks.push({ kind: 'failed', t: e.t, label: e.reason });
        break;
      case 'agent.restarted':
        c.agentRestarts++;
        if (detail)
          this.#line(e.agent).marks.push({
            kind: 'restarted',
            t: e.t,
            label: `restart ${e.restarts}`,
          });
        break;
      case 'run.finished':
        this.#finish[e.reason] = (this.#finish[e.reason] ?? 0) + 1;
        break;
    }
  }

  result(): TeamAnalysis {
    // Claims still held at the end are drawn up to the end of the run.
    if (this.#timelinesOn) {
      for (const open of this.#openClaims.values()) {
        this.#line(open.agent).spans.push({
          kind: 'claim',
          start: open.start,
          end: this.#end,
          label: open.label,
        });
      }
      this.#openClaims.clear();
    }
    return {
      totals: {
        ...this.#c,
        agents: this.#agents.size,
        simulatedMs: this.#end,
        faults: { ...this.#faults },
        finishReasons: { ...this.#finish },
      },
      perSecond: this.#perSecond,
      timelines: [...this.#timelines.values()],
    };
  }
}

/**
 * Merges teams' analyses (in team order) into one: totals summed (simulated time is the
 * longest team's), per-second series summed and folded into about `buckets` chart buckets,
 * timelines from the first team that has them. `buckets` (default 60) must be a positive
 * integer.
 *
 * @example
 * ```ts
 * const analysis = mergeAnalyses([first.result(), second.result()], { buckets: 30 });
 * ```
 */
export function mergeAnalyses(
  teams: readonly TeamAnalysis[],
  options: { buckets?: number } = {},
): Analysis {
  const bucketCount = options.buckets ?? 60;
  if (!(Number.isInteger(bucketCount) && bucketCount >= 1)) {
    throw invalidArgument('options.buckets must be a positive integer', { buckets: bucketCount });
  }
  const c = zeroCounters();
  const faults: Record<string, number> = {};
  const finishReasons: Record<string, number> = {};
  const series = {
    modelCalls: [] as number[],
    leaseWaitMs: [] as number[],
    conflicts: [] as number[],
    faults: [] as number[],
  };
  let timelines: AgentTimeline[] = [];
  for (const team of teams) {
    for (const key of Object.keys(c) as (keyof Counters)[]) {
      if (key === 'simulatedMs') c.simulatedMs = Math.max(c.simulatedMs, team.totals.simulatedMs);
      else c[key] += team.totals[key];
    }
    for (const [k, n] of Object.entries(team.totals.faults)) faults[k] = (faults[k] ?? 0) + n;
    for (const [k, n] of Object.entries(team.totals.finishReasons))
      finishReasons[k] = (finishReasons[k] ?? 0) + n;
    for (const name of ['modelCalls', 'leaseWaitMs', 'conflicts', 'faults'] as const) {
      team.perSecond[name].forEach((n, i) => {
        addAt(series[name], i, n);
      });
    }
    if (timelines.length === 0 && team.timelines.length > 0) timelines = team.timelines;
  }
  const seconds = Math.max(1, Math.ceil(c.simulatedMs / 1_000));
  const perBucket = Math.max(1, Math.ceil(seconds / bucketCount));
  const buckets: Bucket[] = [];
  for (let s = 0; s < seconds; s += perBucket) {
    const sum = (xs: number[]) => {
      let total = 0;
      for (let i = s; i < s + perBucket && i < xs.length; i++) total += xs[i]!;
      return total;
    };
    buckets.push({
      t: s * 1_000,
      modelCalls: sum(series.modelCalls),
      leaseWaitMs: sum(series.leaseWaitMs),
      conflicts: sum(series.conflicts),
      faults: sum(series.faults),
    });
  }
  c.costUsd = Math.round(c.costUsd * 1e6) / 1e6;
  return {
    totals: { ...c, faults, finishReasons },
    bucketMs: perBucket * 1_000,
    buckets,
    timelines,
  };
}

/**
 * Folds a whole event log (all teams, in order) into an {@link Analysis}: what
 * `troupe report` does with an events.jsonl file.
 *
 * @example
 * ```ts
 * const analysis = analyze(events);
 * analysis.totals.conflicts;
 * ```
 */
export function analyze(events: Iterable<SimEvent>, options: { buckets?: number } = {}): Analysis {
  const analyzers = new Map<number, TeamAnalyzer>();
  for (const event of events) {
    let analyzer = analyzers.get(event.team);
    if (!analyzer) {
      analyzer = new TeamAnalyzer({ timelines: analyzers.size === 0 });
      analyzers.set(event.team, analyzer);
    }
    analyzer.add(event);
  }
  return mergeAnalyses(
    [...analyzers.values()].map((a) => a.result()),
    options,
  );
}
