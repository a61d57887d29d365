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

function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match = /<!-- example: [^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
  if (match === null) throw new Error('README.md has no marked example block');
  return match[1]!;
}

describe('README example', () => {
  it('claims, acquires, posts and wakes as its comments say', async () => {
    for (const pkg of ['core', 'redis']) {
      if (!existsSync(join(root, `../${pkg}/dist/index.js`))) {
        throw new Error(
          `packages/${pkg}/dist is missing: run \`npx turbo run build --output-logs=errors-only\` first`,
        );
      }
    }
    // The example is plain JavaScript in a ts block: run it as a module from this package,
    // where '@troupe/redis' resolves to this package's dist.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', readmeExample()],
      {
        cwd: root,
        env: { ...process.env, REDIS_URL: ctx.server.url },
      },
    );
    expect(stdout).toMatch(/claimed with token \d+/);
    expect(stdout).toContain("[ { file: 'src/app.ts' } ]");
  });
});
