import type { ErrorInfo, RunStatus, Usage } from '../events/team-events.js';

/**
 * How a run ended: the value `team.send()` resolves with.
 * Failures are values too (status
 * `failed` with `error`), so a caller never needs a try/catch for an agent's fault.
 *
 * | status | meaning |
 * | --- | --- |
 * | `completed` | the model answered without tool calls; `text` is the answer (`output` its parsed value with an `output` schema) |
 * | `max_turns` | the run used `maxTurns` model calls without finishing |
 * | `interrupted` | a newer message to the agent replaced this run (`whenBusy: 'interrupt'`) |
 * | `cancelled` | `cancel()` stopped it, or the team closed |
 * | `failed` | the model or the runtime threw, or the answer never matched the `output` schema; `error` says what |
 * | `handed_off` | the agent passed the task on (`handoff`); whoever awaited it gets the other agent's result |
 * | `budget_exhausted` | a lifetime budget is spent: no lease can ever be granted |
 * | `rate_limited` | no lease came within `leaseTimeoutMs` |
 */
export interface RunResult<TOutput = unknown> {
  readonly runId: string;
  readonly agent: string;
  readonly status: RunStatus;
  /** The last text the model produced in this run. */
  readonly text: string;
  /** With an `output` schema: the final answer, parsed and checked. */
  readonly output?: TOutput;
  /** Model calls made in this run. */
  readonly turns: number;
  readonly usage: Usage;
  readonly error?: ErrorInfo;
}
