// The shipped default scenario (`npm start`: refactor-200, seed 1) always writes the same event
// log, byte for byte, whatever the process and the number of worker threads. The hash is pinned
// here: a change that alters the log on purpose (a new event, a changed field, another order)
// updates GOLDEN with the hash `npm start` then prints, and says why in its commit.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, troupe } from './fixtures/cli-common/cli.js';

/** A child process running the whole default scenario: seconds, more on a loaded machine. */
const RUN_TIMEOUT_MS = 120_000;

/** SHA-256 of events.jsonl for refactor-200, seed 1. */
const GOLDEN = '36fed96e4a5075230e322de2b6eb7b5fb792449108208d597dc237b1ba5a1281';

let tmp: string;
beforeAll(async () => {
  requireBuild();
  tmp = await mkdtemp(join(tmpdir(), 'troupe-determinism-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** `troupe sim` of the default scenario in a child process; the printed hash and the log's. */
async function defaultRun(threads: number): Promise<{ printed: string; file: string }> {
  const out = join(tmp, `threads-${threads}`);
  const run = await troupe(['sim', '--threads', String(threads), '--no-progress', '--out', out]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(
    new RegExp(
      `^scenario\\s+refactor-200 \\(seed 1, 1 team, ${threads || 'no'} worker thread`,
      'm',
    ),
  );
  const printed = run.stdout.match(/^event log sha256\s+([0-9a-f]{64})$/m)?.[1] ?? '';
  const log = await readFile(join(out, 'events.jsonl'));
  return { printed, file: createHash('sha256').update(log).digest('hex') };
}

describe('the default scenario is deterministic across processes and thread counts', () => {
  it(
    'a child process with no worker threads writes the golden log',
    async () => {
      const run = await defaultRun(0);
      expect(run.file).toBe(GOLDEN);
      expect(run.printed).toBe(GOLDEN);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'a child process running the team on 2 worker threads writes the same log',
    async () => {
      const run = await defaultRun(2);
      expect(run.file).toBe(GOLDEN);
      expect(run.printed).toBe(GOLDEN);
    },
    RUN_TIMEOUT_MS,
  );
});
