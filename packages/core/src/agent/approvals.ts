import { jsonProblem } from '../backend/json-value.js';
import { TroupeError } from '../errors.js';
import { sinkWants } from '../events/team-events.js';
import type { ToolCall } from '../model.js';
import type { ApprovalContext } from '../tools/define-tool.js';
import { ARGUMENT_LIMITS } from '../tools/tool-bounds.js';
import type { AgentRuntime } from './agent-runtime.js';
import {
  APPROVALS_KEY,
  type ApprovalDecision,
  type PauseRecord,
  pausedCalls,
  pauseRecord,
} from './approval-record.js';
import { Run } from './run.js';

const TOOLS = Object.freeze({ type: 'ANSWERED', kind: 'tools' } as const);
const APPROVAL = Object.freeze({ type: 'ANSWERED', kind: 'approval' } as const);
const DONE = Object.freeze({ type: 'APPROVALS_DONE' } as const);
const RESUME = Object.freeze({ type: 'RESUME_PAUSED' } as const);

/** A run paused for approval: the calls that need a person and the decisions so far. */
interface Pause {
  readonly run: Run;
  readonly needed: readonly string[];
  readonly decisions: Map<string, true | string>;
  /** Taken up from a restored session: its record is stored already. */
  readonly restored: boolean;
}

/**
 * Tool approval for one agent: which calls of an answer need a person (`needsApproval`), the
 * pause while they wait (persisted in the agent's context under {@link APPROVALS_KEY}, so a
 * resumed session pauses again), the decisions (`team.approve` / `team.reject`), and the
 * rejections the tools turn turns into error results.
 */
export class Approvals {
  readonly #agent: AgentRuntime;
  /** Whether any of the agent's tools has `needsApproval` (decided on first use). */
  #any: boolean | undefined;
  #pause: Pause | undefined;
  /** The last pause's decided calls, after it ended: a second decision is a conflict. */
  #decided: { readonly runId: string; readonly ids: ReadonlySet<string> } | undefined;
  /** A pause found in a restored session, until the actor takes it (`beginPausedRun`). */
  #restored: { readonly record: PauseRecord; readonly calls: readonly ToolCall[] } | undefined;

  constructor(agent: AgentRuntime) {
    this.#agent = agent;
  }

  /**
   * The model answered with tool calls: `ANSWERED` with kind `'approval'` when any call needs a
   * person, `'tools'` otherwise. Checks that return a promise are awaited (the run stays in
   * `callingModel` meanwhile; its lease was already settled).
   */
  answer(run: Run): void {
    const agent = this.#agent;
    this.#any ??= agent.tools.list.some((tool) => tool.needsApproval !== undefined);
    if (!this.#any) {
      agent.send(TOOLS);
      return;
    }
    const calls = run.calls;
    const needs: boolean[] = new Array(calls.length).fill(false);
    const waits: Promise<void>[] = [];
    for (let i = 0; i < calls.length; i++) {
      const verdict = this.#needs(run, calls[i]!);
      if (typeof verdict === 'boolean') {
        needs[i] = verdict;
        continue;
      }
      waits.push(
        verdict.then((value) => {
          needs[i] = value;
        }),
      );
    }
    const decide = (): void => {
      if (!agent.current(run)) return;
      const needed = calls.filter((_, i) => needs[i]).map((call) => call.id);
      if (needed.length === 0) {
        agent.send(TOOLS);
        return;
      }
      this.#pause = { run, needed, decisions: new Map(), restored: false };
      agent.send(APPROVAL);
    };
    if (waits.length === 0) decide();
    else void Promise.all(waits).then(decide);
  }

  /**
   * Entry of `awaitingApproval`: the pause is stored (a restored one is already: saving it
   * again while the session is being loaded would go below the stored revision), and each
   * waiting call announced.
   */
  await(run: Run): void {
    const pause = this.#pause;
    if (pause === undefined || pause.run !== run) return;
    if (!pause.restored) this.#store(pause);
    const agent = this.#agent;
    const { events, clock } = agent.env;
    if (sinkWants(events, 'tool.approval_requested')) {
      for (const call of run.calls) {
        if (!pause.needed.includes(call.id) || pause.decisions.has(call.id)) continue;
        events.emit({
          type: 'tool.approval_requested',
          at: clock.now(),
          agent: agent.name,
          runId: run.id,
          callId: call.id,
          tool: call.name,
          arguments: call.arguments,
        });
      }
    }
    // A restored pause whose calls were all decided before the restart goes on at once.
    if (pause.decisions.size === pause.needed.length) agent.send(DONE);
  }

  /**
   * A person's decision on one waiting call. `ERR_NOT_FOUND` when the agent has no such call
   * waiting; `ERR_CONFLICT` when the call was already decided (the first decision stands).
   */
  decide(runId: string, callId: string, decision: ApprovalDecision): void {
    const pause = this.#pause;
    const decided = this.#decided;
    if (
      (pause?.run.id === runId && pause.decisions.has(callId)) ||
      (decided?.runId === runId && decided.ids.has(callId))
    ) {
      throw new TroupeError(
        'ERR_CONFLICT',
        `tool call "${callId}" of run "${runId}" was already decided`,
        {
          details: { runId, callId },
        },
      );
    }
    if (
      pause === undefined ||
      pause.run.id !== runId ||
      !pause.needed.includes(callId) ||
      !this.#agent.current(pause.run)
    ) {
      throw new TroupeError(
        'ERR_NOT_FOUND',
        `no tool call "${callId}" of run "${runId}" awaits approval`,
        { details: { runId, callId } },
      );
    }
    pause.decisions.set(callId, decision.approved ? true : decision.reason);
    const agent = this.#agent;
    const { events, clock } = agent.env;
    if (sinkWants(events, 'tool.approval_decided')) {
      const call = pause.run.calls.find((c) => c.id === callId);
      events.emit({
        type: 'tool.approval_decided',
        at: clock.now(),
        agent: agent.name,
        runId,
        callId,
        tool: call?.name ?? '',
        approved: decision.approved,
        ...(decision.approved ? {} : { reason: decision.reason }),
      });
    }
    if (pause.decisions.size < pause.needed.length) {
      this.#store(pause);
      return;
    }
    agent.send(DONE);
  }

  /**
   * The tools turn starts: the pause ends (its record leaves the stored context at once, so a
   * crash while the approved calls run closes them like any dangling call), and the rejected
   * calls come back with their reasons. `undefined` when `run` was not paused.
   */
  take(run: Run): ReadonlyMap<string, string> | undefined {
    const pause = this.#pause;
    if (pause === undefined || pause.run !== run) return undefined;
    this.#end(pause);
    this.#agent.afterTurn();
    const rejected = new Map<string, string>();
    for (const [id, decision] of pause.decisions) if (decision !== true) rejected.set(id, decision);
    return rejected.size === 0 ? undefined : rejected;
  }

  /** The run stops while paused (cancel, interrupt, failure): the pause is forgotten. */
  drop(run: Run | undefined): void {
    const pause = this.#pause;
    if (pause !== undefined && pause.run === run) this.#end(pause);
  }

  /**
   * After a session was loaded into the agent: a stored pause that still matches the history
   * pauses the agent again (`RESUME_PAUSED`: the actor enters `awaitingApproval`, announcing the
   * waiting calls once more). A stale record is removed.
   */
  restore(): void {
    const agent = this.#agent;
    const record = pauseRecord(agent.context);
    if (record === undefined) {
      if (APPROVALS_KEY in agent.context) agent.update([{ op: 'delete', key: APPROVALS_KEY }]);
      return;
    }
    const calls = pausedCalls(agent.history, record);
    if (calls === undefined) {
      agent.update([{ op: 'delete', key: APPROVALS_KEY }]);
      return;
    }
    this.#restored = { record, calls };
    agent.send(RESUME);
  }

  /** The run a restored pause belongs to (its id and turns as they were), paused again. */
  resumedRun(): Run {
    const restored = this.#restored!;
    this.#restored = undefined;
    const { record, calls } = restored;
    const run = new Run(record.runId, []);
    run.turns = record.turns;
    run.calls = calls;
    this.#pause = {
      run,
      needed: record.needed,
      decisions: new Map(Object.entries(record.decisions)),
      restored: true,
    };
    return run;
  }

  /**
   * Whether `call` needs a person: a boolean now, or a promise of one. A check that has not
   * answered within the tool's `timeoutMs` (on the team's clock) counts as `true`.
   */
  #needs(run: Run, call: ToolCall): boolean | Promise<boolean> {
    const agent = this.#agent;
    const tool = agent.tools.byName.get(call.name);
    const rule = tool?.needsApproval;
    if (tool === undefined || rule === undefined || typeof rule === 'boolean') return rule === true;
    // Arguments the tools turn refuses anyway never wait for a person.
    if (jsonProblem(call.arguments, ARGUMENT_LIMITS) !== undefined) return false;
    const parsed = tool.input.safeParse(call.arguments);
    if (!parsed.success) return false;
    const ctx: ApprovalContext = {
      agent: agent.name,
      runId: run.id,
      callId: call.id,
      context: agent.context,
    };
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = rule(parsed.data, ctx);
    } catch {
      return true; // fail closed: a check that throws asks a person
    }
    if (!(verdict instanceof Promise)) return verdict !== false;
    const clock = agent.env.clock;
    const pending = verdict;
    return new Promise<boolean>((resolve) => {
      const timer = clock.setTimeout(() => resolve(true), tool.timeoutMs);
      const settle = (value: boolean): void => {
        clock.clearTimeout(timer);
        resolve(value);
      };
      pending.then(
        (value) => settle(value !== false),
        () => settle(true),
      );
    });
  }

  /** Writes the pause into the agent's context and hands it to persistence. */
  #store(pause: Pause): void {
    const record: PauseRecord = {
      runId: pause.run.id,
      turns: pause.run.turns,
      needed: pause.needed,
      decisions: Object.fromEntries(pause.decisions),
    };
    const agent = this.#agent;
    agent.update([{ op: 'set', key: APPROVALS_KEY, value: record }]);
    agent.afterTurn();
  }

  #end(pause: Pause): void {
    this.#pause = undefined;
    this.#decided = { runId: pause.run.id, ids: new Set(pause.decisions.keys()) };
    if (APPROVALS_KEY in this.#agent.context)
      this.#agent.update([{ op: 'delete', key: APPROVALS_KEY }]);
  }
}
