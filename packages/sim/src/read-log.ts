import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { type TeamEvent, TroupeError } from '@troupe/core';
import type { SimEvent } from './events.js';
import { LiveEventConverter } from './live-events.js';
import { type Analysis, EventLogAnalyzer } from './report/analyze.js';

/** The longest line read, in characters: a longer one is refused, not buffered without end. */
const MAX_LINE = 16 * 1024 * 1024;

const SIM_TYPES = new Set([
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
  'tool.returned',
  'cost.reported',
  'agent.failed',
  'agent.restarted',
  'run.finished',
]);

/** `2026-12-07T18:00:00.000Z turn.started {"agent":"ada",...}`: what `troupe run` prints. */
const LIVE_LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) ([a-z]+\.[a-z_]+) (\{.*\})$/;

/**
 * What {@link analyzeEventLogFile} found: the analysis, the SHA-256 of the file's bytes, the
 * number of events, and whether the log came from a simulation or a live run.
 *
 * @example
 * ```ts
 * const log: EventLogSummary = await analyzeEventLogFile('out/events.jsonl');
 * console.log(log.source, log.events, log.sha256);
 * ```
 */
export interface EventLogSummary {
  readonly analysis: Analysis;
  readonly sha256: string;
  readonly events: number;
  readonly source: 'simulation' | 'live';
  /** From the first `run.started` of a simulation's log. */
  readonly scenario?: string;
  readonly seed?: number;
  /** Lines of a live log that were not events (other output of the run), skipped. */
  readonly skipped: number;
}

const bad = (path: string, line: number, what: string) =>
  new TroupeError('ERR_INVALID_ARGUMENT', `${path}:${line}: ${what}`, {
    details: { path, line },
  });

/**
 * Reads an event log as a stream and folds it as it goes, so a log of any size takes bounded
 * memory: a simulation's `events.jsonl` (`troupe sim`), a live run's event lines as
 * `troupe run` prints them (`<ISO time> <type> <JSON>`, other lines of its output skipped), or
 * a live run's events as JSON lines (`{"type":...,"at":...}`). The format is told from the first
 * line. A line that is not an event of a simulation log is an `ERR_INVALID_ARGUMENT` naming the
 * file and line; a missing file is `ERR_NOT_FOUND`.
 *
 * @example
 * ```ts
 * const { analysis, sha256, source } = await analyzeEventLogFile('run.log');
 * const html = renderReport(analysis, { scenario: 'my team', logHash: sha256, source });
 * ```
 */
export async function analyzeEventLogFile(
  path: string,
  options: { buckets?: number } = {},
): Promise<EventLogSummary> {
  const hash = createHash('sha256');
  const folder = new EventLogAnalyzer();
  let converter: LiveEventConverter | undefined;
  let source: 'simulation' | 'live' | undefined;
  let lineNo = 0;
  let events = 0;
  let skipped = 0;
  let first: Extract<SimEvent, { type: 'run.started' }> | undefined;

  const fold = (e: SimEvent) => {
    if (first === undefined && e.type === 'run.started' && source === 'simulation') first = e;
    folder.add(e);
  };
  const onLine = (line: string): void => {
    lineNo++;
    if (line.trim() === '') return;
    const live = LIVE_LINE.exec(line);
    let value: unknown;
    if (live === null) {
      try {
        value = JSON.parse(line);
      } catch {
        if (source === 'live') {
          skipped++;
          return;
        }
        throw bad(path, lineNo, 'not valid JSON');
      }
    }
    const simEvent = value as Partial<SimEvent> | undefined;
    if (
      live === null &&
      source !== 'live' &&
      typeof simEvent === 'object' &&
      simEvent !== null &&
      typeof simEvent.t === 'number' &&
      typeof simEvent.team === 'number' &&
      SIM_TYPES.has(String(simEvent.type))
    ) {
      source = 'simulation';
      events++;
      fold(value as SimEvent);
      return;
    }
    const liveEvent = live
      ? parseLiveLine(live)
      : (value as Partial<TeamEvent> | null)?.type !== undefined &&
          typeof (value as { at?: unknown }).at === 'number'
        ? (value as TeamEvent)
        : undefined;
    if (liveEvent === undefined || source === 'simulation') {
      if (source === 'live') {
        skipped++;
        return;
      }
      throw bad(path, lineNo, source === 'simulation' ? 'not a simulation event' : 'not an event');
    }
    source = 'live';
    converter ??= new LiveEventConverter();
    events++;
    for (const e of converter.add(liveEvent)) fold(e);
  };

  await streamLines(path, hash, onLine, () => lineNo);
  return {
    analysis: folder.result(options),
    sha256: hash.digest('hex'),
    events,
    source: source ?? 'simulation',
    ...(first === undefined ? {} : { scenario: first.scenario, seed: first.seed }),
    skipped,
  };
}

function parseLiveLine(match: RegExpExecArray): TeamEvent | undefined {
  const at = Date.parse(match[1]!);
  if (!Number.isFinite(at)) return undefined;
  let rest: unknown;
  try {
    rest = JSON.parse(match[3]!);
  } catch {
    return undefined;
  }
  if (typeof rest !== 'object' || rest === null) return undefined;
  return { ...(rest as object), type: match[2]!, at } as TeamEvent;
}

/**
 * Feeds the file's lines to `onLine` as it streams, hashing its bytes on the way; `lineNo` is
 * the caller's count of lines seen. An unreadable file is `ERR_NOT_FOUND`; a line longer than
 * `MAX_LINE` is refused rather than buffered.
 */
async function streamLines(
  path: string,
  hash: Hash,
  onLine: (line: string) => void,
  lineNo: () => number,
): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      const text = carry + decoder.write(chunk);
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        onLine(text.slice(from, nl));
        from = nl + 1;
      }
      carry = text.slice(from);
      if (carry.length > MAX_LINE)
        throw bad(path, lineNo() + 1, `line longer than ${MAX_LINE} characters`);
    }
  } catch (error) {
    if (error instanceof TroupeError) throw error;
    throw new TroupeError(
      'ERR_NOT_FOUND',
      `cannot read event log ${path}: ${(error as Error).message}`,
      { cause: error, details: { path } },
    );
  }
  carry += decoder.end();
  if (carry !== '') onLine(carry);
}
