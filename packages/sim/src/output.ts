import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TroupeError } from '@troupe/core';
import type { SimEvent } from './events.js';
import { readFileBytes, readTextFile } from './read-text.js';
import { renderReport } from './report/html.js';
import type { SimulationResult } from './run-simulation.js';

/**
 * The paths of the files {@link writeRunOutputs} wrote.
 *
 * @example
 * ```ts
 * const files: RunOutputs = await writeRunOutputs('out/run-1', result);
 * console.log(files.report); // out/run-1/report.html
 * ```
 */
export interface RunOutputs {
  readonly events: string;
  readonly summary: string;
  readonly report: string;
}

/** The summary.json of a simulation: its parameters, hash, totals and per-team results. */
export function summaryOf(result: SimulationResult): string {
  const summary = {
    scenario: result.scenario,
    seed: result.seed,
    teams: result.teams,
    threads: result.threads,
    eventLogSha256: result.hash,
    events: result.eventCount,
    totals: result.analysis.totals,
    perTeam: result.perTeam,
    wallMs: Math.round(result.wallMs),
  };
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/** The report.html of a simulation. */
export function reportOf(result: SimulationResult, meta: { description?: string }): string {
  return renderReport(result.analysis, {
    scenario: result.scenario,
    seed: result.seed,
    logHash: result.hash,
    ...(meta.description === undefined ? {} : { description: meta.description }),
  });
}

/** The three output paths in `dir`. */
export function outputPaths(dir: string): RunOutputs {
  return {
    events: join(dir, 'events.jsonl'),
    summary: join(dir, 'summary.json'),
    report: join(dir, 'report.html'),
  };
}

/**
 * Writes each `[path, text]` to a temporary name, then renames all into place; on failure
 * removes the temporary files (and those of `renames`, already written by the caller) and
 * rethrows.
 */
export async function commitFiles(
  contents: readonly [string, string][],
  suffix: string,
  renames: readonly string[] = [],
): Promise<void> {
  try {
    for (const [path, text] of contents) await writeFile(path + suffix, text);
    for (const path of [...renames, ...contents.map(([p]) => p)]) await rename(path + suffix, path);
  } catch (error) {
    await Promise.all(
      [...renames, ...contents.map(([p]) => p)].map((path) => rm(path + suffix, { force: true })),
    );
    throw error;
  }
}

/**
 * Writes a simulation's `events.jsonl`, `summary.json` and `report.html` into `dir`. Each file
 * is written to a temporary name first and renamed into place only once all three are
 * complete, so a failure leaves no half-written output. For many teams, {@link writeSimulation}
 * streams the log instead of holding it.
 *
 * @example
 * ```ts
 * const files = await writeRunOutputs('out/run-1', result, { description: scenario.description });
 * ```
 */
export async function writeRunOutputs(
  dir: string,
  result: SimulationResult,
  meta: { description?: string } = {},
): Promise<RunOutputs> {
  await mkdir(dir, { recursive: true });
  const final = outputPaths(dir);
  await commitFiles(
    [
      [final.events, result.lines.length === 0 ? '' : `${result.lines.join('\n')}\n`],
      [final.summary, summaryOf(result)],
      [final.report, reportOf(result, meta)],
    ],
    `.tmp-${process.pid}`,
  );
  return final;
}

const EVENT_TYPES = new Set([
  'run.started',
  'turn.started',
  'turn.ended',
  'lease.waited',
  'model.answered',
  'model.failed',
  'claim.granted',
  'claim.conflicted',
  'claim.released',
  'discovery.shared',
  'message.posted',
  'region.done',
  'agent.failed',
  'agent.restarted',
  'run.finished',
]);

/**
 * Reads an `events.jsonl` file. A line that is not a simulation event is an
 * `ERR_INVALID_ARGUMENT` naming the file and line.
 *
 * @example
 * ```ts
 * const events = await readEventLog('troupe-out/refactor-200-seed1/events.jsonl');
 * const html = renderReport(analyze(events), { scenario: 'refactor-200', seed: 1, logHash });
 * ```
 */
export async function readEventLog(path: string): Promise<SimEvent[]> {
  return parseEventLog(await readTextFile(path, 'event log'), path);
}

/**
 * Reads an `events.jsonl` file once and returns its events with the SHA-256 of its bytes (the
 * run's fingerprint, as `troupe sim` printed it). Errors as {@link readEventLog}.
 *
 * @example
 * ```ts
 * const { events, sha256 } = await readEventLogWithHash('troupe-out/refactor-200-seed1/events.jsonl');
 * const html = renderReport(analyze(events), { scenario: 'refactor-200', seed: 1, logHash: sha256 });
 * ```
 */
export async function readEventLogWithHash(
  path: string,
): Promise<{ events: SimEvent[]; sha256: string }> {
  const bytes = await readFileBytes(path, 'event log');
  return {
    events: parseEventLog(bytes.toString('utf8'), path),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

function parseEventLog(text: string, path: string): SimEvent[] {
  const events: SimEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new TroupeError('ERR_INVALID_ARGUMENT', `${path}:${i + 1}: not valid JSON`);
    }
    const e = value as Partial<SimEvent>;
    if (
      typeof e !== 'object' ||
      e === null ||
      typeof e.t !== 'number' ||
      typeof e.team !== 'number' ||
      !EVENT_TYPES.has(String(e.type))
    ) {
      throw new TroupeError('ERR_INVALID_ARGUMENT', `${path}:${i + 1}: not a simulation event`);
    }
    events.push(value as SimEvent);
  }
  return events;
}
