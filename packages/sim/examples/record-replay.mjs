// Record a run, then replay it on the simulated clock: the same hash every time, and a
// what-if (a backend outage, a second copy of the agent) that changes it.
// The "live" model here is a scripted one so the example needs no network; `troupe run
// --record DIR` records a real provider's run the same way.
// Run: node packages/sim/examples/record-replay.mjs [dir]   (after npm run build)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  systemClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { createRecorder, parseTeamScenario, runReplaySimulation } from '@troupe/sim';

const module = fileURLToPath(new URL('./geographer.mjs', import.meta.url));
const dir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'troupe-rec-')));

// 1. Record: wrap the module's agents, run them live, close the recorder.
const model = scriptedModel({
  steps: (_request, call) =>
    call.turn === 0
      ? { toolCalls: [{ id: 'c1', name: 'capital_of', arguments: { country: 'France' } }] }
      : { text: `The capital is ${call.toolResults[0]?.content}.` },
});
const { default: build } = await import(module);
const recorder = await createRecorder(dir, { module });
const spec = recorder.wrap(build({ model, clock: systemClock }));
const team = createTeam({
  clock: systemClock,
  state: createSharedState({ clock: systemClock }),
  limiter: createRateLimiter({ clock: systemClock, rules: [] }),
  bus: createBus({ clock: systemClock }),
});
// wrap() gives each agent as { definition, name, role? }, as a module may list them.
for (const { definition, name } of spec.agents) await team.spawn(definition, { name });
console.log((await team.send('geographer', spec.task)).text);
await team.close();
await recorder.close({ task: spec.task, to: 'geographer' });

// 2. Replay, three times: one hash.
const hashes = new Set();
for (let i = 0; i < 3; i++) hashes.add((await runReplaySimulation({ recording: dir })).hash);
console.log(`replays: ${hashes.size} distinct hash ${[...hashes][0]}`);

// 3. What if the backend was down for the first two seconds, and a second geographer got the task?
const whatIf = parseTeamScenario({
  faults: { outages: [{ from: 0, to: 2_000 }] },
  clones: { 'geographer-2': 'geographer' },
  to: 'geographer-2',
});
const changed = await runReplaySimulation({ recording: dir, scenario: whatIf });
console.log(
  `what-if: ${changed.analysis.totals.faults.outage ?? 0} outage faults, sha256 ${changed.hash}`,
);
