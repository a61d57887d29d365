import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { analyzeEventLogFile, renderReport } from '@troupe/sim';
import { parse, UsageError } from './args.js';

export const reportUsage = `troupe report <event log> [--out report.html] [--title NAME]

  Builds the interactive HTML report from an event log: a simulation's events.jsonl, or a
  live run's events as \`troupe run\` prints them on stderr (\`troupe run team.mjs 2> run.log\`).
  The log is read as a stream, whatever its size (default output: report.html beside it).`;

/** `troupe report`: returns the exit code. */
export async function reportCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, title: { type: 'string' } },
  });
  const [logPath] = positionals;
  if (logPath === undefined || positionals.length > 1)
    throw new UsageError('troupe report takes one event log');
  // One pass: the analysis and the hash of exactly the bytes it came from.
  const log = await analyzeEventLogFile(logPath);
  const html = renderReport(log.analysis, {
    scenario: values.title ?? log.scenario ?? (log.source === 'live' ? 'live run' : 'simulation'),
    ...(log.seed === undefined || log.source === 'live' ? {} : { seed: log.seed }),
    logHash: log.sha256,
    source: log.source,
  });
  const target = values.out ?? join(dirname(logPath), 'report.html');
  const temp = `${target}.tmp-${process.pid}`;
  try {
    await writeFile(temp, html);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  out.write(`${target}\n`);
  return 0;
}
