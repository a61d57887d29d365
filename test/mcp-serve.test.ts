// `troupe mcp <team module>`: an MCP client from the official SDK drives the built CLI over
// stdio (and over Streamable HTTP with --port): it lists the agents, sends a task and gets the
// answer, posts a message, lists claims and discoveries. The model is the fake model server.
// Build first (`npx turbo run build --filter=@troupe/cli...`).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FakeModelServer, FakeReply, RecordedRequest } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bin, repoRoot, requireBuild } from './fixtures/cli-common/cli.js';

// Each test starts node child processes (servers, the CLI); on a busy 2-core machine that alone
// can take seconds, so the default 5 s per test is too tight.
const CHILD_PROCESS_TIMEOUT_MS = 30_000;

const teamModule = join(repoRoot, 'test/fixtures/mcp-serve/team.js');

type Json = Record<string, unknown>;

/** The scout: claims the file and shares a finding, then answers. */
function scout(request: RecordedRequest): FakeReply {
  const messages = (request.body as Json).messages as Json[];
  if (!messages.some((m) => m.role === 'tool')) {
    return {
      toolCalls: [
        { name: 'claim_region', arguments: { resource: 'src/auth.ts' } },
        { name: 'share_discovery', arguments: { topic: 'auth', content: 'tokens are JWTs' } },
      ],
    };
  }
  return { text: 'Auth uses JWTs.' };
}

let model: FakeModelServer | undefined;
let client: Client | undefined;
let child: ChildProcess | undefined;
beforeAll(() => requireBuild());
afterEach(async () => {
  await client?.close();
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await model?.close();
  client = model = child = undefined;
}, CHILD_PROCESS_TIMEOUT_MS);

const env = (baseURL: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  TROUPE_PROVIDER: 'openai',
  TROUPE_MODEL: 'fake-scout-1',
  OPENAI_BASE_URL: baseURL,
  OPENAI_API_KEY: 'sk-test',
});

/** A tool call's JSON text result, parsed. */
async function call(name: string, args: Json = {}): Promise<{ json: unknown; result: Json }> {
  const result = (await client!.callTool({ name, arguments: args })) as Json;
  const [first] = result.content as { type: string; text: string }[];
  let json: unknown;
  try {
    json = JSON.parse(first!.text);
  } catch {
    json = first!.text;
  }
  return { json, result };
}

async function drive(): Promise<void> {
  const { tools } = await client!.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual([
    'list_agents',
    'list_claims',
    'list_discoveries',
    'post_message',
    'send_task',
  ]);
  const agents = (await call('list_agents')).json as Json[];
  expect(agents.map((a) => a.name)).toEqual(['scout', 'scribe']);

  const task = await call('send_task', { agent: 'scout', message: 'How does auth work?' });
  expect(task.result.isError).toBeFalsy();
  expect(task.json).toBe('Auth uses JWTs.');
  expect(task.result.structuredContent).toMatchObject({
    agent: 'scout',
    status: 'completed',
    text: 'Auth uses JWTs.',
    turns: 2,
  });
  const firstRequest = model!.requests[0]!.body as Json;
  expect((firstRequest.messages as Json[]).some((m) => m.content === 'How does auth work?')).toBe(
    true,
  );

  const claims = (await call('list_claims')).json as Json[];
  expect(claims).toEqual([expect.objectContaining({ agent: 'scout', resource: 'src/auth.ts' })]);
  const discoveries = (await call('list_discoveries', { topic: 'auth' })).json as Json[];
  expect(discoveries).toEqual([
    expect.objectContaining({ seq: 1, agent: 'scout', content: 'tokens are JWTs' }),
  ]);
  const posted = await call('post_message', { agent: 'scribe', body: 'note this', from: 'ops' });
  expect(posted.json).toEqual({ topic: 'inbox:scribe', seq: 1 });

  const unknown = await call('send_task', { agent: 'nobody', message: 'hi' });
  expect(unknown.result.isError).toBe(true);
  expect(unknown.json).toMatch(/no agent named "nobody" \(agents: scout, scribe\)/);
}

describe('troupe mcp', { timeout: CHILD_PROCESS_TIMEOUT_MS }, () => {
  it('over stdio: an SDK client sends a task and gets the answer, and sees the team', async () => {
    model = await createFakeModelServer({ replies: scout, apiKey: 'sk-test' });
    client = new Client({ name: 'test-client', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, 'mcp', teamModule],
      env: env(model.openaiBaseURL),
      cwd: repoRoot,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    await client.connect(transport);
    await drive();
    expect(stderr).toMatch(/troupe mcp: serving scout, scribe over stdio/);
  });

  it('over Streamable HTTP on a loopback port (--port 0)', async () => {
    model = await createFakeModelServer({ replies: scout, apiKey: 'sk-test' });
    child = spawn(process.execPath, [bin, 'mcp', teamModule, '--port', '0'], {
      cwd: repoRoot,
      env: env(model.openaiBaseURL),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child!.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        err += chunk;
        const match = /at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(err);
        if (match) resolve(match[1]!);
      });
      child!.once('exit', (code) => reject(new Error(`troupe mcp exited ${code}: ${err}`)));
    });
    client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    await drive();
  });

  it('stops when the stdio client goes away, exit 0', async () => {
    model = await createFakeModelServer({ replies: scout, apiKey: 'sk-test' });
    child = spawn(process.execPath, [bin, 'mcp', teamModule], {
      cwd: repoRoot,
      env: env(model.openaiBaseURL),
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.stdin!.end();
    expect(await exited).toBe(0);
  });
});
