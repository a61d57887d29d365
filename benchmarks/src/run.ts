/**
 * Runs the benchmark suites: every `*.bench.js` next to this file, or those whose name
 * contains one of the arguments (`npm run bench -- limiter claims`).
 * Each suite's default export is an async function that prints its own ratios.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { recordedVerdicts } from './lib/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = (await readdir(here))
  .filter((file) => file.endsWith('.bench.js'))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (files.length === 0) {
  process.stderr.write(`no benchmark matches ${filters.join(', ')}\n`);
  process.exit(2);
}

process.stdout.write(`# Troupe benchmarks — node ${process.version}, ${files.length} suite(s)\n`);
for (const file of files) {
  const suite = (await import(pathToFileURL(join(here, file)).href)) as {
    default: () => Promise<void>;
  };
  process.stdout.write(`\n# ${file.replace('.bench.js', '')}\n`);
  await suite.default();
}

const verdicts = recordedVerdicts();
const missed = verdicts.filter((v) => !v.ok);
process.stdout.write(
  `\n# ${verdicts.length - missed.length} of ${verdicts.length} goals met${missed.length ? `; missed: ${missed.map((m) => m.label).join(', ')}` : ''}\n`,
);
