// The examples in packages/sim/README.md and packages/cli/README.md are the fixture files this
// test runs, verbatim, and the CLI README names every flag and variable the usage does. The
// examples run against the built packages: build first.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, requireBuild, troupe } from './fixtures/cli-common/cli.js';

const simExample = join(repoRoot, 'test/fixtures/cli-readme/simulate.mjs');
const teamExample = join(repoRoot, 'test/fixtures/cli-run/team.js');

let tmp: string;
beforeAll(async () => {
  requireBuild();
  tmp = await mkdtemp(join(tmpdir(), 'troupe-readme-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The fenced code blocks of a markdown file. */
async function codeBlocks(path: string): Promise<string[]> {
  const text = await readFile(join(repoRoot, path), 'utf8');
  return [...text.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function node(script: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('packages/sim/README.md', () => {
  it('shows the simulation example verbatim', async () => {
    const example = await readFile(simExample, 'utf8');
    expect(await codeBlocks('packages/sim/README.md')).toContain(example);
  });

  it('the example finishes the work, prints the same hash twice and writes the report', async () => {
    const [a, b] = await Promise.all([
      node(simExample, [join(tmp, 'a')]),
      node(simExample, [join(tmp, 'b')]),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const [regions, hash, report] = a.stdout.trimEnd().split('\n');
    const [done, total] = /^(\d+)\/(\d+) regions, \d+ model calls$/.exec(regions!)!.slice(1);
    expect(done).toBe(total);
    expect(hash).toMatch(/^sha256 [0-9a-f]{64}$/);
    expect(b.stdout.split('\n')[1]).toBe(hash);
    expect(report).toBe(join(tmp, 'a', 'report.html'));
    expect(existsSync(report!)).toBe(true);
  });
});

describe('packages/cli/README.md', () => {
  it('shows the example team module verbatim (from its first import)', async () => {
    const module = await readFile(teamExample, 'utf8');
    const body = module.slice(module.indexOf('import '));
    expect(await codeBlocks('packages/cli/README.md')).toContain(body);
  });

  it('names every flag and environment variable of the usage', async () => {
    const help = await troupe(['--help']);
    expect(help.code, help.stderr).toBe(0);
    const readme = await readFile(join(repoRoot, 'packages/cli/README.md'), 'utf8');
    const flags = new Set(help.stdout.match(/--[a-z][a-z-]+/g));
    const vars = new Set(help.stdout.match(/\b[A-Z]+_[A-Z_]+\b/g));
    expect(flags.size).toBeGreaterThan(5);
    expect(vars).toContain('TROUPE_MODEL');
    for (const name of [...flags, ...vars]) expect(readme, name).toContain(`\`${name}`);
    for (const command of ['sim', 'run', 'report', 'bench']) {
      expect(readme).toContain(`### \`troupe ${command}`);
    }
  });
});
