// The README example runs as written, on the built packages, against a real redis-server.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useRedisServer } from './helpers/server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ctx = useRedisServer();

function readmeExamples(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/<!-- example: [^>]*-->\s*```ts\n([\s\S]*?)```/g)].map(
    (match) => match[1]!,
  );
  if (blocks.length === 0) throw new Error('README.md has no marked example block');
  return blocks;
}

/** Runs one example as a module from this package, where '@troupe/redis' is this dist. */
async function run(example: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', example],
    { cwd: root, env: { ...process.env, REDIS_URL: ctx.server.url } },
  );
  return stdout;
}

/**
 * Each example is a fresh Node process that loads the built packages: seconds on a loaded
 * machine, past vitest's default 5 s.
 */
const EXAMPLE_TIMEOUT_MS = 30_000;

describe('README examples', () => {
  // The examples are plain JavaScript in ts blocks, run on the built packages.
  const built = (): void => {
    for (const pkg of ['core', 'redis']) {
      if (!existsSync(join(root, `../${pkg}/dist/index.js`))) {
        throw new Error(
          `packages/${pkg}/dist is missing: run \`npx turbo run build --output-logs=errors-only\` first`,
        );
      }
    }
  };

  it(
    'claims, acquires, posts and wakes as its comments say',
    async () => {
      built();
      const stdout = await run(readmeExamples()[0]!);
      expect(stdout).toMatch(/claimed with token \d+/);
      expect(stdout).toContain("[ { file: 'src/app.ts' } ]");
    },
    EXAMPLE_TIMEOUT_MS,
  );

  it(
    'registers an agent once team-wide and keeps its history, as its comments say',
    async () => {
      built();
      const stdout = await run(readmeExamples()[1]!);
      expect(stdout).toContain('ERR_ALREADY_EXISTS');
      expect(stdout).toContain('ada lives on host-a');
      expect(stdout).toContain('history: 1 message(s)');
    },
    EXAMPLE_TIMEOUT_MS,
  );
});
