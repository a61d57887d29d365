// Many teams, bounded memory: 2,000 small teams on two worker threads, the event log streamed
// to disk team by team and the analysis folded in as teams arrive.
// Run: node packages/sim/examples/many-teams.mjs [out-dir] [teams]   (after npm run build)
import { closeSimulationPools, parseScenario, writeSimulation } from '@troupe/sim';

const scenario = parseScenario({
  name: 'many-small',
  workload: { files: 4, regionsPerFile: [1, 2] },
  team: { agents: [{ name: 'dev', count: 3 }] },
  faults: { rateLimited: 0.03 },
});
try {
  const { result, files } = await writeSimulation(process.argv[2] ?? 'troupe-out/many-small', {
    scenario,
    teams: Number(process.argv[3] ?? 2_000),
    threads: 2,
  });
  console.log(`${result.teams} teams, ${result.eventCount} events, sha256 ${result.hash}`);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  console.log(files.events);
} finally {
  await closeSimulationPools();
}
