import { type AnyTool, type Clock, type Rng, TroupeError } from '@troupe/core';
import type { RecordedToolCall } from '../record/recording.js';
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

/**
 * The agent's tools for a replay: each call returns the next recorded result of that tool for
 * that agent (after its recorded duration on the clock), or throws its recorded error. Past the
 * end of the recording a stubbed tool answers as its stub; any other is a tool error.
 */
export function replayTools(
  tools: readonly AnyTool[],
  recorded: ReadonlyMap<string, readonly RecordedToolCall[]> | undefined,
  fallback: readonly AnyTool[],
  clock: Clock,
): AnyTool[] {
  return tools.map((tool, i) => {
    const calls = recorded?.get(tool.name) ?? [];
    let next = 0;
    const replayed: AnyTool = {
      ...tool,
      async run(input, ctx) {
        const call = calls[next++];
        if (call === undefined) {
          if (fallback[i] !== tool) return fallback[i]!.run(input, ctx);
          throw new TroupeError(
            'ERR_INTERNAL',
            `the recording has no more results of ${tool.name}`,
          );
        }
        if (call.durationMs > 0) {
          await new Promise<void>((resolve) => clock.setTimeout(resolve, call.durationMs));
        }
        if (call.error !== undefined) throw new TroupeError('ERR_INTERNAL', call.error);
        return call.result;
      },
    };
    return replayed;
  });
}
