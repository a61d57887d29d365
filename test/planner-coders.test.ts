// The planner-and-coders example (examples/planner-coders.mjs): on a simulated clock
// (examples/planner-coders-sim.mjs), and live through `troupe run` against the fake model
// server, where a message to an agent is what makes it run: every agent runs, the command ends
// once the team is idle, and no model call is spent polling for messages.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { FakeModelServer, FakeReply, RecordedRequest } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, requireBuild, troupe } from './fixtures/cli-common/cli.js';

type Json = Record<string, unknown>;
const module = join(repoRoot, 'examples/planner-coders.mjs');

/** Plays each role over the OpenAI wire format, from the system prompt and the last message. */
function play(request: RecordedRequest): FakeReply {
  const messages = (request.body as Json).messages as Json[];
  const system = String(messages.find((m) => m.role === 'system')?.content ?? '');
  const last = messages.at(-1);
  const content = String(last?.content ?? '');
  if (system.startsWith('You are the planner')) {
    if (last?.role === 'tool') return { text: 'Sent a part to each coder.' };
    if (content.startsWith('Message from coder-')) {
      return { text: `Noted: ${content.split('\n').at(-1)}` };
    }
    return {
      toolCalls: [
        { name: 'post_message', arguments: { to: 'coder-1', body: 'Write parse().' } },
        { name: 'post_message', arguments: { to: 'coder-2', body: 'Test parse().' } },
      ],
    };
  }
  if (last?.role === 'tool') return { text: 'Done and reported.' };
  const task = content.split('\n').at(-1);
  return {
    toolCalls: [{ name: 'post_message', arguments: { to: 'planner', body: `Did: ${task}` } }],
  };
}

let server: FakeModelServer | undefined;
beforeAll(() => requireBuild());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('planner and coders', () => {
  it('runs on a simulated clock, deterministically', () => {
    const run = () =>
      execFileSync(process.execPath, [join(repoRoot, 'examples/planner-coders-sim.mjs')], {
        encoding: 'utf8',
      });
    const printed = run();
    expect(printed).toBe(
      [
        'completed after 8 model calls and 4400 simulated ms',
        "planner: Noted coder-2's report.",
        'coder-1: Done and reported.',
        'coder-2: Done and reported.',
        '',
      ].join('\n'),
    );
    expect(run()).toBe(printed);
  }, 60_000);

  it('runs live through troupe run until the team is idle; every agent runs, none polls', async () => {
    server = await createFakeModelServer({ replies: play, apiKey: 'sk-test' });
    const run = await troupe(['run', module, '--quiet'], {
      env: {
        TROUPE_PROVIDER: 'openai',
        TROUPE_MODEL: 'fake-team-1',
        OPENAI_BASE_URL: server.openaiBaseURL,
        OPENAI_API_KEY: 'sk-test',
      },
    });
    expect(run.code, run.stderr).toBe(0);
    const bodies = server.requests.map((r) => r.body as Json);
    const roles = bodies.map((b) => {
      const system = String(((b.messages as Json[])[0] as Json).content);
      return system.startsWith('You are the planner') ? 'planner' : 'coder';
    });
    // The planner twice to delegate, each coder twice, the planner once per report at most.
    expect(roles.filter((r) => r === 'coder')).toHaveLength(4);
    expect(roles.filter((r) => r === 'planner').length).toBeGreaterThanOrEqual(3);
    const calledTools = bodies.flatMap((b) =>
      ((b.messages as Json[]).filter((m) => m.role === 'assistant') as Json[]).flatMap((m) =>
        ((m.tool_calls as { function: { name: string } }[] | undefined) ?? []).map(
          (c) => c.function.name,
        ),
      ),
    );
    expect(calledTools).not.toContain('wait_messages');
    // The planner's answer first, then each coder's last answer.
    expect(run.stdout).toMatch(
      /^Noted: Did: .*\n--- coder-1 ---\nDone and reported\.\n--- coder-2 ---\nDone and reported\.\n$/,
    );
  }, 60_000);
});
