import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// Runs the "## Example" snippet of each persistence doc as plain Node against the built dist
// (build first: `npx turbo run build --output-logs=errors-only`). The snippet is written into
// test/fixtures (and removed) so that `@troupe/*` imports resolve, and runs with a scratch directory as its cwd.
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const scratch = mkdtempSync(join(tmpdir(), 'troupe-docs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const run = promisify(execFile);

function example(doc: string): string {
  const text = readFileSync(join(root, doc), 'utf8');
  const match = /## Example\n\n```ts\n([\s\S]*?)```/.exec(text);
  if (match?.[1] === undefined) throw new Error(`${doc} has no "## Example" snippet`);
  return match[1];
}

describe('persistence docs', () => {
  for (const [doc, expected] of [
    ['packages/sqlite/README.md', "type: 'note'"],
    ['packages/core/docs/persistence.md', 'github: {}'],
  ] as const) {
    it(`runs the example of ${doc}`, async () => {
      const file = join(here, 'fixtures', `persistence-docs-${doc.replace(/\W/g, '-')}.mjs`);
      writeFileSync(file, example(doc));
      try {
        const { stdout } = await run(process.execPath, [file], { cwd: scratch });
        expect(stdout).toContain(expected);
      } finally {
        rmSync(file, { force: true });
      }
    });
  }
});
