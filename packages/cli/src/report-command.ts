import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { analyze, readEventLogWithHash, renderReport } from '@troupe/sim';
import { parse, UsageError } from './args.js';

export const reportUsage = `troupe report <events.jsonl> [--out report.html] [--title NAME]

  Rebuilds the HTML report from an event log (default output: report.html beside the log).`;

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
  // One read: the events and the hash of exactly the bytes they came from.
  const { events, sha256 } = await readEventLogWithHash(logPath);
  const first = events.find((e) => e.type === 'run.started');
  const html = renderReport(analyze(events), {
    scenario: values.title ?? (first?.type === 'run.started' ? first.scenario : 'simulation'),
    seed: first?.type === 'run.started' ? first.seed : 0,
    logHash: sha256,
  });
  const target = values.out ?? join(dirname(logPath), 'report.html');
  await writeFile(`${target}.tmp-${process.pid}`, html);
  await rename(`${target}.tmp-${process.pid}`, target);
  out.write(`${target}\n`);
  return 0;
}
