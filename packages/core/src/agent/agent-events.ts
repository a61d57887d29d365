import { type AgentState, sinkWants } from '../events/team-events.js';
import type { AgentEnv } from './env.js';
import { type Mail, mailTrace } from './mail.js';

// The events an agent's runtime emits itself; each is built only when someone listens to it.

/** `run.started`: the run continues its first mail's sender's trace (tracing). */
export function emitRunStarted(
  env: AgentEnv,
  agent: string,
  runId: string,
  mails: readonly Mail[],
): void {
  const { events } = env;
  if (!sinkWants(events, 'run.started')) return;
  const trace = mailTrace(mails);
  events.emit({
    type: 'run.started',
    at: env.clock.now(),
    agent,
    runId,
    ...(trace === undefined ? {} : { trace }),
  });
}

/** `agent.interrupted`: a new message interrupted the run `runId`. */
export function emitInterrupted(env: AgentEnv, agent: string, runId: string): void {
  const { events } = env;
  if (sinkWants(events, 'agent.interrupted'))
    events.emit({ type: 'agent.interrupted', at: env.clock.now(), agent, runId });
}

/** `agent.state`: the agent's actor moved to `state`. */
export function emitAgentState(env: AgentEnv, agent: string, state: AgentState): void {
  const { events } = env;
  if (sinkWants(events, 'agent.state'))
    events.emit({ type: 'agent.state', at: env.clock.now(), agent, state });
}
