import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { commitFiles, outputPaths, type RunOutputs, reportOf, summaryOf } from './output.js';
import {
  type ReplayOptions,
  runReplaySimulation,
  runSimulation,
  runTeamSimulation,
  type SimulationOptions,
  type SimulationResult,
  type TeamSimulationOptions,
} from './run-simulation.js';

/**
 * Runs a simulation (of the refactor scenario, or of a team module when `options.module` is
 * set) and writes its `events.jsonl`, `summary.json` and `report.html` into
 * `dir`, streaming the log to disk team by team as teams finish (in team order) instead of
 * holding it: memory stays bounded whatever `teams` is, and the hash is the SHA-256 of the
 * file's bytes, the same as {@link runSimulation} with `collectEvents` gives. Every file goes to
 * a temporary name first and is renamed into place once all three are complete; a failure
 * leaves no output behind (and no folder it created).
 *
 * @example
 * ```ts
 * const { result, files } = await writeSimulation('out/many', { scenario, teams: 10_000, threads: 2 });
 * console.log(result.hash, files.report);
 * ```
 */
export async function writeSimulation(
  dir: string,
  options:
    | Omit<SimulationOptions, 'eventLog' | 'collectEvents'>
    | Omit<TeamSimulationOptions, 'eventLog' | 'collectEvents'>
    | Omit<ReplayOptions, 'eventLog' | 'collectEvents'>,
  meta: { description?: string } = {},
): Promise<{ result: SimulationResult; files: RunOutputs }> {
  // The first folder mkdir made (undefined when `dir` existed): removed again on failure.
  const created = await mkdir(dir, { recursive: true });
  const files = outputPaths(dir);
  const suffix = `.tmp-${process.pid}`;
  const stream = createWriteStream(files.events + suffix);
  let result: SimulationResult;
  try {
    result =
      'recording' in options
        ? await runReplaySimulation({ ...options, eventLog: stream })
        : 'module' in options
          ? await runTeamSimulation({ ...options, eventLog: stream })
          : await runSimulation({ ...options, eventLog: stream });
    stream.end();
    await finished(stream);
  } catch (error) {
    stream.destroy();
    await rm(files.events + suffix, { force: true });
    if (created !== undefined) await rm(created, { recursive: true, force: true });
    throw error;
  }
  await commitFiles(
    [
      [files.summary, summaryOf(result)],
      [files.report, reportOf(result, meta)],
    ],
    suffix,
    [files.events],
  );
  return { result, files };
}
