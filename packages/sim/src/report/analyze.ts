import type { SimEvent } from '../events.js';
import { AnalysisMerger } from './merge.js';
import { TeamAnalyzer } from './team-analyzer.js';

/**
 * A span on an agent's timeline (simulated ms).
 *
 * @example
 * ```ts
 * const turns = timeline.spans.filter((s: Span) => s.kind === 'turn').length;
 * ```
 */
export interface Span {
  readonly kind: 'turn' | 'lease' | 'claim' | 'tool';
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
  readonly kind:
    | 'conflict'
    | 'message'
    | 'discovery'
    | 'fault'
    | 'failed'
    | 'restarted'
    | 'tool-error';
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
  /** Timelines of the detail team's agents (a report shows one team in detail). */
  readonly timelines: AgentTimeline[];
  /** Per-agent figures of the detail team, in the order agents first appeared. */
  readonly agents: AgentStats[];
  /** The team shown in detail: the first that kept timelines. */
  readonly detailTeam: number;
  /** One row of figures per team, in team order: the spread across teams. */
  readonly perTeam: TeamRow[];
}

/**
 * What one agent did in a run: the per-agent table of the report.
 *
 * @example
 * ```ts
 * const priciest = analysis.agents.reduce((a: AgentStats, b: AgentStats) => (b.costUsd > a.costUsd ? b : a));
 * ```
 */
export interface AgentStats {
  readonly agent: string;
  turns: number;
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  toolCalls: number;
  toolErrors: number;
  messages: number;
  claims: number;
  conflicts: number;
  faults: number;
  leaseWaitMs: number;
}

/**
 * One team's figures in a multi-team run.
 *
 * @example
 * ```ts
 * const slowest = analysis.perTeam.reduce((a: TeamRow, b: TeamRow) => (b.simulatedMs > a.simulatedMs ? b : a));
 * ```
 */
export interface TeamRow {
  readonly team: number;
  readonly finish: string;
  readonly agents: number;
  readonly simulatedMs: number;
  readonly modelCalls: number;
  readonly turns: number;
  readonly costUsd: number;
  readonly conflicts: number;
  readonly faults: number;
  readonly leaseWaitMs: number;
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
  /** Per-agent figures (only with timelines on). */
  readonly agents: AgentStats[];
}

/**
 * Folds an event log as it is read, one event at a time: teams must come in order (as
 * `events.jsonl` has them); each finished team is merged and dropped, so memory stays bounded
 * by one team's detail whatever the log's size. The first team keeps timelines.
 *
 * @example
 * ```ts
 * const folder = new EventLogAnalyzer();
 * for await (const event of events) folder.add(event);
 * const analysis = folder.result();
 * ```
 */
export class EventLogAnalyzer {
  readonly #merger = new AnalysisMerger();
  #team = -1;
  #current: TeamAnalyzer | undefined;
  #teams = 0;

  add(event: SimEvent): void {
    if (event.team !== this.#team || this.#current === undefined) {
      this.#close();
      this.#team = event.team;
      this.#current = new TeamAnalyzer({ timelines: this.#teams === 0 });
      this.#teams++;
    }
    this.#current.add(event);
  }

  result(options: { buckets?: number } = {}): Analysis {
    this.#close();
    return this.#merger.result(options);
  }

  #close(): void {
    if (this.#current === undefined) return;
    this.#merger.add(this.#current.result(), this.#team);
    this.#current = undefined;
  }
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
  const folder = new EventLogAnalyzer();
  for (const event of events) folder.add(event);
  return folder.result(options);
}
