// One "worker team" per (team, worker): a team's agents on one worker thread of the agent pool. Runs in
// the worker (worker.ts, from core's dist); agents come from module specifiers (plain JS Node
// can import).
import { type Clock, systemClock } from '../../clock.js';
import { TroupeError } from '../../errors.js';
import type { AgentState } from '../../events/team-events.js';
import { createTeamTools } from '../../team/team-tools.js';
import { InlinePlacement } from '../inline.js';
import type { TurnRecord } from '../types.js';
import {
  type Batch,
  type DownMsg,
  Outbox,
  type ReplyMsg,
  toWire,
  type WorkerTeamInit,
} from './protocol.js';
import {
  RemoteClock,
  RpcClient,
  remoteBus,
  remoteLimiter,
  remoteRoster,
  remoteState,
  remoteTeam,
} from './remote-services.js';
import { WorkerEvents } from './worker-events.js';

/** Only the last state per agent per batch matters: a step's two or three moves cost one message. */
function batchStates(outbox: Outbox): (agent: string, state: AgentState) => void {
  const states = new Map<string, AgentState>();
  outbox.beforeFlush(() => {
    for (const [agent, state] of states) outbox.push({ t: 'state', agent, state });
    states.clear();
  });
  return (agent, state) => {
    states.set(agent, state);
    outbox.schedule();
  };
}

/**
 * An agent's turn records within one batch merge into one (the latest context and usage, the
 * history ranges joined), so a step's two saves cost one structured clone of its context. Added
 * at flush time, so a record never arrives after the run result it belongs to (the coordinator
 * handles a whole batch before any promise continuation runs).
 */
function batchTurns(outbox: Outbox): (agent: string, record: TurnRecord) => void {
  const turns = new Map<string, TurnRecord>();
  outbox.beforeFlush(() => {
    for (const [agent, record] of turns) outbox.push({ t: 'turn', agent, record });
    turns.clear();
  });
  return (agent, record) => {
    const earlier = turns.get(agent);
    if (earlier === undefined) turns.set(agent, record);
    else if (earlier.fromIndex + earlier.messages.length === record.fromIndex) {
      turns.set(agent, {
        ...record,
        fromIndex: earlier.fromIndex,
        messages: earlier.messages.concat(record.messages),
      });
    } else {
      // Not contiguous (a restored agent under the same name): keep both, in order.
      outbox.push({ t: 'turn', agent, record: earlier });
      turns.set(agent, record);
    }
    outbox.schedule();
  };
}

/** The worker team's agents: an {@link InlinePlacement} whose services are proxies of the coordinator's. */
function workerTeamAgents(
  init: WorkerTeamInit,
  outbox: Outbox,
  clock: Clock,
  rpc: RpcClient,
  events: WorkerEvents,
): InlinePlacement {
  // Asks go through the coordinator (its reply router and wait-for graph); a handoff marks the
  // agent's run right here, where the agent runs.
  const teamTools = createTeamTools({
    state: remoteState(rpc),
    bus: remoteBus(rpc),
    events,
    roster: remoteRoster(rpc),
    ...remoteTeam(rpc),
    handOff: (from, to, message) => agents.handOff(from, { to, message }),
    handled: (agent) => agents.handled(agent),
  });
  const agents: InlinePlacement = new InlinePlacement(
    {
      clock,
      limiter: remoteLimiter(rpc),
      events,
      teamTools,
      limiterKeys: init.limiterKeys,
      defaults: init.defaults,
    },
    {
      onState: batchStates(outbox),
      onFailure: (agent, error) => outbox.push({ t: 'failure', agent, error: toWire(error) }),
      onRunEnd: (agent, end) => outbox.push({ t: 'ended', agent, end }),
      onTaken: (agent, seq) => outbox.push({ t: 'taken', agent, seq }),
      afterTurn: init.persist ? batchTurns(outbox) : undefined,
    },
  );
  return agents;
}

/** What a worker team does on the coordinator's requests (the messages with a `rid`). */
function request(
  agents: InlinePlacement,
  msg: Extract<DownMsg, { rid: number }>,
): Promise<unknown> {
  switch (msg.t) {
    case 'spawn':
      return agents.spawn({
        name: msg.name,
        role: msg.role,
        source: msg.source,
        whenBusy: msg.whenBusy,
        leaseTimeoutMs: msg.leaseTimeoutMs,
      });
    case 'cancel':
      return agents.cancel(msg.agent);
    case 'restart':
      return agents.restart(msg.agent);
    case 'stop':
      return agents.stop(msg.agent);
    case 'history':
      return agents.history(msg.agent);
    case 'context':
      return agents.context(msg.agent);
    case 'restore':
      return (async () => agents.restore(msg.agent, msg.session))();
    case 'derived':
      return agents.derived(msg.agent);
    case 'cursor':
      return agents.cursor(msg.agent, msg.rebase);
    case 'decide':
      return agents.decide(msg.agent, msg.runId, msg.callId, msg.decision);
  }
}

/**
 * Runs one worker team until the coordinator says `close`: agents run in an {@link InlinePlacement}
 * whose services are proxies of the coordinator's (state, bus, limiter, clock, roster).
 */
export function runWorkerTeam(init: WorkerTeamInit): Promise<void> {
  const { port } = init;
  let remoteClock: RemoteClock | undefined;
  const outbox = new Outbox(port, () => (remoteClock ?? systemClock).now());
  remoteClock = init.clock === 'remote' ? new RemoteClock(outbox, init.now) : undefined;
  const rpc = new RpcClient(outbox);
  const events = new WorkerEvents(outbox, init.eventTypes);
  const agents = workerTeamAgents(init, outbox, remoteClock ?? systemClock, rpc, events);

  return new Promise<void>((resolve) => {
    const close = async (): Promise<void> => {
      port.off('message', onMessage);
      await agents.close(); // cancels runs: their results are pushed before the last flush
      rpc.failAll(new TroupeError('ERR_CLOSED', 'the team is closed'));
      await new Promise((r) => setImmediate(r));
      outbox.push({ t: 'closed' });
      outbox.flush();
      outbox.close();
      port.close();
      resolve();
    };

    const handle = (msg: DownMsg | ReplyMsg): void => {
      switch (msg.t) {
        case 'ok':
        case 'err':
          rpc.reply(msg);
          return;
        case 'timer':
          remoteClock?.fire(msg.id, msg.at);
          return;
        case 'deliver':
          try {
            agents.deliver(msg.agent, msg.mails);
          } catch {
            // The agent is gone (stopped meanwhile): the coordinator no longer routes to it.
          }
          return;
        case 'markFailed':
          agents.markFailed(msg.agent);
          return;
        case 'events':
          events.setTypes(msg.types);
          return;
        case 'close':
          void close();
          return;
        default: {
          const { rid } = msg;
          request(agents, msg).then(
            (value) => outbox.push({ t: 'ok', rid, value }),
            (error: unknown) => outbox.push({ t: 'err', rid, error: toWire(error) }),
          );
        }
      }
    };

    const onMessage = (batch: Batch): void => {
      remoteClock?.advanceTo(batch.now);
      const msgs = batch.msgs as readonly (DownMsg | ReplyMsg)[];
      for (let i = 0; i < msgs.length; i++) handle(msgs[i]!);
      outbox.received = batch.seq;
      outbox.schedule(); // the ack goes out after this batch's work has settled
    };
    port.on('message', onMessage);
  });
}
