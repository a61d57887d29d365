/**
 * Message-driven agents, through the public API (inline placement, in-memory services).
 *
 * - Wake: `team.post` to an idle agent until its run has started (`run.started`), against the
 *   floor of a bare xstate actor `send` followed by one promise resolution: what the mailbox
 *   adds on the way from a post to a running agent (the post, the pump's wake on the bus, the
 *   delivery, the statechart's MAIL transition, the run's start). Timed one at a time (each run
 *   finishes before the next post), medians of the same number of samples.
 * - Many agents: agents whose zero-latency models pass messages to one another with
 *   `post_message` until 100,000 have been posted, at 10 and at 1,000 agents. A message is a
 *   post; the agent it reaches runs on it (queued messages share a run). The goal: the cost per
 *   message at 1,000 agents within 1.5x of the cost at 10 (no per-agent or per-message growth).
 */
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  type Model,
  type ModelRequest,
  type ModelResponse,
  systemClock,
  type Team,
} from '@troupe/core';
import { createActor, setup } from 'xstate';
import { figure, fmtUs, heading, ratio } from './lib/harness.js';

const WAKE_SAMPLES = 4_000;
const MESSAGES = 100_000;
const USAGE = { inputTokens: 1, outputTokens: 1 };

function newTeam(): Team {
  const clock = systemClock;
  return createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
  });
}

const answer = (text: string): Promise<ModelResponse> =>
  Promise.resolve({ text, toolCalls: [], usage: USAGE, stopReason: 'end' });

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** Post to an idle agent until its run has started, one at a time. */
async function wakeTroupe(): Promise<number> {
  const team = newTeam();
  const model: Model = { id: 'instant', generate: () => answer('ok') };
  await team.spawn(defineAgent({ name: 'a', instructions: '', model }), { name: 'a' });
  let started: () => void = () => {};
  team.on('run.started', () => started());
  const samples: number[] = [];
  for (let i = 0; i < WAKE_SAMPLES; i++) {
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const t0 = performance.now();
    await team.post('a', 'go');
    await running;
    samples.push(performance.now() - t0);
    await team.idle(); // the run ends before the next post: the agent is idle again
  }
  await team.close();
  return median(samples) * 1000;
}

/** The floor: a bare xstate actor's send, then one promise resolution, one at a time. */
async function wakeFloor(): Promise<number> {
  const machine = setup({
    types: { events: {} as { type: 'MAIL' } | { type: 'DONE' } },
  }).createMachine({
    initial: 'idle',
    states: { idle: { on: { MAIL: 'busy' } }, busy: { on: { DONE: 'idle' } } },
  });
  const actor = createActor(machine).start();
  const samples: number[] = [];
  for (let i = 0; i < WAKE_SAMPLES; i++) {
    const t0 = performance.now();
    actor.send({ type: 'MAIL' });
    await new Promise<void>((resolve) => resolve());
    samples.push(performance.now() - t0);
    actor.send({ type: 'DONE' });
  }
  actor.stop();
  return median(samples) * 1000;
}

/** `agents` agents passing `MESSAGES` messages; microseconds per message. */
async function relay(agents: number): Promise<{ usPerMessage: number; runs: number }> {
  const team = newTeam();
  const names = Array.from({ length: agents }, (_, i) => `a${i}`);
  let posted = 0;
  let runs = 0;
  let next = 0;
  const model: Model = {
    id: 'relay',
    generate(request: ModelRequest) {
      const last = request.messages[request.messages.length - 1];
      if (last?.role === 'tool') return answer('passed on');
      runs++;
      if (posted >= MESSAGES) return answer('done');
      posted++;
      next = (next * 7 + 13) % agents; // a fixed walk over the team, the same every run
      return Promise.resolve({
        text: '',
        toolCalls: [
          { id: `c${posted}`, name: 'post_message', arguments: { to: names[next], body: 'm' } },
        ],
        usage: USAGE,
        stopReason: 'tool_calls',
      });
    },
  };
  const definition = defineAgent({ name: 'relay', instructions: '', model, maxTurns: 4 });
  for (const name of names) await team.spawn(definition, { name });
  const t0 = performance.now();
  await team.post(names[0]!, 'start');
  await team.idle();
  const elapsed = performance.now() - t0;
  await team.close();
  if (posted !== MESSAGES) throw new Error(`relay: ${posted} of ${MESSAGES} messages posted`);
  return { usPerMessage: (elapsed * 1000) / MESSAGES, runs };
}

export default async function messagingBench(): Promise<void> {
  heading('wake: post to an idle agent until its run has started (inline)');
  // Interleaved rounds, medians of each: the machine is shared and noisy.
  const troupe: number[] = [];
  const floor: number[] = [];
  for (let round = 0; round < 3; round++) {
    floor.push(await wakeFloor());
    troupe.push(await wakeTroupe());
  }
  const troupeUs = median(troupe);
  const floorUs = median(floor);
  figure('troupe post -> run.started (median)', fmtUs(troupeUs));
  figure('bare xstate send + promise (median)', fmtUs(floorUs));
  ratio(
    'post to idle agent until its run started / bare xstate send + promise (median)',
    troupeUs / floorUs,
    {
      max: 5,
    },
  );

  heading(`agents passing ${MESSAGES.toLocaleString('en-US')} messages (zero-latency models)`);
  const small = await relay(10);
  const large = await relay(1_000);
  figure(
    '10 agents',
    `${fmtUs(small.usPerMessage)} per message, ${Math.round(1e6 / small.usPerMessage).toLocaleString('en-US')} messages/s, ${small.runs.toLocaleString('en-US')} runs`,
  );
  figure(
    '1,000 agents',
    `${fmtUs(large.usPerMessage)} per message, ${Math.round(1e6 / large.usPerMessage).toLocaleString('en-US')} messages/s, ${large.runs.toLocaleString('en-US')} runs`,
  );
  ratio('cost per message: 1,000 agents / 10 agents', large.usPerMessage / small.usPerMessage, {
    max: 1.5,
  });
}
