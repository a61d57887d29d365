// `troupe run` and tools that need approval: the built CLI in a child process (stdin is no
// terminal) against the fake model server. Build first (`npx turbo run build --output-logs=errors-only`).
import { join } from 'node:path';
import type { FakeModelServer, FakeReply, RecordedRequest } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, requireBuild, troupe } from './fixtures/cli-common/cli.js';

const teamModule = join(repoRoot, 'test/fixtures/cli-approval/team.js');

type Json = Record<string, unknown>;

/** Calls deploy first, then answers with the tool result it got. */
function operator(request: RecordedRequest): FakeReply {
  const messages = (request.body as Json).messages as Json[];
  const result = messages.find((m) => m.role === 'tool');
  if (result === undefined) {
    return {
      usage: { inputTokens: 40, outputTokens: 8 },
      toolCalls: [{ name: 'deploy', arguments: { service: 'billing' } }],
    };
  }
  return {
    usage: { inputTokens: 60, outputTokens: 6 },
    text: `Outcome: ${String(result.content)}`,
  };
}

let server: FakeModelServer | undefined;
beforeAll(() => requireBuild());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const env = (baseURL: string): NodeJS.ProcessEnv => ({
  TROUPE_PROVIDER: 'openai',
  TROUPE_MODEL: 'fake-ops-1',
  OPENAI_BASE_URL: baseURL,
  OPENAI_API_KEY: 'sk-test',
});

describe('troupe run with tools that need approval', () => {
  it('--approve all: the call runs, and both approval events are printed', async () => {
    server = await createFakeModelServer({ replies: operator, apiKey: 'sk-test' });
    const run = await troupe(['run', teamModule, '--approve', 'all'], {
      env: env(server.openaiBaseURL),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Outcome: deployed billing\n');
    expect(run.stderr).toMatch(
      /^\S+Z tool\.approval_requested .*"tool":"deploy","arguments":\{"service":"billing"\}/m,
    );
    expect(run.stderr).toMatch(/^\S+Z tool\.approval_decided .*"approved":true/m);
  });

  it('--approve none: the call is rejected and the model sees why', async () => {
    server = await createFakeModelServer({ replies: operator, apiKey: 'sk-test' });
    const run = await troupe(['run', teamModule, '--approve', 'none', '--quiet'], {
      env: env(server.openaiBaseURL),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Outcome: Tool call rejected: not approved (--approve none)\n');
    const second = (server.requests[1]!.body as Json).messages as Json[];
    expect(second.find((m) => m.role === 'tool')?.content).toBe(
      'Tool call rejected: not approved (--approve none)',
    );
  });

  it('without a terminal and without --approve the call is rejected: "no terminal"', async () => {
    server = await createFakeModelServer({ replies: operator, apiKey: 'sk-test' });
    const run = await troupe(['run', teamModule, '--quiet'], { env: env(server.openaiBaseURL) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Outcome: Tool call rejected: not approved (no terminal)\n');
  });

  it('--approve with another value exits 2 and calls nothing', async () => {
    server = await createFakeModelServer({ replies: operator, apiKey: 'sk-test' });
    const run = await troupe(['run', teamModule, '--approve', 'some'], {
      env: env(server.openaiBaseURL),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--approve must be all or none, got "some"');
    expect(server.requests).toHaveLength(0);
  });
});
