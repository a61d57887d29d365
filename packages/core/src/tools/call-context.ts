// The context one tool call gets (ToolContext): agent, clock, signal and the agent's context.
import type { Clock } from '../clock.js';
import type { ToolContext } from './define-tool.js';
import type { ToolTurnEnv } from './tool-turn-types.js';

/** What a call's context reads from its turn. */
export interface CallHost {
  readonly env: ToolTurnEnv;
  readonly aborted: boolean;
  readonly reason: unknown;
  /** The agent's context once the updates of every call before `index` are applied. */
  whenApplied(index: number): Promise<Readonly<Record<string, unknown>>>;
}

/** One call's context. The AbortController is made only if the tool reads `signal`. */
export class CallContext implements ToolContext {
  readonly callId: string;
  readonly #turn: CallHost;
  #index: number;
  #controller: AbortController | undefined;

  constructor(turn: CallHost, callId: string, index: number) {
    this.#turn = turn;
    this.callId = callId;
    this.#index = index;
  }
  get agent(): string {
    return this.#turn.env.agent;
  }
  get clock(): Clock {
    return this.#turn.env.clock;
  }
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#turn.aborted) this.#controller.abort(this.#turn.reason);
    }
    return this.#controller.signal;
  }
  get context(): Readonly<Record<string, unknown>> {
    return this.#turn.env.context();
  }
  afterEarlierCalls(): Promise<Readonly<Record<string, unknown>>> {
    return this.#turn.whenApplied(this.#index);
  }
  abort(reason: unknown): void {
    this.#controller?.abort(reason);
  }
}
