#!/usr/bin/env node
// Fails when a source file outside the tests is longer than the house bound (400 lines).
// Test suites (test/ folders, *.test.ts, the exported contract suites) are exempt.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX_LINES = 400;
const SOURCE = /^(packages\/[^/]+\/src|benchmarks\/src|scripts|examples)\/.*\.(ts|mts|mjs|js)$/;
const EXEMPT = [/\/test\//, /\.test\.ts$/, /\/src\/testing\/contracts\//];

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter((file) => SOURCE.test(file) && !EXEMPT.some((re) => re.test(file)));

const long = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the working tree
  }
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_LINES) long.push(`${file}: ${lines} lines`);
}
if (long.length > 0) {
  console.error(`Source files over ${MAX_LINES} lines (split them by concern):`);
  for (const line of long) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`file size: ${files.length} source files, none over ${MAX_LINES} lines`);
