// `troupe sim`, `troupe report` and the CLI's usage errors, end to end in child processes
// running the built CLI: build first (`npx turbo run build --output-logs=errors-only`).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeModelServer, type RecordedRequest } from '@troupe/providers/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot, requireBuild, troupe } from './fixtures/cli-common/cli.js';

// Child processes, worker pools and a browser on a shared 2-core machine: a named bound per test
// rather than the 5 s default.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const fixtures = join(repoRoot, 'test/fixtures/cli-sim');
const small = join(fixtures, 'small.json');

let tmp: string;
beforeAll(async () => {
  requireBuild();
  tmp = await mkdtemp(join(tmpdir(), 'troupe-cli-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Summary {
  scenario: string;
  seed: number;
  eventLogSha256: string;
  events: number;
  totals: { regionsDone: number; regions: number; modelCalls: number };
}

async function simulate(name: string, ...flags: string[]) {
  const out = join(tmp, name);
  const result = await troupe(['sim', small, '--out', out, ...flags]);
  return { out, ...result };
}

describe('troupe sim', () => {
  it('writes the event log, the summary and the report, and prints a summary table', async () => {
    const run = await simulate('first');
    expect(run.stderr).toContain('progress: 1/1 teams (100%)');
    expect(run.code, run.stderr).toBe(0);
    for (const file of ['events.jsonl', 'summary.json', 'report.html']) {
      expect(existsSync(join(run.out, file)), file).toBe(true);
    }
    const log = await readFile(join(run.out, 'events.jsonl'));
    const summary = JSON.parse(await readFile(join(run.out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.eventLogSha256).toBe(sha256(log));
    expect(summary.scenario).toBe('small');
    expect(summary.seed).toBe(3);
    expect(summary.events).toBe(log.toString('utf8').trimEnd().split('\n').length);
    expect(summary.totals.regionsDone).toBe(summary.totals.regions);

    expect(run.stdout).toMatch(/^scenario\s+small \(seed 3, 1 team, no worker threads\)$/m);
    expect(run.stdout).toMatch(/^finished\s+work-done ×1$/m);
    expect(run.stdout).toMatch(
      new RegExp(`^regions done\\s+${summary.totals.regions} / ${summary.totals.regions}$`, 'm'),
    );
    expect(run.stdout).toMatch(new RegExp(`^event log sha256\\s+${summary.eventLogSha256}$`, 'm'));
    expect(run.stdout).toMatch(/^report\s+.*report\.html$/m);
    // The table goes to stdout, progress to stderr.
    expect(run.stdout).not.toContain('progress:');
  });

  it('the same seed gives the same event log, another seed another one', async () => {
    const [a, b, c] = await Promise.all([
      simulate('seed-a', '--seed', '11', '--no-progress'),
      simulate('seed-b', '--seed', '11', '--no-progress'),
      simulate('seed-c', '--seed', '12', '--no-progress'),
    ]);
    for (const run of [a, b, c]) expect(run.code, run.stderr).toBe(0);
    const [logA, logB, logC] = await Promise.all(
      [a, b, c].map((run) => readFile(join(run.out, 'events.jsonl'))),
    );
    expect(sha256(logA!)).toBe(sha256(logB!));
    expect(logA!.equals(logB!)).toBe(true);
    expect(sha256(logC!)).not.toBe(sha256(logA!));
    expect(a.stdout).toContain(`event log sha256          ${sha256(logA!)}`);
    expect(a.stderr).toBe('');
  });

  it('several teams give the same log on worker threads as inline', async () => {
    const [pooled, inline] = await Promise.all([
      simulate('pooled', '--teams', '3', '--threads', '2'),
      simulate('inline', '--teams', '3', '--threads', '0'),
    ]);
    expect(pooled.code, pooled.stderr).toBe(0);
    expect(inline.code, inline.stderr).toBe(0);
    expect(pooled.stdout).toMatch(/3 teams, 2 worker threads/);
    expect(pooled.stdout).toMatch(/^finished\s+work-done ×3$/m);
    expect(pooled.stderr).toContain('progress: 3/3 teams (100%)');
    const [a, b] = await Promise.all(
      [pooled, inline].map((run) => readFile(join(run.out, 'events.jsonl'))),
    );
    expect(a!.equals(b!)).toBe(true);
    const teams = new Set(
      a!
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { team: number }).team),
    );
    expect([...teams]).toEqual([0, 1, 2]);
  });
});

describe('troupe sim with a bad scenario file', () => {
  const cases: [string, string, RegExp[]][] = [
    [
      'invalid JSON',
      join(fixtures, 'invalid-json.txt'),
      [/is not valid JSON/, /invalid-json\.txt/],
    ],
    [
      'a schema error',
      join(fixtures, 'schema-error.json'),
      [/schema-error\.json/, /team\.agents\[0\]\.count: /, /faults\.crash: /],
    ],
    [
      'a missing file',
      join(fixtures, 'no-such-scenario.json'),
      [/cannot read scenario file .*no-such-scenario\.json/],
    ],
  ];
  for (const [label, file, messages] of cases) {
    it(`${label} exits 2 naming the problem and writes nothing`, async () => {
      const out = join(tmp, `bad-${label.replace(/\W+/g, '-')}`);
      const run = await troupe(['sim', file, '--out', out]);
      expect(run.code, run.stderr).toBe(2);
      for (const message of messages) expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    });
  }

  it('a bad flag value exits 2 naming the flag and writes nothing', async () => {
    const out = join(tmp, 'bad-seed');
    const run = await troupe(['sim', small, '--seed', 'soon', '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('--seed must be an integer >= 0, got "soon"');
    expect(existsSync(out)).toBe(false);
  });
});

describe('troupe usage errors', () => {
  it('an unknown flag exits 2 with the usage', async () => {
    const out = join(tmp, 'unknown-flag');
    const run = await troupe(['sim', small, '--turbo', '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--turbo/);
    expect(run.stderr).toContain('Commands:');
    expect(run.stderr).toContain('troupe sim [scenario.json]');
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown command exits 2 with the usage', async () => {
    const run = await troupe(['simulate']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('unknown command "simulate"');
    expect(run.stderr).toContain('Commands:');
  });

  it('no command prints the usage and exits 2; --help exits 0', async () => {
    const [none, help] = await Promise.all([troupe([]), troupe(['--help'])]);
    expect(none.code, none.stderr).toBe(2);
    expect(none.stdout).toContain('Commands:');
    expect(help.code, help.stderr).toBe(0);
    for (const command of ['troupe sim', 'troupe run', 'troupe report', 'troupe bench']) {
      expect(help.stdout).toContain(command);
    }
  });

  it('troupe bench with a filter that matches no suite exits 2', async () => {
    const run = await troupe(['bench', 'nomatch']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/no benchmark matches nomatch|no benchmarks\/dist\/run\.js/);
  });
});

describe('troupe report', () => {
  it('rebuilds the report from an event log, with the log hash', async () => {
    const run = await simulate('for-report', '--no-progress');
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(await readFile(join(run.out, 'summary.json'), 'utf8')) as Summary;
    const target = join(tmp, 'rebuilt.html');
    const rebuilt = await troupe(['report', join(run.out, 'events.jsonl'), '--out', target]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout.trim()).toBe(target);
    const html = await readFile(target, 'utf8');
    const original = await readFile(join(run.out, 'report.html'), 'utf8');
    const hashLine = `<code data-testid="log-hash">${summary.eventLogSha256}</code>`;
    expect(html).toContain(hashLine);
    expect(original).toContain(hashLine);
    expect(html).toContain('<b data-testid="seed">3</b>');
    // Same log, same analysis: the totals cards match the report `troupe sim` wrote.
    const cards = (text: string) => text.match(/<section class="cards">.*?<\/section>/s)?.[0];
    expect(cards(html)).toBeDefined();
    expect(cards(html)).toBe(cards(original));
  });

  it('a log that is not a simulation event log exits 2 naming the line', async () => {
    const run = await troupe([
      'report',
      join(fixtures, 'small.json'),
      '--out',
      join(tmp, 'x.html'),
    ]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/small\.json:1: /);
    expect(existsSync(join(tmp, 'x.html'))).toBe(false);
  });
});

describe('troupe report of a live run', () => {
  it('reads the events `troupe run` printed on stderr and reports the agent, its tool call and tokens', async () => {
    const geographer = (request: RecordedRequest) => {
      const messages = (request.body as { messages: { role: string; content: string }[] }).messages;
      const results = messages.filter((m) => m.role === 'tool');
      return results.length === 0
        ? {
            usage: { inputTokens: 50, outputTokens: 8 },
            toolCalls: [{ name: 'capital_of', arguments: { country: 'France' } }],
          }
        : {
            usage: { inputTokens: 70, outputTokens: 6 },
            text: `The capital is ${results[0]!.content}.`,
          };
    };
    const server = await createFakeModelServer({ replies: geographer, apiKey: 'sk-test' });
    try {
      const run = await troupe(['run', join(repoRoot, 'test/fixtures/cli-run/team.js')], {
        env: {
          TROUPE_PROVIDER: 'openai',
          TROUPE_MODEL: 'fake-geo-1',
          OPENAI_BASE_URL: server.openaiBaseURL,
          OPENAI_API_KEY: 'sk-test',
        },
      });
      expect(run.code, run.stderr).toBe(0);
      const log = join(tmp, 'live.log');
      await writeFile(log, run.stderr);
      const target = join(tmp, 'live.html');
      const report = await troupe(['report', log, '--out', target]);
      expect(report.code, report.stderr).toBe(0);
      const html = await readFile(target, 'utf8');
      expect(html).toContain('<title>Troupe run — live run</title>');
      expect(html).toContain(
        `<code data-testid="log-hash">${sha256(Buffer.from(run.stderr))}</code>`,
      );
      const card = (id: string) => html.match(new RegExp(`data-total="${id}"><b>([^<]*)`))?.[1];
      expect(card('agents')).toBe('1');
      expect(card('model-calls')).toBe('2');
      expect(card('tokens')).toBe('120 / 14');
      // The agent's row carries its figures: 2 turns, 2 model calls, 1 tool call.
      const data = JSON.parse(
        html.match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)![1]!,
      ) as { agents: [string, number[]][] };
      expect(data.agents.map(([name]) => name)).toEqual(['geographer']);
      const [turns, calls, tokensIn, tokensOut, , tools] = data.agents[0]![1];
      expect([turns, calls, tokensIn, tokensOut, tools]).toEqual([2, 2, 120, 14, 1]);
    } finally {
      await server.close();
    }
  });
});

describe('troupe sim --team', () => {
  const team = join(repoRoot, 'packages/sim/examples/team.mjs');
  const teamScenario = join(repoRoot, 'packages/sim/examples/team-scenario.json');
  it('simulates a team module: one hash on 0 and 2 threads, faults in the log and the report', async () => {
    const runs = await Promise.all(
      ['0', '2'].map(async (threads) => {
        const out = join(tmp, `team-${threads}`);
        const run = await troupe([
          'sim',
          '--team',
          team,
          '--scenario',
          teamScenario,
          '--teams',
          '3',
          '--threads',
          threads,
          '--out',
          out,
          '--no-progress',
        ]);
        return { out, ...run };
      }),
    );
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const [a, b] = await Promise.all(runs.map((r) => readFile(join(r.out, 'events.jsonl'))));
    expect(a!.equals(b!)).toBe(true);
    expect(runs[0]!.stdout).toMatch(/^scenario\s+planner-coders \(seed 4, 3 teams/m);
    expect(runs[0]!.stdout).toMatch(/^finished\s+idle ×3$/m);
    expect(runs[0]!.stdout).toContain(`event log sha256          ${sha256(a!)}`);
    const log = a!.toString('utf8');
    expect(log).toContain('"fault":"outage"');
    expect(log).toContain('"tool":"write_file"');
    const html = await readFile(join(runs[0]!.out, 'report.html'), 'utf8');
    expect(html).toContain('<tr data-fault="outage">');
    expect(html).toContain('Spread across 3 teams');
  });

  it('a scenario naming an unknown agent exits 2', async () => {
    const run = await troupe([
      'sim',
      '--team',
      team,
      '--out',
      join(tmp, 'team-bad'),
      '--scenario',
      small,
    ]);
    expect(run.code, run.stderr).toBe(2);
  });
});
