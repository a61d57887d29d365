// One long-running "host" per (team, slot), holding many agents. Loaded (through worker.ts)
// by piscina from core's dist; agents come from module specifiers (plain JS Node can import).
import { type Clock, systemClock } from '../../clock.js';
import { TroupeError } from '../../errors.js';
import type { AgentState, EventSink, TeamEvent, TeamEventType } from '../../events/team-events.js';
import { createTeamTools } from '../../team/team-tools.js';
import { InlinePlacement } from '../inline.js';
import type { TurnRecord } from '../types.js';
import {
  type Batch,
  type DownMsg,
  type HostInit,
  Outbox,
  type ReplyMsg,
  toWire,
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

/**
 * The host's event sink: it mirrors which types the coordinator's listeners take, so emitters
 * build (and the port carries) only those; model deltas stay off unless someone listens to them.
 */
class WorkerEvents implements EventSink {
  active = false;
  #all = false;
  #types: ReadonlySet<string> = new Set();
  readonly #outbox: Outbox;
  constructor(outbox: Outbox, types: readonly string[]) {
    this.#outbox = outbox;
    this.setTypes(types);
  }
  setTypes(types: readonly string[]): void {
    this.#types = new Set(types);
    this.#all = this.#types.has('*');
    this.active = this.#types.size > 0;
  }
  wants(type: TeamEventType): boolean {
    return this.active && (this.#all || this.#types.has(type));
  }
  emit(event: TeamEvent): void {
    // Checked again here: an emitter that asked only `active` still sends no unwanted type.
    if (this.wants(event.type)) this.#outbox.push({ t: 'event', event });
  }
}

/**
 * Runs one host until the coordinator says `close`: agents run in an {@link InlinePlacement}
 * whose services are proxies of the coordinator's (state, bus, limiter, clock, roster).
 */
export function runHost(init: HostInit): Promise<void> {
  const { port } = init;
  let remoteClock: RemoteClock | undefined;
  const outbox = new Outbox(port, () => (remoteClock ?? systemClock).now());
  remoteClock = init.clock === 'remote' ? new RemoteClock(outbox, init.now) : undefined;
  const clock: Clock = remoteClock ?? systemClock;
  const rpc = new RpcClient(outbox);
  // The coordinator mirrors each agent's state: only the last state per agent per batch matters,
  // so a step's two or three moves cost one message, added when the batch is posted.
  const states = new Map<string, AgentState>();
  outbox.beforeFlush(() => {
    for (const [agent, state] of states) outbox.push({ t: 'state', agent, state });
    states.clear();
  });
  // Turn records too: an agent's records within one batch merge into one (the latest context and
  // usage, the history ranges joined), so a step's two saves cost one structured clone of its
  // context. Added at flush time, so a record never arrives after the run result it belongs to
  // (the coordinator handles a whole batch before any promise continuation runs).
  const turns = new Map<string, TurnRecord>();
  const recordTurn = (agent: string, record: TurnRecord): void => {
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
  outbox.beforeFlush(() => {
    for (const [agent, record] of turns) outbox.push({ t: 'turn', agent, record });
    turns.clear();
  });
  const events = new WorkerEvents(outbox, init.eventTypes);
  const state = remoteState(rpc);
  const bus = remoteBus(rpc);
  // Asks go through the coordinator (its reply router and wait-for graph); a handoff marks the
  // agent's run right here, where the agent runs.
  const teamTools = createTeamTools({
    state,
    bus,
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
      onState: (agent, agentState) => {
        states.set(agent, agentState);
        outbox.schedule();
      },
      onFailure: (agent, error) => outbox.push({ t: 'failure', agent, error: toWire(error) }),
      onRunEnd: (agent, end) => outbox.push({ t: 'ended', agent, end }),
      onTaken: (agent, seq) => outbox.push({ t: 'taken', agent, seq }),
      afterTurn: init.persist ? recordTurn : undefined,
    },
  );

  const answer = (rid: number, work: () => Promise<unknown>): void => {
    work().then(
      (value) => outbox.push({ t: 'ok', rid, value }),
      (error: unknown) => outbox.push({ t: 'err', rid, error: toWire(error) }),
    );
  };

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
        case 'spawn':
          answer(msg.rid, () =>
            agents.spawn({
              name: msg.name,
              role: msg.role,
              source: msg.source,
              whenBusy: msg.whenBusy,
              leaseTimeoutMs: msg.leaseTimeoutMs,
            }),
          );
          return;
        case 'cancel':
          answer(msg.rid, () => agents.cancel(msg.agent));
          return;
        case 'restart':
          answer(msg.rid, () => agents.restart(msg.agent));
          return;
        case 'stop':
          answer(msg.rid, () => agents.stop(msg.agent));
          return;
        case 'history':
          answer(msg.rid, () => agents.history(msg.agent));
          return;
        case 'context':
          answer(msg.rid, () => agents.context(msg.agent));
          return;
        case 'restore':
          answer(msg.rid, async () => agents.restore(msg.agent, msg.session));
          return;
        case 'derived':
          answer(msg.rid, () => agents.derived(msg.agent));
          return;
        case 'cursor':
          answer(msg.rid, () => agents.cursor(msg.agent, msg.rebase));
          return;
        case 'decide':
          answer(msg.rid, () => agents.decide(msg.agent, msg.runId, msg.callId, msg.decision));
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
