// The shipped default simulation (`npm start`, `troupe sim` with no scenario: the refactor team
// module packages/sim/scenarios/refactor-team.mjs with refactor-team.json, seed 1, simulated as
// `troupe sim --team` simulates any module) always writes the same event log, byte for byte,
// whatever the process and the number of worker threads. The hash is pinned here: a change that
// alters the log on purpose (a new event, a changed field, another order, another policy draw
// in the team module's simulation) updates GOLDEN with the hash `npm start` then prints, and
// says why in its commit.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, requireBuild, troupe } from './fixtures/cli-common/cli.js';

/** A child process running the whole default simulation: seconds, more on a loaded machine. */
const RUN_TIMEOUT_MS = 120_000;

/** SHA-256 of events.jsonl for the refactor team module and refactor-team.json, seed 1. */
const GOLDEN = '5478936bf11dc742ab6bebe1bda3b63dc4e5d9d1e361e3366d16ccbe96c19a8f';

/**
 * SHA-256 of events.jsonl for `troupe sim refactor-200.json` (the built-in refactor engine, the
 * default before the team module), seed 1.
 */
const ENGINE_GOLDEN = '36fed96e4a5075230e322de2b6eb7b5fb792449108208d597dc237b1ba5a1281';

let tmp: string;
beforeAll(async () => {
  requireBuild();
  tmp = await mkdtemp(join(tmpdir(), 'troupe-determinism-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/**
 * `troupe sim [scenario]` in a child process (no scenario: the default); the scenario name it
 * printed, the hash it printed and the hash of the log it wrote.
 */
async function simRun(
  threads: number,
  scenario?: string,
): Promise<{ name: string; printed: string; file: string }> {
  const out = join(tmp, `${scenario === undefined ? 'default' : 'engine'}-threads-${threads}`);
  const run = await troupe([
    'sim',
    ...(scenario === undefined ? [] : [scenario]),
    ...['--threads', String(threads), '--no-progress', '--out', out],
  ]);
  expect(run.code, run.stderr).toBe(0);
  const header = new RegExp(
    `^scenario\\s+(\\S+) \\(seed 1, 1 team, ${threads || 'no'} worker threads?\\)$`,
    'm',
  );
  const name = run.stdout.match(header)?.[1] ?? run.stdout;
  const printed = run.stdout.match(/^event log sha256\s+([0-9a-f]{64})$/m)?.[1] ?? '';
  const log = await readFile(join(out, 'events.jsonl'));
  return { name, printed, file: createHash('sha256').update(log).digest('hex') };
}

describe('the default simulation is deterministic across processes and thread counts', () => {
  it(
    'a child process with no worker threads writes the golden log',
    async () => {
      const run = await simRun(0);
      expect(run.name).toBe('refactor-team');
      expect(run.file).toBe(GOLDEN);
      expect(run.printed).toBe(GOLDEN);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'a child process running the team on 2 worker threads writes the same log',
    async () => {
      const run = await simRun(2);
      expect(run.name).toBe('refactor-team');
      expect(run.file).toBe(GOLDEN);
      expect(run.printed).toBe(GOLDEN);
    },
    RUN_TIMEOUT_MS,
  );
});

describe('the built-in refactor engine (troupe sim refactor-200.json) keeps its golden log', () => {
  const refactor200 = join(repoRoot, 'packages/sim/scenarios/refactor-200.json');

  it(
    'a child process with no worker threads writes the engine golden log',
    async () => {
      const run = await simRun(0, refactor200);
      expect(run.name).toBe('refactor-200');
      expect(run.file).toBe(ENGINE_GOLDEN);
      expect(run.printed).toBe(ENGINE_GOLDEN);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'a child process running the team on 2 worker threads writes the same log',
    async () => {
      const run = await simRun(2, refactor200);
      expect(run.name).toBe('refactor-200');
      expect(run.file).toBe(ENGINE_GOLDEN);
      expect(run.printed).toBe(ENGINE_GOLDEN);
    },
    RUN_TIMEOUT_MS,
  );
});
