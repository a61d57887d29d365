import type { TeamEvent } from '@troupe/core';
import type { SimEvent } from './events.js';

/**
 * Turns a live team's events (`TeamEvent`s, as `troupe run` prints them) into the report's
 * event vocabulary, so a live run gets the same analysis and report as a simulation: times
 * become ms since the first event, a run's end closes its open turn, a model answer's latency
 * is measured from its request, and a run's cost (reported once per run) is kept per agent.
 * Feed events in order with {@link LiveEventConverter.add}; it returns the events to fold.
 *
 * @example
 * ```ts
 * const converter = new LiveEventConverter();
 * team.on('*', (event) => {
 *   for (const e of converter.add(event)) analyzer.add(e);
 * });
 * ```
 */
export class LiveEventConverter {
  #start: number | undefined;
  readonly #team: number;
  readonly #modelEvents: boolean;
  readonly #openTurns = new Map<string, number>();
  readonly #requested = new Map<string, number>();

  /**
   * `start`: the time that is t = 0 (default: the first event's); `team`: the team index of the
   * events (default 0); `modelEvents: false` leaves model answers and run costs out (a
   * simulation's policy models log those themselves, with their exact cost).
   */
  constructor(options: { start?: number; team?: number; modelEvents?: boolean } = {}) {
    this.#start = options.start;
    this.#team = options.team ?? 0;
    this.#modelEvents = options.modelEvents ?? true;
  }

  add(event: TeamEvent): SimEvent[] {
    const out: SimEvent[] = [];
    if (this.#start === undefined) {
      this.#start = event.at;
      out.push({
        t: 0,
        team: 0,
        type: 'run.started',
        scenario: 'live run',
        seed: 0,
        agents: [],
        regions: 0,
      });
    }
    const t = Math.max(0, event.at - this.#start);
    const base = { t, team: this.#team };
    const model = this.#modelEvents;
    switch (event.type) {
      case 'turn.started':
        this.#closeTurn(event.agent, t, out);
        this.#openTurns.set(event.agent, event.turn);
        out.push({ ...base, type: 'turn.started', agent: event.agent, turn: event.turn });
        break;
      case 'run.finished':
        this.#closeTurn(event.agent, t, out);
        if (model && event.usage.costUsd > 0)
          out.push({
            ...base,
            type: 'cost.reported',
            agent: event.agent,
            costUsd: event.usage.costUsd,
          });
        break;
      case 'lease.waited':
        out.push({ ...base, type: 'lease.waited', agent: event.agent, waitMs: event.waitedMs });
        break;
      case 'model.requested':
        this.#requested.set(event.agent, t);
        break;
      case 'model.answered':
        if (!model) break;
        out.push({
          ...base,
          type: 'model.answered',
          agent: event.agent,
          latencyMs: t - (this.#requested.get(event.agent) ?? t),
          inputTokens: event.inputTokens,
          outputTokens: event.outputTokens,
          costUsd: 0,
        });
        break;
      case 'tool.returned':
        out.push({
          ...base,
          type: 'tool.returned',
          agent: event.agent,
          tool: event.tool,
          isError: event.isError,
          durationMs: event.durationMs,
        });
        break;
      case 'claim.granted':
        out.push({
          ...base,
          type: 'claim.granted',
          agent: event.agent,
          resource: event.resource,
          start: event.start,
          end: event.end,
        });
        break;
      case 'claim.conflicted':
        out.push({
          ...base,
          type: 'claim.conflicted',
          agent: event.agent,
          resource: event.resource,
          holder: event.holder,
        });
        break;
      case 'claim.released':
        if (event.released)
          out.push({
            ...base,
            type: 'claim.released',
            agent: event.agent,
            resource: event.resource,
          });
        break;
      case 'discovery.shared':
        out.push({ ...base, type: 'discovery.shared', agent: event.agent, topic: event.topic });
        break;
      case 'message.posted':
        out.push({
          ...base,
          type: 'message.posted',
          agent: event.agent,
          topic: event.to === undefined ? event.topic : `inbox:${event.to}`,
        });
        break;
      case 'agent.failed':
        // A failure the supervisor restarts from is a fault on the timeline; a final one fails
        // the agent.
        out.push(
          event.final
            ? { ...base, type: 'agent.failed', agent: event.agent, reason: event.error.message }
            : {
                ...base,
                type: 'model.failed',
                agent: event.agent,
                code: event.error.code,
                fault: 'crash',
              },
        );
        break;
      case 'agent.restarted':
        out.push({
          ...base,
          type: 'agent.restarted',
          agent: event.agent,
          restarts: event.restarts,
        });
        break;
      default:
        break;
    }
    return out;
  }

  #closeTurn(agent: string, t: number, out: SimEvent[]): void {
    const turn = this.#openTurns.get(agent);
    if (turn === undefined) return;
    this.#openTurns.delete(agent);
    out.push({ t, team: this.#team, type: 'turn.ended', agent, turn });
  }
}
