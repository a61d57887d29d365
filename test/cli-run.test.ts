// `troupe run <team module>` end to end: the built CLI in a child process runs a live team from
// a plain JS module against the fake model server over HTTP, configured only by environment
// variables. Build first (`npx turbo run build --output-logs=errors-only`).
import { join } from 'node:path';
import type { FakeModelServer, FakeReply, RecordedRequest } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, requireBuild, troupe } from './fixtures/cli-common/cli.js';

const teamModule = join(repoRoot, 'test/fixtures/cli-run/team.js');

type Json = Record<string, unknown>;

/** The geographer: asks the tool first, answers with what it returned. */
function geographer(request: RecordedRequest): FakeReply {
  const messages = (request.body as Json).messages as Json[];
  const results = messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
  if (results.length === 0) {
    return {
      usage: { inputTokens: 50, outputTokens: 8 },
      toolCalls: [{ name: 'capital_of', arguments: { country: 'France' } }],
    };
  }
  return { usage: { inputTokens: 70, outputTokens: 6 }, text: `The capital is ${results[0]}.` };
}

let server: FakeModelServer | undefined;
beforeAll(() => requireBuild());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const env = (baseURL: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  TROUPE_PROVIDER: 'openai',
  TROUPE_MODEL: 'fake-geo-1',
  OPENAI_BASE_URL: baseURL,
  OPENAI_API_KEY: 'sk-test',
  ...extra,
});

describe('troupe run', () => {
  it('runs the team from the module: the answer on stdout, events on stderr, exit 0', async () => {
    server = await createFakeModelServer({ replies: geographer, apiKey: 'sk-test' });
    const run = await troupe(['run', teamModule], { env: env(server.openaiBaseURL) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^The capital is .*Paris.*\.\n$/);
    // Two model calls: the tool call, then the answer with the tool's result in context.
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests.map((r) => r.body as Json);
    expect(first!.model).toBe('fake-geo-1');
    const tools = (first!.tools as { function: { name: string } }[]).map((t) => t.function.name);
    expect(tools).toContain('capital_of');
    const firstMessages = first!.messages as Json[];
    expect(firstMessages.some((m) => m.content === 'What is the capital of France?')).toBe(true);
    expect((second!.messages as Json[]).some((m) => m.role === 'tool')).toBe(true);
    // Events are printed one per line: ISO time, type, details.
    expect(run.stderr).toMatch(/^\S+Z turn\.started .*"agent":"geographer"/m);
    expect(run.stderr).toMatch(/^\S+Z tool\.\w+ .*capital_of/m);
    expect(run.stderr).toMatch(/^\S+Z run\.finished /m);
  });

  it('--message and --quiet: the message replaces the task, no events are printed', async () => {
    server = await createFakeModelServer({ replies: geographer, apiKey: 'sk-test' });
    const run = await troupe(
      ['run', teamModule, '--message', 'Capital of France, please.', '--quiet'],
      { env: env(server.openaiBaseURL) },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Paris/);
    expect(run.stderr).toBe('');
    const messages = (server.requests[0]!.body as Json).messages as Json[];
    expect(messages.some((m) => m.content === 'Capital of France, please.')).toBe(true);
  });

  it('a run the provider refuses (401) exits 1 and says why', async () => {
    server = await createFakeModelServer({ replies: geographer, apiKey: 'sk-right' });
    const run = await troupe(['run', teamModule], {
      env: env(server.openaiBaseURL, { OPENAI_API_KEY: 'sk-wrong' }),
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^run failed: ERR_PROVIDER_AUTH .*401/m);
    // The failure is the last thing said: no events after it.
    expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(/^run failed: /);
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('without TROUPE_MODEL it exits 2 with the usage and calls nothing', async () => {
    server = await createFakeModelServer({ replies: geographer });
    const run = await troupe(['run', teamModule], {
      env: env(server.openaiBaseURL, { TROUPE_MODEL: undefined }),
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('set TROUPE_MODEL');
    expect(server.requests).toHaveLength(0);
  });

  it('a module without a default export function exits 2 naming the module', async () => {
    server = await createFakeModelServer({ replies: geographer });
    const module = join(repoRoot, 'test/fixtures/cli-run/not-a-team.js');
    const run = await troupe(['run', module], { env: env(server.openaiBaseURL) });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${module} must export a default function`);
    expect(server.requests).toHaveLength(0);
  });
});
