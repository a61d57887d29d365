/**
 * Provider overhead over HTTP, against the fake model server on 127.0.0.1 (same process).
 *
 * Every task sends the same small Chat Completions request and reads the same small answer, so
 * what differs is the client's own work per call:
 * - floor: a raw undici `Pool.request` + `body.json()` on a keep-alive pool (the primitive our
 *   providers sit on), and a raw `fetch` (Node's built-in undici, global keep-alive agent);
 * - `openaiCompatible` and `anthropic` on the shared per-origin pool, whole answers and streamed;
 * - `openaiCompatible` unpooled (an undici Agent with `pipelining: 0`: a new socket per call);
 * - 50 calls in parallel, through the provider and through raw undici.
 * The fake server's own work (parsing, validating, framing) is in every number alike.
 */
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import { createFakeModelServer } from '@troupe/providers/testing';
import { Agent, Pool } from 'undici';
import { figure, fmtUs, heading, type Measured, measure, ratio, table } from './lib/harness.js';

const PARALLEL = 50;
/**
 * Timing rounds; each task keeps its fastest median. Tasks run one after another on a shared
 * 2-core machine, so a load spike would otherwise land on whoever runs during it. Ratios use
 * medians (p50): a few slow outliers (GC, the neighbour's test run) swamp a mean.
 */
const ROUNDS = 3;

async function bestOf(tasks: Record<string, () => unknown>): Promise<Record<string, Measured>> {
  const best: Record<string, Measured> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const results = await measure(tasks);
    for (const [name, result] of Object.entries(results)) {
      const previous = best[name];
      if (previous === undefined || result.p50Us < previous.p50Us) best[name] = result;
    }
  }
  return best;
}
/** Per-call overhead the providers may add on top of a raw undici request (timers, framing, parse). */
const OVERHEAD_GOAL = 1.3;

function printMedians(results: Record<string, Measured>): void {
  table(Object.values(results));
  for (const row of Object.values(results)) figure(`${row.name} (median)`, fmtUs(row.p50Us));
}

export default async function providersBench(): Promise<void> {
  const reply = { text: 'The answer is 42.', usage: { inputTokens: 20, outputTokens: 6 } };
  const server = await createFakeModelServer({ replies: () => reply });
  const request = {
    messages: [{ role: 'user' as const, content: 'What is the answer?' }],
    tools: [],
  };
  const body = JSON.stringify({ model: 'bench', messages: request.messages });
  const path = '/v1/chat/completions';
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  const rawPool = new Pool(server.url, { connections: 20, pipelining: 1 });
  const unpooledAgent = new Agent({ pipelining: 0 });
  const openai = openaiCompatible({ baseURL: server.openaiBaseURL, model: 'bench' });
  const claude = anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'k', model: 'bench' });
  const unpooled = openaiCompatible({
    baseURL: server.openaiBaseURL,
    model: 'bench',
    dispatcher: unpooledAgent,
  });
  const streamed = { ...request, onDelta: () => {} };

  const rawUndici = async (): Promise<unknown> => {
    const response = await rawPool.request({
      origin: server.url,
      path,
      method: 'POST',
      headers,
      body,
    });
    return response.body.json();
  };
  const rawFetch = async (): Promise<unknown> => {
    const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
    return response.json();
  };

  try {
    heading('one call at a time (small answer)');
    const one = await bestOf({
      'raw undici Pool.request (floor)': rawUndici,
      'raw fetch': rawFetch,
      'openaiCompatible, pooled': () => openai.generate(request),
      'anthropic, pooled': () => claude.generate(request),
      'openaiCompatible, streamed': () => openai.generate(streamed),
      'anthropic, streamed': () => claude.generate(streamed),
      'openaiCompatible, unpooled (socket per call)': () => unpooled.generate(request),
    });
    printMedians(one);
    const floor = one['raw undici Pool.request (floor)']!.p50Us;
    ratio(
      'openaiCompatible vs raw undici request',
      one['openaiCompatible, pooled']!.p50Us / floor,
      { max: OVERHEAD_GOAL },
    );
    ratio('anthropic vs raw undici request', one['anthropic, pooled']!.p50Us / floor, {
      max: OVERHEAD_GOAL,
    });
    ratio(
      'openaiCompatible vs raw fetch',
      one['openaiCompatible, pooled']!.p50Us / one['raw fetch']!.p50Us,
      { max: 1 },
    );
    ratio(
      'unpooled vs pooled (cost of a socket per call)',
      one['openaiCompatible, unpooled (socket per call)']!.p50Us /
        one['openaiCompatible, pooled']!.p50Us,
      {
        min: 1.2,
      },
    );

    heading(`${PARALLEL} calls in parallel`);
    const many = await bestOf({
      [`raw undici Pool.request x${PARALLEL}`]: () =>
        Promise.all(Array.from({ length: PARALLEL }, rawUndici)),
      [`openaiCompatible x${PARALLEL}`]: () =>
        Promise.all(Array.from({ length: PARALLEL }, () => openai.generate(request))),
      [`anthropic streamed x${PARALLEL}`]: () =>
        Promise.all(Array.from({ length: PARALLEL }, () => claude.generate(streamed))),
    });
    printMedians(many);
    ratio(
      `openaiCompatible vs raw undici, ${PARALLEL} in parallel`,
      many[`openaiCompatible x${PARALLEL}`]!.p50Us /
        many[`raw undici Pool.request x${PARALLEL}`]!.p50Us,
      { max: OVERHEAD_GOAL },
    );
    ratio(
      `${PARALLEL} in parallel vs ${PARALLEL} one at a time (pool concurrency)`,
      many[`openaiCompatible x${PARALLEL}`]!.p50Us /
        (PARALLEL * one['openaiCompatible, pooled']!.p50Us),
      { max: 1 },
    );
  } finally {
    await rawPool.close();
    await unpooledAgent.close();
    await closeProviderPools();
    await server.close();
  }
}
