import type { TeamEvent } from '@troupe/core';
import type { SimEvent } from './events.js';
import { fromTeamEvent, TurnTracker } from './team-event-log.js';

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
  readonly #turns: TurnTracker;
  readonly #requested = new Map<string, number>();

  /**
   * `start`: the time that is t = 0 (default: the first event's); `team`: the team index of the
   * events (default 0); `modelEvents: false` leaves model answers and run costs out (a
   * simulation's policy models log those themselves, with their exact cost).
   */
  constructor(options: { start?: number; team?: number; modelEvents?: boolean } = {}) {
    this.#start = options.start;
    this.#team = options.team ?? 0;
    this.#turns = new TurnTracker(this.#team);
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
    const ended = this.#turns.observe(event, t);
    if (ended !== undefined) out.push(ended);
    const converted = this.#liveOnly(event, t) ?? fromTeamEvent(event, t, this.#team);
    if (converted !== undefined) out.push(converted);
    return out;
  }

  /** The events a live run's log maps its own way (the rest as the simulation's log does). */
  #liveOnly(event: TeamEvent, t: number): SimEvent | undefined {
    const base = { t, team: this.#team };
    const model = this.#modelEvents;
    switch (event.type) {
      case 'run.finished':
        return model && event.usage.costUsd > 0
          ? { ...base, type: 'cost.reported', agent: event.agent, costUsd: event.usage.costUsd }
          : undefined;
      case 'model.requested':
        this.#requested.set(event.agent, t);
        return undefined;
      case 'model.answered':
        if (!model) return undefined;
        return {
          ...base,
          type: 'model.answered',
          agent: event.agent,
          latencyMs: t - (this.#requested.get(event.agent) ?? t),
          inputTokens: event.inputTokens,
          outputTokens: event.outputTokens,
          costUsd: 0,
        };
      case 'tool.returned':
        return {
          ...base,
          type: 'tool.returned',
          agent: event.agent,
          tool: event.tool,
          isError: event.isError,
          durationMs: event.durationMs,
        };
      case 'message.posted':
        return {
          ...base,
          type: 'message.posted',
          agent: event.agent,
          topic: event.to === undefined ? event.topic : `inbox:${event.to}`,
        };
      case 'agent.failed':
        // A failure the supervisor restarts from is a fault on the timeline; a final one fails
        // the agent.
        return event.final
          ? { ...base, type: 'agent.failed', agent: event.agent, reason: event.error.message }
          : {
              ...base,
              type: 'model.failed',
              agent: event.agent,
              code: event.error.code,
              fault: 'crash',
            };
      default:
        return undefined;
    }
  }
}
