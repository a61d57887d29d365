/**
 * Spawning 10,000 agents into one team (inline) and stopping them: time, and heap per idle
 * agent. Each agent is a root xstate actor in the team's own registry (a Map), never a child of
 * one parent: the floor is 10,000 bare `createActor(machine).start()` calls on a minimal machine,
 * the naive baseline is spawning children into one parent actor (quadratic: measured with 2,000
 * children, already far slower than 10,000 root actors).
 */
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  systemClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing/doubles';
import { assign, createActor, setup } from 'xstate';
import { collectGarbage, figure, heading, heapUsed, ratio } from './lib/harness.js';

const AGENTS = 10_000;
const CHILDREN = 2_000;
const TIME_BUDGET_MS = 1_000;
const HEAP_BUDGET_BYTES = 8 * 1024;

const bare = setup({}).createMachine({
  initial: 'idle',
  states: { idle: { on: { GO: 'busy' } }, busy: {} },
});

function bareActors(count: number): number {
  const started = performance.now();
  const actors = [];
  for (let i = 0; i < count; i++) actors.push(createActor(bare).start());
  const ms = performance.now() - started;
  for (const actor of actors) actor.stop();
  return ms;
}

/** The naive way: every agent a spawned child of one parent machine. */
function childActors(count: number): number {
  const parent = setup({}).createMachine({
    context: { children: [] as unknown[] },
    on: {
      SPAWN: {
        actions: assign({ children: ({ context, spawn }) => [...context.children, spawn(bare)] }),
      },
    },
  });
  const actor = createActor(parent).start();
  const started = performance.now();
  for (let i = 0; i < count; i++) actor.send({ type: 'SPAWN' });
  const ms = performance.now() - started;
  actor.stop();
  return ms;
}

export default async function spawnBench(): Promise<void> {
  heading(`Spawning ${AGENTS.toLocaleString('en-US')} agents (inline) and stopping them`);
  const clock = systemClock;
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
  });
  const definition = defineAgent({
    name: 'idle',
    instructions: 'Wait.',
    model: scriptedModel({ steps: [] }),
  });
  // Warm up: load and JIT everything once.
  for (let i = 0; i < 200; i++) await team.spawn(definition, { name: `warm-${i}` });
  for (let i = 0; i < 200; i++) await team.stop(`warm-${i}`);
  bareActors(500);

  const floorMs = bareActors(AGENTS);
  collectGarbage();
  const before = heapUsed();
  const started = performance.now();
  for (let i = 0; i < AGENTS; i++) await team.spawn(definition, { name: `agent-${i}` });
  const spawnMs = performance.now() - started;
  const perAgent = (heapUsed() - before) / AGENTS;
  const stopStarted = performance.now();
  for (let i = 0; i < AGENTS; i++) await team.stop(`agent-${i}`);
  const stopMs = performance.now() - stopStarted;
  await team.close();
  const childrenMs = childActors(CHILDREN);

  figure(
    'spawn 10,000 agents',
    `${spawnMs.toFixed(0)} ms (${((spawnMs * 1000) / AGENTS).toFixed(1)} µs each)`,
  );
  figure('stop 10,000 agents', `${stopMs.toFixed(0)} ms`);
  figure('heap per idle agent', `${(perAgent / 1024).toFixed(2)} KiB`);
  figure('floor: 10,000 bare root actors', `${floorMs.toFixed(0)} ms`);
  figure(
    `naive: ${CHILDREN.toLocaleString('en-US')} children of one parent actor`,
    `${childrenMs.toFixed(0)} ms`,
  );
  ratio('spawn 10,000 agents: time / 1 s budget', spawnMs / TIME_BUDGET_MS, { max: 1 });
  ratio('heap per idle agent / 8 KiB budget', perAgent / HEAP_BUDGET_BYTES, { max: 1 });
  ratio('spawn: troupe agent / bare xstate root actor (informational)', spawnMs / floorMs);
  ratio(
    `spawn: ${CHILDREN} children of one parent / 10,000 troupe agents (informational)`,
    childrenMs / spawnMs,
  );
}
