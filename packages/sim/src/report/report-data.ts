import type { AgentStats, AgentTimeline, Analysis } from './analyze.js';

/** Kinds of spans and marks, by index in the embedded data (the client has the same list). */
export const SPAN_KINDS = ['turn', 'tool', 'lease', 'claim'] as const;
export const MARK_KINDS = [
  'conflict',
  'message',
  'discovery',
  'fault',
  'tool-error',
  'failed',
  'restarted',
] as const;

/** Columns of an agent's figures, in the order the embedded data and the table have them. */
export const STAT_COLUMNS = [
  'turns',
  'modelCalls',
  'inputTokens',
  'outputTokens',
  'costUsd',
  'toolCalls',
  'toolErrors',
  'messages',
  'claims',
  'conflicts',
  'faults',
  'leaseWaitMs',
] as const satisfies readonly (keyof AgentStats)[];

/**
 * The report's data as the page's script reads it: compact (flat number arrays, one table of
 * label strings) so 10,000 agents with their timelines stay a file a browser opens at once.
 * Each agent is `[name, stats[], spans[], marks[]]`; spans are flat quadruples
 * `kind, start, end, label`, marks triples `kind, t, label` (kinds and labels by index).
 */
export interface ReportData {
  readonly end: number;
  readonly labels: string[];
  readonly agents: [string, number[], number[], number[]][];
}

export function reportData(analysis: Analysis): ReportData {
  const labels: string[] = [];
  const index = new Map<string, number>();
  const label = (text: string): number => {
    let i = index.get(text);
    if (i === undefined) {
      i = labels.length;
      labels.push(text);
      index.set(text, i);
    }
    return i;
  };
  const stats = new Map<string, AgentStats>(analysis.agents.map((s) => [s.agent, s]));
  const timelines = new Map<string, AgentTimeline>(analysis.timelines.map((t) => [t.agent, t]));
  const names = [...new Set([...timelines.keys(), ...stats.keys()])];
  const agents = names.map((name): [string, number[], number[], number[]] => {
    const s = stats.get(name);
    const tl = timelines.get(name);
    const spans: number[] = [];
    for (const span of tl?.spans ?? []) {
      spans.push(SPAN_KINDS.indexOf(span.kind), span.start, span.end, label(span.label));
    }
    const marks: number[] = [];
    for (const mark of tl?.marks ?? []) {
      marks.push(MARK_KINDS.indexOf(mark.kind), mark.t, label(mark.label));
    }
    return [name, STAT_COLUMNS.map((c) => (s ? s[c] : 0)), spans, marks];
  });
  return { end: analysis.totals.simulatedMs, labels, agents };
}

/** JSON safe inside a `<script>` element: no `</script>` or `<!--` can end it early. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
