// `troupe run --record DIR` against the fake model server, then `troupe sim --replay DIR`:
// the same event log hash every time, and what-ifs (faults, limits, more agents) change it.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeModelServer, type RecordedRequest } from '@troupe/providers/testing';
import { readRecording } from '@troupe/sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot, requireBuild, troupe } from './fixtures/cli-common/cli.js';

// Child processes, worker pools and a browser on a shared 2-core machine: a named bound per test
// rather than the 5 s default.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let tmp: string;
beforeAll(async () => {
  requireBuild();
  tmp = await mkdtemp(join(tmpdir(), 'troupe-replay-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The geographer: asks the tool first, answers with what it returned. */
function geographer(request: RecordedRequest) {
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
}

async function replay(name: string, ...flags: string[]) {
  const out = join(tmp, name);
  const run = await troupe([
    'sim',
    '--replay',
    join(tmp, 'rec'),
    '--out',
    out,
    '--no-progress',
    ...flags,
  ]);
  expect(run.code, run.stderr).toBe(0);
  const log = await readFile(join(out, 'events.jsonl'));
  return { run, log, hash: sha256(log) };
}

describe('record and replay', () => {
  it('records a live run against the fake model server', async () => {
    const server = await createFakeModelServer({ replies: geographer, apiKey: 'sk-test' });
    try {
      const run = await troupe(
        [
          'run',
          join(repoRoot, 'test/fixtures/cli-run/team.js'),
          '--record',
          join(tmp, 'rec'),
          '--quiet',
        ],
        {
          env: {
            TROUPE_PROVIDER: 'openai',
            TROUPE_MODEL: 'fake-geo-1',
            OPENAI_BASE_URL: server.openaiBaseURL,
            OPENAI_API_KEY: 'sk-test',
          },
        },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/Paris/);
      expect(server.requests).toHaveLength(2);
    } finally {
      await server.close();
    }
    const recording = await readRecording(join(tmp, 'rec'));
    expect(recording.header.task).toBe('What is the capital of France?');
    expect(recording.header.exchanges).toBe(3);
    const calls = recording.models.get('geographer')!;
    expect(calls).toHaveLength(2);
    expect(calls[0]!.response!.toolCalls[0]!.name).toBe('capital_of');
    expect(calls[1]!.response!.text).toMatch(/Paris/);
    expect(recording.tools.get('geographer')!.get('capital_of')![0]!.result).toBe('Paris');
  });

  it('replays it three times with one hash, the recorded answers and tool result in the log', async () => {
    const runs = [await replay('r1'), await replay('r2'), await replay('r3')];
    expect(new Set(runs.map((r) => r.hash)).size).toBe(1);
    expect(runs[0]!.run.stdout).toContain(`event log sha256          ${runs[0]!.hash}`);
    expect(runs[0]!.run.stdout).toMatch(/^finished\s+idle ×1$/m);
    const events = runs[0]!.log
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; tool?: string; inputTokens?: number });
    expect(events.filter((e) => e.type === 'model.answered').map((e) => e.inputTokens)).toEqual([
      50, 70,
    ]);
    expect(events.find((e) => e.type === 'tool.returned')?.tool).toBe('capital_of');
  });

  it('what-ifs: an outage, a tight limit and a cloned agent change the run, deterministically', async () => {
    const base = await replay('base');
    const whatIf = join(tmp, 'what-if.json');
    await writeFile(
      whatIf,
      JSON.stringify({
        name: 'what-if',
        // A backend outage over the first two seconds, one request a minute, and the task given
        // to a second geographer, a clone replaying the first one's recording.
        faults: { outages: [{ from: 0, to: 2_000 }] },
        limits: [{ key: 'model', windowMs: 60_000, requests: 1 }],
        clones: { 'geographer-2': 'geographer' },
        to: 'geographer-2',
      }),
    );
    const changed = await replay('what-if', '--scenario', whatIf);
    const again = await replay('what-if-again', '--scenario', whatIf);
    expect(changed.hash).toBe(again.hash);
    expect(changed.hash).not.toBe(base.hash);
    const text = changed.log.toString('utf8');
    expect(text).toContain('"fault":"outage"');
    expect(text).toContain('"type":"lease.waited"');
    expect(text).toContain('"agent":"geographer-2"');
  });
});
