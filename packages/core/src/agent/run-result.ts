import type { ErrorInfo, RunStatus, Usage } from '../events/team-events.js';

/**
 * How a run ended: the value `team.send()` resolves with.
 *
 * @example
 * ```ts
 * const result = await team.send('ada', 'Summarise the diff');
 * if (result.status === 'failed') console.warn(result.error?.code);
 * ```
 * Failures are values too (status
 * `failed` with `error`), so a caller never needs a try/catch for an agent's fault.
 *
 * | status | meaning |
 * | --- | --- |
 * | `completed` | the model answered without tool calls; `text` is the answer |
 * | `max_turns` | the run used `maxTurns` model calls without finishing |
 * | `interrupted` | a newer message to the agent replaced this run |
 * | `cancelled` | `cancel()` stopped it, or the team closed |
 * | `failed` | the model or the runtime threw; `error` says what |
 */
export interface RunResult {
  readonly runId: string;
  readonly agent: string;
  readonly status: RunStatus;
  /** The last text the model produced in this run. */
  readonly text: string;
  /** Model calls made in this run. */
  readonly turns: number;
  readonly usage: Usage;
  readonly error?: ErrorInfo;
}
