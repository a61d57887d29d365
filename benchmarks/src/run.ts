/**
 * Runs the benchmark suites: every `*.bench.js` next to this file, or those whose name
 * contains one of the arguments (`npm run bench -- limiter claims`).
 * Each suite's default export is an async function that prints its own ratios.
 *
 * The run ends with the goals missed (and any suite that crashed) and exits 1 when there is
 * one; `--no-fail` reports the same but exits 0, for exploration. A filter that matches no
 * suite exits 2.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { recordedVerdicts } from './lib/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const noFail = args.includes('--no-fail');
const unknown = args.filter((arg) => arg.startsWith('-') && arg !== '--no-fail');
if (unknown.length > 0) {
  process.stderr.write(`unknown option ${unknown.join(', ')} (known: --no-fail)\n`);
  process.exit(2);
}
const filters = args.filter((arg) => !arg.startsWith('-'));
const files = (await readdir(here))
  .filter((file) => file.endsWith('.bench.js'))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (files.length === 0) {
  process.stderr.write(`no benchmark matches ${filters.join(', ')}\n`);
  process.exit(2);
}

process.stdout.write(`# Troupe benchmarks — node ${process.version}, ${files.length} suite(s)\n`);
const crashed: string[] = [];
for (const file of files) {
  const name = file.replace('.bench.js', '');
  process.stdout.write(`\n# ${name}\n`);
  try {
    const suite = (await import(pathToFileURL(join(here, file)).href)) as {
      default: () => Promise<void>;
    };
    await suite.default();
  } catch (error) {
    // One broken suite must not hide the others' figures; it still fails the run.
    crashed.push(name);
    process.stdout.write(
      `SUITE FAILED ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
}

const verdicts = recordedVerdicts();
const missed = verdicts.filter((v) => !v.ok);
process.stdout.write(`\n# ${verdicts.length - missed.length} of ${verdicts.length} goals met\n`);
if (missed.length > 0) {
  process.stdout.write(`# goals missed (${missed.length}):\n`);
  for (const goal of missed) process.stdout.write(`#   - ${goal.label}: ${goal.detail}\n`);
}
if (crashed.length > 0)
  process.stdout.write(`# suites that failed to run: ${crashed.join(', ')}\n`);
if (missed.length > 0 || crashed.length > 0) {
  if (noFail) process.stdout.write('# --no-fail: exiting 0 anyway\n');
  else process.exitCode = 1;
}
