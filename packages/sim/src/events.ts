/**
 * The simulation's event log: one JSON object per line, in the order things happened.
 * Every field is derived from the scenario, the seed and the simulated clock, so the same
 * scenario and seed give a byte-identical log. `tool.returned` (a tool call's outcome) and
 * `cost.reported` (a run's cost, when a live log reports it per run rather than per call) come
 * from team-module simulations, replays and live logs; the refactor engine does not emit them.
 *
 * @example
 * ```ts
 * const events: SimEvent[] = await readEventLog('troupe-out/pair-seed7/events.jsonl');
 * const conflicts = events.filter((e) => e.type === 'claim.conflicted').length;
 * ```
 */
export type SimEvent =
  | {
      t: number;
      team: number;
      type: 'run.started';
      scenario: string;
      seed: number;
      agents: string[];
      regions: number;
    }
  | { t: number; team: number; type: 'turn.started'; agent: string; turn: number }
  | { t: number; team: number; type: 'turn.ended'; agent: string; turn: number }
  | { t: number; team: number; type: 'lease.waited'; agent: string; waitMs: number }
  | {
      t: number;
      team: number;
      type: 'model.answered';
      agent: string;
      latencyMs: number;
      inputTokens: number;
      outputTokens: number;
      costUsd: number;
    }
  | { t: number; team: number; type: 'model.failed'; agent: string; code: string; fault: string }
  | {
      t: number;
      team: number;
      type: 'claim.granted';
      agent: string;
      resource: string;
      start: number;
      end: number;
    }
  | {
      t: number;
      team: number;
      type: 'claim.conflicted';
      agent: string;
      resource: string;
      holder: string;
    }
  | { t: number; team: number; type: 'claim.released'; agent: string; resource: string }
  | { t: number; team: number; type: 'discovery.shared'; agent: string; topic: string }
  | { t: number; team: number; type: 'message.posted'; agent: string; topic: string }
  | {
      t: number;
      team: number;
      type: 'region.done';
      agent: string;
      resource: string;
      region: number;
    }
  | {
      t: number;
      team: number;
      type: 'tool.returned';
      agent: string;
      tool: string;
      isError: boolean;
      durationMs: number;
    }
  | { t: number; team: number; type: 'cost.reported'; agent: string; costUsd: number }
  | { t: number; team: number; type: 'agent.failed'; agent: string; reason: string }
  | { t: number; team: number; type: 'agent.restarted'; agent: string; restarts: number }
  | {
      t: number;
      team: number;
      type: 'run.finished';
      /** `idle`: a team module's team went quiet (simulated teams of `troupe sim --team`). */
      reason: 'work-done' | 'idle' | 'max-time' | 'max-model-calls' | 'no-progress';
      regionsDone: number;
      regions: number;
    };

/**
 * The `type` of a {@link SimEvent}.
 *
 * @example
 * ```ts
 * const counts = new Map<SimEventType, number>();
 * for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
 * ```
 */
export type SimEventType = SimEvent['type'];
