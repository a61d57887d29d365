import { type AnyTool, type Clock, type Rng, TroupeError } from '@troupe/core';
import type { TeamScenario } from './team-scenario.js';

/**
 * The agent's tools with those the scenario stubs replaced: same name, description and input
 * schema (so the policy model generates the same arguments and the runtime validates them the
 * same way), but a canned result after the stub's simulated latency, or a tool error with the
 * stub's error probability. Nothing touches the world.
 */
export function stubTools(
  tools: readonly AnyTool[],
  stubs: TeamScenario['stubs'],
  clock: Clock,
  rng: Rng,
): AnyTool[] {
  return tools.map((tool) => {
    const stub = stubs[tool.name];
    if (stub === undefined) return tool;
    const stubbed: AnyTool = {
      ...tool,
      async run() {
        if (stub.latencyMs > 0) {
          await new Promise<void>((resolve) => clock.setTimeout(resolve, stub.latencyMs));
        }
        if (stub.errorProbability > 0 && rng.next() < stub.errorProbability) {
          throw new TroupeError('ERR_INTERNAL', `stubbed ${tool.name} failed (injected)`);
        }
        return stub.result;
      },
    };
    return stubbed;
  });
}
