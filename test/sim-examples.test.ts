// The runnable examples of packages/sim/README.md, run as a user would: plain Node on the build.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot, requireBuild } from './fixtures/cli-common/cli.js';

// Child processes, worker pools and a browser on a shared 2-core machine: a named bound per test
// rather than the 5 s default.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const run = promisify(execFile);
const example = (name: string, ...args: string[]) =>
  run(process.execPath, [join(repoRoot, 'packages/sim/examples', name), ...args], {
    cwd: repoRoot,
    timeout: 120_000,
  });

let tmp: string;
beforeAll(async () => {
  requireBuild();
  tmp = await mkdtemp(join(tmpdir(), 'troupe-sim-examples-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('packages/sim/examples', () => {
  it('simulate-team.mjs gives the same hash twice and writes a report', async () => {
    const [a, b] = [
      await example('simulate-team.mjs', join(tmp, 'a')),
      await example('simulate-team.mjs', join(tmp, 'b')),
    ];
    const hash = (out: string) => out.match(/^sha256 ([0-9a-f]{64})$/m)?.[1];
    expect(hash(a.stdout)).toBeDefined();
    expect(hash(a.stdout)).toBe(hash(b.stdout));
    expect(a.stdout).toMatch(/^planner: \d+ tool calls/m);
    expect(await readFile(join(tmp, 'a', 'report.html'), 'utf8')).toContain('id="report-data"');
  });

  it('record-replay.mjs replays with one hash, and the what-if differs', async () => {
    const { stdout } = await example('record-replay.mjs', join(tmp, 'rec'));
    expect(stdout).toContain('The capital is Paris.');
    const replayed = stdout.match(/^replays: 1 distinct hash ([0-9a-f]{64})$/m)?.[1];
    const whatIf = stdout.match(/^what-if: [1-9]\d* outage faults, sha256 ([0-9a-f]{64})$/m)?.[1];
    expect(replayed).toBeDefined();
    expect(whatIf).toBeDefined();
    expect(whatIf).not.toBe(replayed);
  });

  it('many-teams.mjs streams the log and prints its peak RSS', async () => {
    const { stdout } = await example('many-teams.mjs', join(tmp, 'many'), '200');
    expect(stdout).toMatch(/^200 teams, \d+ events, sha256 [0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^peak RSS \d+ MB$/m);
    const log = await readFile(join(tmp, 'many', 'events.jsonl'), 'utf8');
    expect(log.trimEnd().split('\n').at(-1)).toContain('"team":199');
  });
});
