import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

/** The counts behind the closing line. */
export interface RunCounts {
  readonly passed: number;
  /** Tests that ran and failed. */
  readonly failedTests: number;
  /**
   * Test files that failed without a failing test of their own: an import error, a hook that
   * threw (a missing redis-server), a file that found no tests. Their tests show as skipped.
   */
  readonly brokenFiles: number;
  /** Errors vitest caught outside any test (an unhandled rejection, a crashed worker). */
  readonly unhandledErrors: number;
  readonly skipped: number;
}

/** Counts a finished run: every way a run can fail shows up in one of the failure counts. */
export function countRun(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
): RunCounts {
  let passed = 0;
  let failedTests = 0;
  let brokenFiles = 0;
  let skipped = 0;
  for (const module of testModules) {
    let failedHere = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') passed++;
      else if (state === 'failed') failedHere++;
      else skipped++;
    }
    failedTests += failedHere;
    if (failedHere === 0 && module.state() === 'failed') brokenFiles++;
  }
  return { passed, failedTests, brokenFiles, unhandledErrors: unhandledErrors.length, skipped };
}

/**
 * The closing line, `Tests: N passed, N failed, N skipped`, with the failures that are not
 * failed tests named in brackets. A run vitest calls failed never prints `0 failed`: when none
 * of the counts explains the failure, the run itself is counted as one.
 */
export function summaryLine(counts: RunCounts, reason: TestRunEndReason): string {
  const other: string[] = [];
  if (counts.brokenFiles > 0)
    other.push(
      `${counts.brokenFiles} ${counts.brokenFiles === 1 ? 'file' : 'files'} failed to run`,
    );
  if (counts.unhandledErrors > 0)
    other.push(
      `${counts.unhandledErrors} unhandled ${counts.unhandledErrors === 1 ? 'error' : 'errors'}`,
    );
  let failed = counts.failedTests + counts.brokenFiles + counts.unhandledErrors;
  if (reason !== 'passed' && failed === 0) {
    failed = 1;
    other.push(reason === 'interrupted' ? 'the run was interrupted' : 'vitest reported a failure');
  }
  const tests = counts.failedTests > 0 ? [`${counts.failedTests} tests`] : [];
  const detail = other.length > 0 ? ` (${[...tests, ...other].join(', ')})` : '';
  return `Tests: ${counts.passed} passed, ${failed} failed${detail}, ${counts.skipped} skipped`;
}

/**
 * Prints one plain closing line after vitest's own summary, `Tests: N passed, N failed, N skipped`,
 * so any CI that reads closing lines sees the counts of the whole run. Files that fail to run
 * (import errors, a failing `beforeAll`) and unhandled errors count as failures.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const line = summaryLine(countRun(testModules, unhandledErrors), reason);
    process.stdout.write(`\n${line}\n`);
  }
}
