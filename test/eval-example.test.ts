// The example suite of @troupe/eval (packages/eval/examples/capitals-suite.mjs, shown verbatim
// in its README) runs with runEval against the fake model server over HTTP: a geographer with
// a tool and a judge model, every scorer kind, under one limiter.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EvalSuite, runEval } from '@troupe/eval';
import { openaiCompatible } from '@troupe/providers';
import type { FakeReply, RecordedRequest } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './fixtures/cli-common/cli.js';

type Json = Record<string, unknown>;
const examplePath = join(repoRoot, 'packages/eval/examples/capitals-suite.mjs');

/** The geographer looks the capital up, then answers; the judge answers a JSON verdict. */
function provider(request: RecordedRequest): FakeReply {
  const body = request.body as Json;
  const messages = body.messages as Json[];
  const usage = { inputTokens: 100, outputTokens: 20 };
  if (body.response_format !== undefined) {
    const graded = String(messages.findLast((m) => m.role === 'user')?.content);
    const right = /Reference answer:\n(\w+)[\s\S]*Answer to grade:\n.*\1/.test(graded);
    return {
      usage,
      text: JSON.stringify({ score: right ? 1 : 0, reasoning: right ? 'right' : 'wrong' }),
    };
  }
  const tool = messages.find((m) => m.role === 'tool');
  if (tool === undefined) {
    const question = String(messages.findLast((m) => m.role === 'user')?.content);
    const country = /capital of (\w+)/.exec(question)?.[1] ?? '';
    return { usage, toolCalls: [{ name: 'capital_of', arguments: { country } }] };
  }
  // Australia trips the model up on purpose: the no-trap scorer catches it.
  const city = String(tool.content).replace(/"/g, '');
  return { usage, text: city === 'Canberra' ? 'It is Sydney.' : `The capital is ${city}.` };
}

describe('the @troupe/eval example suite', () => {
  it('runs against the fake model server: every scorer, the judge priced in the task', async () => {
    const server = await createFakeModelServer({ replies: provider });
    const dir = await mkdtemp(join(tmpdir(), 'troupe-eval-example-'));
    try {
      const suite = (await import(examplePath)).default as EvalSuite;
      const model = openaiCompatible({
        baseURL: server.openaiBaseURL,
        model: 'fake-geo',
        apiKey: 'sk-test',
        pricing: { inputPerMTok: 1, outputPerMTok: 4 },
      });
      const { summary, results } = await runEval(suite, { out: dir, model, progress: false });
      expect(summary).toMatchObject({ tasks: 5, completed: 5, notRun: [] });
      expect(summary.scorers.includes!.mean).toBeCloseTo(0.8);
      expect(summary.scorers.noTrap!.mean).toBeCloseTo(0.8);
      expect(summary.scorers.judge!.mean).toBeCloseTo(0.8);
      expect(summary.scorers['one-sentence']!.mean).toBe(1);
      const au = results.find((r) => r.id === 'au')!;
      expect(au.scores.noTrap).toEqual({ score: 0, note: 'said Sydney' });
      // Two geographer calls and one judge call per task, all priced.
      expect(au.usage.requests).toBe(3);
      expect(au.costUsd).toBeCloseTo((300 * 1 + 60 * 4) / 1e6);
      expect(server.requests).toHaveLength(15);
      expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain('Canberra');
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is the suite the README shows', async () => {
    const readme = await readFile(join(repoRoot, 'packages/eval/README.md'), 'utf8');
    expect(readme).toContain(await readFile(examplePath, 'utf8'));
  });
});
