import type { SimEvent } from '../events.js';
import type { AgentStats, AgentTimeline, Mark, Span, TeamAnalysis } from './analyze.js';
import { addAt, zeroCounters } from './counters.js';

const newStats = (agent: string): AgentStats => ({
  agent,
  turns: 0,
  modelCalls: 0,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  toolCalls: 0,
  toolErrors: 0,
  messages: 0,
  claims: 0,
  conflicts: 0,
  faults: 0,
  leaseWaitMs: 0,
});

/** The detail of one team: per-agent timelines and figures. Only the detail team pays for it. */
class Detail {
  readonly timelines = new Map<string, AgentTimeline>();
  readonly stats = new Map<string, AgentStats>();
  readonly #openTurns = new Map<string, number>();
  readonly #openClaims = new Map<string, { agent: string; start: number; label: string }>();

  agent(name: string): AgentStats {
    let s = this.stats.get(name);
    if (s === undefined) {
      s = newStats(name);
      this.stats.set(name, s);
      this.timelines.set(name, { agent: name, spans: [], marks: [] });
    }
    return s;
  }

  span(agent: string, span: Span): void {
    this.agent(agent);
    this.timelines.get(agent)!.spans.push(span);
  }

  mark(agent: string, kind: Mark['kind'], t: number, label: string): void {
    this.agent(agent);
    this.timelines.get(agent)!.marks.push({ kind, t, label });
  }

  add(e: SimEvent): void {
    switch (e.type) {
      case 'run.started':
        for (const a of e.agents) this.agent(a);
        break;
      case 'turn.started':
        this.agent(e.agent).turns++;
        this.#openTurns.set(e.agent, e.t);
        break;
      case 'turn.ended': {
        const start = this.#openTurns.get(e.agent);
        if (start === undefined) break;
        this.#openTurns.delete(e.agent);
        this.span(e.agent, { kind: 'turn', start, end: e.t, label: `turn ${e.turn}` });
        break;
      }
      case 'lease.waited':
        this.agent(e.agent).leaseWaitMs += e.waitMs;
        this.span(e.agent, {
          kind: 'lease',
          start: e.t - e.waitMs,
          end: e.t,
          label: `lease wait ${e.waitMs} ms`,
        });
        break;
      case 'model.answered': {
        const s = this.agent(e.agent);
        s.modelCalls++;
        s.inputTokens += e.inputTokens;
        s.outputTokens += e.outputTokens;
        s.costUsd += e.costUsd;
        break;
      }
      case 'cost.reported':
        this.agent(e.agent).costUsd += e.costUsd;
        break;
      case 'model.failed':
        this.agent(e.agent).faults++;
        this.mark(e.agent, 'fault', e.t, `${e.fault} (${e.code})`);
        break;
      case 'tool.returned': {
        const s = this.agent(e.agent);
        s.toolCalls++;
        if (e.isError) s.toolErrors++;
        this.span(e.agent, {
          kind: 'tool',
          start: e.t - e.durationMs,
          end: e.t,
          label: `${e.tool}${e.isError ? ' (error)' : ''}`,
        });
        if (e.isError) this.mark(e.agent, 'tool-error', e.t, e.tool);
        break;
      }
      case 'claim.granted':
        this.agent(e.agent).claims++;
        this.#openClaims.set(`${e.agent}\u0000${e.resource}`, {
          agent: e.agent,
          start: e.t,
          label: `${e.resource} [${e.start}-${e.end}]`,
        });
        break;
      case 'claim.released': {
        const key = `${e.agent}\u0000${e.resource}`;
        const open = this.#openClaims.get(key);
        if (open === undefined) break;
        this.#openClaims.delete(key);
        this.span(e.agent, { kind: 'claim', start: open.start, end: e.t, label: open.label });
        break;
      }
      case 'claim.conflicted':
        this.agent(e.agent).conflicts++;
        this.mark(e.agent, 'conflict', e.t, `${e.resource} held by ${e.holder}`);
        break;
      case 'discovery.shared':
        this.mark(e.agent, 'discovery', e.t, e.topic);
        break;
      case 'message.posted':
        this.agent(e.agent).messages++;
        this.mark(e.agent, 'message', e.t, e.topic);
        break;
      case 'agent.failed':
        this.mark(e.agent, 'failed', e.t, e.reason);
        break;
      case 'agent.restarted':
        this.mark(e.agent, 'restarted', e.t, `restart ${e.restarts}`);
        break;
      default:
        break;
    }
  }

  /** Claims still held at the end are drawn up to the end of the run. */
  close(end: number): void {
    for (const open of this.#openClaims.values()) {
      this.span(open.agent, { kind: 'claim', start: open.start, end, label: open.label });
    }
    this.#openClaims.clear();
  }
}

/**
 * Folds one team's events, as they happen, into a {@link TeamAnalysis}: totals, per-second
 * series and (when `timelines` is on) per-agent timelines and figures. One pass, O(1) per
 * event.
 *
 * @example
 * ```ts
 * const analyzer = new TeamAnalyzer({ timelines: true });
 * for (const event of events) analyzer.add(event);
 * const analysis = mergeAnalyses([analyzer.result()]);
 * ```
 */
export class TeamAnalyzer {
  readonly #detail: Detail | undefined;
  readonly #c = zeroCounters();
  readonly #faults: Record<string, number> = {};
  readonly #finish: Record<string, number> = {};
  readonly #perSecond = {
    modelCalls: [] as number[],
    leaseWaitMs: [] as number[],
    conflicts: [] as number[],
    faults: [] as number[],
  };
  readonly #agents = new Set<string>();
  #end = 0;

  constructor(options: { timelines?: boolean } = {}) {
    this.#detail = options.timelines === true ? new Detail() : undefined;
    this.#c.teams = 1;
  }

  add(e: SimEvent): void {
    const c = this.#c;
    const second = Math.floor(e.t / 1_000);
    if (e.t > this.#end) this.#end = e.t;
    if ('agent' in e) this.#agents.add(e.agent);
    this.#detail?.add(e);
    switch (e.type) {
      case 'run.started':
        c.regions += e.regions;
        for (const a of e.agents) this.#agents.add(a);
        break;
      case 'turn.started':
        c.turns++;
        break;
      case 'lease.waited':
        c.leaseWaits++;
        c.leaseWaitMs += e.waitMs;
        addAt(this.#perSecond.leaseWaitMs, second, e.waitMs);
        break;
      case 'model.answered':
        c.modelCalls++;
        c.inputTokens += e.inputTokens;
        c.outputTokens += e.outputTokens;
        c.costUsd += e.costUsd;
        addAt(this.#perSecond.modelCalls, second, 1);
        break;
      case 'cost.reported':
        c.costUsd += e.costUsd;
        break;
      case 'model.failed':
        c.modelFailures++;
        this.#faults[e.fault] = (this.#faults[e.fault] ?? 0) + 1;
        addAt(this.#perSecond.faults, second, 1);
        break;
      case 'claim.granted':
        c.claimsGranted++;
        break;
      case 'claim.conflicted':
        c.conflicts++;
        addAt(this.#perSecond.conflicts, second, 1);
        break;
      case 'discovery.shared':
        c.discoveries++;
        break;
      case 'message.posted':
        c.messages++;
        break;
      case 'region.done':
        c.regionsDone++;
        break;
      case 'agent.failed':
        c.agentFailures++;
        break;
      case 'agent.restarted':
        c.agentRestarts++;
        break;
      case 'run.finished':
        this.#finish[e.reason] = (this.#finish[e.reason] ?? 0) + 1;
        break;
      default:
        break;
    }
  }

  result(): TeamAnalysis {
    const detail = this.#detail;
    detail?.close(this.#end);
    return {
      totals: {
        ...this.#c,
        agents: this.#agents.size,
        simulatedMs: this.#end,
        faults: { ...this.#faults },
        finishReasons: { ...this.#finish },
      },
      perSecond: this.#perSecond,
      timelines: detail ? [...detail.timelines.values()] : [],
      agents: detail
        ? [...detail.stats.values()].map((s) => ({
            ...s,
            costUsd: Math.round(s.costUsd * 1e6) / 1e6,
          }))
        : [],
    };
  }
}
