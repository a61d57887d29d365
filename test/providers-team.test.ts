// An agent team running end to end over HTTP: one agent on openaiCompatible, one on anthropic,
// both against the fake model server, with real tools, team tools, usage and limiter feedback.
import type { TeamEvent, TeamEventOf } from '@troupe/core';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  systemClock,
} from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import type { FakeModelServer, FakeReply, RecordedRequest } from '@troupe/providers/testing';
import { createFakeModelServer } from '@troupe/providers/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

type Json = Record<string, unknown>;

const USAGE = { inputTokens: 100, outputTokens: 10, cacheReadTokens: 40 };

/** The system prompt and the tool results in a request, whichever protocol carried it. */
function read(request: RecordedRequest): { system: string; results: string[] } {
  const body = request.body as Json;
  const messages = body.messages as Json[];
  if (request.protocol === 'openai') {
    return {
      system: String(messages.find((m) => m.role === 'system')?.content ?? ''),
      results: messages.filter((m) => m.role === 'tool').map((m) => String(m.content)),
    };
  }
  const blocks = messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Json[]) : []));
  return {
    system: String(body.system ?? ''),
    results: blocks.filter((b) => b.type === 'tool_result').map((b) => String(b.content)),
  };
}

/** The fake model: each agent's side of the conversation, decided from what it was sent. */
function brain(request: RecordedRequest): FakeReply {
  const { system, results } = read(request);
  if (system.startsWith('Scout')) {
    if (results.length === 0) {
      return {
        usage: USAGE,
        toolCalls: [
          { name: 'add', arguments: { a: 2, b: 3 } },
          { name: 'share_discovery', arguments: { topic: 'math', content: '2 + 3 was computed' } },
        ],
      };
    }
    return {
      usage: USAGE,
      text: `The sum is ${results[0]}.`,
      // The provider says: no requests left for 10 s. The team's limiter must hear it.
      headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '10s' },
    };
  }
  if (results.length === 0)
    return {
      usage: USAGE,
      toolCalls: [{ name: 'list_discoveries', arguments: { topic: 'math' } }],
    };
  return { usage: USAGE, text: `I read: ${results[0]}` };
}

let server: FakeModelServer;
beforeEach(async () => {
  server = await createFakeModelServer({ replies: brain });
});
afterEach(() => server.close());
afterAll(() => closeProviderPools());

const add = defineTool({
  name: 'add',
  description: 'Add two numbers.',
  input: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }) => a + b,
});

for (const stream of [false, true]) {
  describe(`a team on both providers (${stream ? 'streaming' : 'whole answers'})`, () => {
    it('runs tools both ways, shares a discovery across providers, counts usage and feeds the limiter', async () => {
      const clock = systemClock;
      const limiter = createRateLimiter({ clock, rules: [] });
      const team = createTeam({
        clock,
        state: createSharedState({ clock }),
        limiter,
        bus: createBus({ clock }),
      });
      const events: TeamEvent[] = [];
      team.on('*', (event) => {
        events.push(event);
      });
      try {
        const scoutModel = openaiCompatible({
          baseURL: server.openaiBaseURL,
          model: 'gpt-fake',
          stream,
        });
        const scribeModel = anthropic({
          baseURL: server.anthropicBaseURL,
          apiKey: 'sk-ant-fake',
          model: 'claude-fake',
          stream,
        });
        await team.spawn(
          defineAgent({
            name: 'scout',
            instructions: 'Scout: compute and share.',
            model: scoutModel,
            tools: [add],
            maxTurns: 4,
          }),
          { name: 'scout' },
        );
        await team.spawn(
          defineAgent({
            name: 'scribe',
            instructions: 'Scribe: read what the team found.',
            model: scribeModel,
            maxTurns: 4,
          }),
          { name: 'scribe' },
        );

        const scouted = await team.send('scout', 'Add 2 and 3, then tell the team.');
        expect(scouted).toMatchObject({ status: 'completed', text: 'The sum is 5.', turns: 2 });
        expect(scouted.usage).toMatchObject({
          requests: 2,
          inputTokens: 200,
          outputTokens: 20,
          cacheReadTokens: 80,
        });

        const written = await team.send('scribe', 'What did the team find?');
        expect(written.status).toBe('completed');
        expect(written.text).toContain('2 + 3 was computed');
        expect(written.usage).toMatchObject({ requests: 2, inputTokens: 200, cacheReadTokens: 80 });

        // Four calls, each on its own wire format, each with its streaming mode.
        expect(server.requests.map((r) => [r.protocol, r.stream])).toEqual([
          ['openai', stream],
          ['openai', stream],
          ['anthropic', stream],
          ['anthropic', stream],
        ]);
        // The scout's tool results went back as two tool messages answering its two calls.
        const second = server.requests[1]?.body as { messages: Json[]; tools: Json[] };
        expect(second.messages.filter((m) => m.role === 'tool')).toHaveLength(2);
        expect(second.tools.map((t) => (t.function as Json).name)).toContain('add');

        expect(
          events.filter((e) => e.type === 'tool.called').map((e) => (e as { tool: string }).tool),
        ).toEqual(['add', 'share_discovery', 'list_discoveries']);
        expect(events.filter((e) => e.type === 'model.answered')).toHaveLength(4);

        // The scout's last answer said "0 requests left for 10 s": its limiter key is paused.
        expect(limiter.tryAcquire(scoutModel.id)).toMatchObject({ ok: false, reason: 'requests' });
        expect(limiter.tryAcquire(scribeModel.id)).toMatchObject({ ok: true });
      } finally {
        await team.close();
        await limiter.close();
      }
    });
  });
}

describe('interrupting an agent mid-call', () => {
  it('cancels a run stalled in a streamed model call and frees its socket', async () => {
    const clock = systemClock;
    const limiter = createRateLimiter({ clock, rules: [] });
    const team = createTeam({
      clock,
      state: createSharedState({ clock }),
      limiter,
      bus: createBus({ clock }),
    });
    const stalled = await createFakeModelServer({
      replies: [{ text: 'thinking very slowly', fault: { kind: 'stall', afterEvents: 4 } }],
    });
    try {
      const model = anthropic({
        baseURL: stalled.anthropicBaseURL,
        apiKey: 'k',
        model: 'claude-fake',
        stream: true,
      });
      await team.spawn(defineAgent({ name: 'slow', instructions: 'Think.', model }), {
        name: 'slow',
      });
      const run = team.send('slow', 'Take your time.');
      await stalled.waitUntil(() => stalled.requests.length === 1);
      expect(await team.cancel('slow')).toBe(true);
      expect(await run).toMatchObject({ status: 'cancelled' });
      await stalled.waitUntil(() => stalled.socketsOpen === 0);
    } finally {
      await team.close();
      await limiter.close();
      await stalled.close();
    }
  });
});

/** One agent asking a fresh fake server: a tool call first, then a text answer. */
async function deltaTeam(provider: 'openai' | 'anthropic') {
  const clock = systemClock;
  const limiter = createRateLimiter({ clock, rules: [] });
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter,
    bus: createBus({ clock }),
  });
  const replies: FakeReply[] = [
    { usage: USAGE, toolCalls: [{ name: 'add', arguments: { a: 2, b: 3 } }] },
    { usage: USAGE, text: 'The sum of 2 and 3 is 5, streamed in pieces.' },
  ];
  const fake = await createFakeModelServer({ replies });
  // Default `stream: 'auto'`: the provider streams only when the request has `onDelta`.
  const model =
    provider === 'openai'
      ? openaiCompatible({ baseURL: fake.openaiBaseURL, model: 'gpt-fake' })
      : anthropic({ baseURL: fake.anthropicBaseURL, apiKey: 'k', model: 'claude-fake' });
  await team.spawn(
    defineAgent({ name: 'adder', instructions: 'Add.', model, tools: [add], maxTurns: 3 }),
    { name: 'adder' },
  );
  const close = async () => {
    await team.close();
    await limiter.close();
    await fake.close();
  };
  return { team, fake, close };
}

for (const provider of ['openai', 'anthropic'] as const) {
  describe(`model.delta events from a streaming ${provider} provider`, () => {
    it('streams text and tool-call deltas as team events whose text makes the answer', async () => {
      const { team, fake, close } = await deltaTeam(provider);
      try {
        const deltas: TeamEventOf<'model.delta'>[] = [];
        team.on('model.delta', (event) => {
          deltas.push(event);
        });
        const result = await team.send('adder', 'Add 2 and 3.');
        expect(result).toMatchObject({ status: 'completed', turns: 2 });
        expect(fake.requests.map((r) => r.stream)).toEqual([true, true]);

        const text = deltas.filter((e) => e.turn === 2 && e.delta.type === 'text');
        expect(text.length).toBeGreaterThan(1); // really streamed, not one final chunk
        expect(text.map((e) => (e.delta.type === 'text' ? e.delta.text : '')).join('')).toBe(
          result.text,
        );
        const args = deltas
          .filter((e) => e.turn === 1)
          .map((e) => (e.delta.type === 'tool-call' ? e.delta.argumentsDelta : ''))
          .join('');
        expect(JSON.parse(args)).toEqual({ a: 2, b: 3 });
        expect(
          deltas.find((e) => e.delta.type === 'tool-call' && e.delta.name !== undefined)?.delta,
        ).toMatchObject({ type: 'tool-call', index: 0, name: 'add' });
        expect(new Set(deltas.map((e) => `${e.agent} ${e.runId}`))).toEqual(
          new Set([`adder ${result.runId}`]),
        );
      } finally {
        await close();
      }
    });

    it('does not stream when nobody listens to model.delta', async () => {
      const { team, fake, close } = await deltaTeam(provider);
      try {
        team.on('model.answered', () => {});
        const result = await team.send('adder', 'Add 2 and 3.');
        expect(result.status).toBe('completed');
        expect(fake.requests.map((r) => r.stream)).toEqual([false, false]);
      } finally {
        await close();
      }
    });
  });
}
