// Simulate your own team: the module `troupe run` takes (./team.mjs: a planner and two coders,
// zod tools, a role, a limit) on a simulated clock, with the stochastic policy, stubs and faults
// of ./team-scenario.json, four teams across two worker threads.
// Run: node packages/sim/examples/simulate-team.mjs [out-dir]   (after npm run build)
import { fileURLToPath } from 'node:url';
import {
  closeSimulationPools,
  loadTeamScenarioFile,
  runTeamSimulation,
  writeRunOutputs,
} from '@troupe/sim';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const scenario = await loadTeamScenarioFile(here('team-scenario.json'));
try {
  const result = await runTeamSimulation({
    module: here('team.mjs'),
    scenario,
    teams: 4,
    threads: 2,
  });
  const t = result.analysis.totals;
  console.log(`${t.teams} teams, ${t.modelCalls} model calls, faults ${JSON.stringify(t.faults)}`);
  for (const a of result.analysis.agents)
    console.log(`${a.agent}: ${a.toolCalls} tool calls, $${a.costUsd}`);
  console.log(`sha256 ${result.hash}`); // the same on every run and every thread count
  const files = await writeRunOutputs(process.argv[2] ?? 'troupe-out/planner-coders', result);
  console.log(files.report);
} finally {
  await closeSimulationPools();
}
