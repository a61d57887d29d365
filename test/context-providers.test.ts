// Context policies against real provider wire formats (the fake model server): a context-length
// error compacts and retries instead of failing the run; with Anthropic, the stable prefix and
// the newest message carry cache_control, and cached tokens reach usage and cost.
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  DEFAULT_SUMMARY_INSTRUCTIONS,
  defineAgent,
  SUMMARY_HEADING,
  systemClock,
  type Team,
} from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import {
  createFakeModelServer,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '@troupe/providers/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

type Json = Record<string, unknown>;

/** The system prompt of a request, whichever protocol carried it. */
function systemOf(request: RecordedRequest): string {
  const body = request.body as Json;
  if (request.protocol === 'anthropic') {
    const system = body.system;
    return Array.isArray(system) ? String((system[0] as Json).text) : String(system ?? '');
  }
  const first = (body.messages as Json[])[0];
  return first?.role === 'system' ? String(first.content) : '';
}

/** A request's prompt size as the fake server measures it (about 4 characters a token). */
function promptTokens(request: RecordedRequest): number {
  const b = request.body as Json;
  return Math.ceil(JSON.stringify([b.system, b.messages, b.input, b.tools]).length / 4);
}

function teamOn(key: string): { team: Team; limiter: ReturnType<typeof createRateLimiter> } {
  const clock = systemClock;
  const limiter = createRateLimiter({
    clock,
    rules: [{ key, windowMs: 3_600_000, requests: 10_000, tokens: 100_000_000 }],
  });
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter,
    bus: createBus({ clock }),
  });
  return { team, limiter };
}

const line = (i: number) =>
  `Message ${i}: the customer in ticket ${1000 + i} reports that the export to CSV drops the last column.`;

describe('context policies over the wire', () => {
  const servers: FakeModelServer[] = [];
  const teams: Team[] = [];
  afterEach(async () => {
    for (const team of teams.splice(0)) await team.close();
    for (const server of servers.splice(0)) await server.close();
  });
  afterAll(() => closeProviderPools());

  it('a context-length error from the provider compacts the view, retries once and completes', async () => {
    const summaries: RecordedRequest[] = [];
    const server = await createFakeModelServer({
      maxContextTokens: 1_500,
      replies: (request): FakeReply => {
        if (systemOf(request) === DEFAULT_SUMMARY_INSTRUCTIONS) {
          summaries.push(request);
          return { text: 'Tickets about CSV exports dropping the last column were reported.' };
        }
        return { text: 'Logged.' };
      },
    });
    servers.push(server);
    // A model the window table does not know: no budget until the provider states one.
    const model = openaiCompatible({
      baseURL: server.openaiBaseURL,
      apiKey: 'sk-test',
      model: 'in-house-7b',
    });
    const { team, limiter } = teamOn(model.id);
    teams.push(team);
    await team.spawn(defineAgent({ name: 'desk', instructions: 'Log tickets.', model }), {
      name: 'desk',
    });
    for (let i = 1; i <= 40; i++) {
      const result = await team.send('desk', line(i));
      expect(result.status, `message ${i}: ${result.error?.message}`).toBe('completed');
    }
    const requests = server.requests;
    // One request was refused as too long (the server answered context_length_exceeded)...
    const refused = requests.filter((r) => promptTokens(r) > 1_500);
    expect(refused.length).toBe(1);
    // ...then a summary was written and the call retried: every later call fits, compacting
    // ahead of the limit the error stated.
    expect(summaries.length).toBeGreaterThan(0);
    const at = requests.indexOf(refused[0]!);
    expect(requests[at + 1]).toBe(summaries[0]);
    expect(systemOf(requests[at + 2]!)).toBe('Log tickets.');
    const history = await team.history('desk');
    expect(history.some((m) => m.role === 'user' && m.summarizes !== undefined)).toBe(true);
    expect(history.filter((m) => m.role === 'assistant')).toHaveLength(40);
    // The refused request, the summaries and the retry each took a lease and count as requests.
    expect(limiter.usage(model.id).requests).toBe(requests.length);
    expect(team.agent('desk')?.usage.requests).toBe(requests.length - 1);
  }, 30_000);

  it('with Anthropic, cache_control marks the stable prefix and the newest message; cached tokens reach usage and cost', async () => {
    // Honest input counts; the provider reads up to 500 of them from its cache, writes up to 100.
    const reported: { inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number }[] =
      [];
    const reply = (request: RecordedRequest, text: string): FakeReply => {
      const inputTokens = promptTokens(request);
      const usage = {
        inputTokens,
        outputTokens: 10,
        cacheReadTokens: Math.min(500, Math.floor(inputTokens / 2)),
        cacheWriteTokens: Math.min(100, Math.floor(inputTokens / 10)),
      };
      reported.push(usage);
      return { text, usage };
    };
    const server = await createFakeModelServer({
      replies: (request): FakeReply =>
        systemOf(request) === DEFAULT_SUMMARY_INSTRUCTIONS
          ? reply(request, 'Earlier tickets were about CSV exports.')
          : reply(request, 'Logged.'),
    });
    servers.push(server);
    const pricing = {
      inputPerMTok: 3,
      outputPerMTok: 15,
      cacheReadPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
    };
    const model = anthropic({
      baseURL: server.anthropicBaseURL,
      apiKey: 'sk-ant-test',
      model: 'claude-sonnet-4-5',
      promptCaching: true,
      pricing,
    });
    const { team } = teamOn(model.id);
    teams.push(team);
    await team.spawn(
      defineAgent({
        name: 'desk',
        instructions: 'Log tickets.',
        model,
        context: { maxInputTokens: 1_800, pinned: { first: 1 }, summarize: { maxTokens: 200 } },
      }),
      { name: 'desk' },
    );
    await team.send('desk', 'Standing order: log every ticket in one word.');
    for (let i = 1; i <= 40; i++) await team.send('desk', line(i));

    const calls = server.requests.filter((r) => systemOf(r) === 'Log tickets.');
    expect(calls).toHaveLength(41);
    let withSummary = 0;
    for (const call of calls) {
      const body = call.body as Json;
      const marked = JSON.stringify(body).match(/"cache_control"/g)?.length ?? 0;
      expect(marked).toBeLessThanOrEqual(4);
      expect((body.system as Json[])[0]?.cache_control).toEqual({ type: 'ephemeral' });
      const tools = body.tools as Json[];
      expect(tools[tools.length - 1]?.cache_control).toEqual({ type: 'ephemeral' });
      const turns = body.messages as { role: string; content: string | Json[] }[];
      const blocks = turns.flatMap((t) =>
        typeof t.content === 'string' ? [{ type: 'text', text: t.content }] : t.content,
      );
      // The pinned order opens every call; the newest block is marked.
      expect(blocks[0]?.text).toBe('Standing order: log every ticket in one word.');
      expect(blocks[blocks.length - 1]?.cache_control).toEqual({ type: 'ephemeral' });
      const summary = blocks.findIndex((b) => String(b.text ?? '').startsWith(SUMMARY_HEADING));
      if (summary === -1) {
        // Without a summary the pinned turn ends the stable prefix and is marked.
        if (blocks.length > 1) expect(blocks[0]?.cache_control).toEqual({ type: 'ephemeral' });
        continue;
      }
      withSummary++;
      expect(summary).toBe(1);
      expect(blocks[summary]?.cache_control).toEqual({ type: 'ephemeral' });
    }
    expect(withSummary).toBeGreaterThan(0);

    const totals = team.agent('desk')?.usage;
    const requests = server.requests.length;
    expect(totals?.requests).toBe(requests);
    expect(totals?.cacheReadTokens).toBe(reported.reduce((sum, u) => sum + u.cacheReadTokens, 0));
    expect(totals?.cacheWriteTokens).toBe(reported.reduce((sum, u) => sum + u.cacheWriteTokens, 0));
    const cost = reported.reduce(
      (sum, u) =>
        sum +
        ((u.inputTokens - u.cacheReadTokens - u.cacheWriteTokens) * 3 +
          u.cacheReadTokens * 0.3 +
          u.cacheWriteTokens * 3.75 +
          10 * 15) /
          1e6,
      0,
    );
    expect(totals?.costUsd).toBeCloseTo(cost, 9);
  }, 30_000);
});
