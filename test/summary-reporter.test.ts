import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { summaryLine } from '../scripts/summary-reporter.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the closing summary line', () => {
  it('counts files that fail to load or whose beforeAll throws as failures', () => {
    // A nested vitest run over three files: one passes, one fails to import, one has a
    // beforeAll that throws (as the Redis tests do without redis-server).
    const run = spawnSync(
      process.execPath,
      [
        'node_modules/vitest/vitest.mjs',
        'run',
        '--root',
        'test/fixtures/summary-run',
        '--reporter=./scripts/summary-reporter.ts',
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 100_000 },
    );
    expect(run.status).toBe(1);
    expect(run.stdout.trim().split('\n').at(-1)).toBe(
      'Tests: 1 passed, 2 failed (2 files failed to run), 2 skipped',
    );
  }, 120_000);

  it('never says 0 failed for a run vitest failed', () => {
    const none = { passed: 3, failedTests: 0, brokenFiles: 0, unhandledErrors: 0, skipped: 0 };
    expect(summaryLine(none, 'failed')).toBe(
      'Tests: 3 passed, 1 failed (vitest reported a failure), 0 skipped',
    );
    expect(summaryLine(none, 'interrupted')).toBe(
      'Tests: 3 passed, 1 failed (the run was interrupted), 0 skipped',
    );
    expect(summaryLine(none, 'passed')).toBe('Tests: 3 passed, 0 failed, 0 skipped');
  });

  it('adds unhandled errors to failed tests and names both', () => {
    const counts = { passed: 5, failedTests: 2, brokenFiles: 0, unhandledErrors: 1, skipped: 4 };
    expect(summaryLine(counts, 'failed')).toBe(
      'Tests: 5 passed, 3 failed (2 tests, 1 unhandled error), 4 skipped',
    );
    expect(summaryLine({ ...counts, unhandledErrors: 0 }, 'failed')).toBe(
      'Tests: 5 passed, 2 failed, 4 skipped',
    );
  });
});
