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
 *
 * Then the client's work alone, without a network: a stub dispatcher answers every request at
 * once with a canned body, read raw (iterate + JSON.parse) and through both providers.
 */

import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import { createFakeModelServer } from '@troupe/providers/testing';
import { Agent, type Dispatcher, Pool } from 'undici';
import { heading, type Measured, ratio, table } from './lib/harness.js';

const PARALLEL = 50;
/**
 * Client work the providers may add per call on top of a raw undici request (timers, abort
 * wiring, header parsing, message mapping, JSON parse). The in-process floor round trip is
 * ~55 µs, so 1.5x is a budget of ~27 µs per call: noise beside any real provider's latency.
 */
const OVERHEAD_GOAL = 1.5;
/**
 * Without a network, the providers' whole call (request mapping, JSON, three clock timers,
 * abort wiring, header parsing, answer mapping) against reading the same canned body raw.
 */
const CLIENT_GOAL = 3;
/**
 * Tasks are measured interleaved, in rounds: each round runs a block of calls of every task
 * in turn, and each task's figure is the median of its per-round block means. On this shared
 * 2-core machine a load spike then lands on every task of a round alike, instead of on
 * whichever task tinybench happened to be timing; the ratios are of the medians.
 */
const ROUNDS = Math.max(5, Math.round((25 * (Number(process.env.BENCH_TIME_MS) || 500)) / 500));

async function interleaved(
  tasks: Record<string, { block: number; run: () => Promise<unknown> }>,
): Promise<Record<string, Measured>> {
  const perCall: Record<string, number[]> = {};
  for (const [name, task] of Object.entries(tasks)) {
    for (let i = 0; i < task.block; i++) await task.run(); // warm-up
    perCall[name] = [];
  }
  const entries = Object.entries(tasks);
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with a different task, so no task always follows the same neighbour
    // (whose garbage it would collect) or always runs first.
    for (let k = 0; k < entries.length; k++) {
      const [name, task] = entries[(round + k) % entries.length]!;
      const start = performance.now();
      for (let i = 0; i < task.block; i++) await task.run();
      perCall[name]!.push(((performance.now() - start) * 1000) / task.block);
    }
  }
  const out: Record<string, Measured> = {};
  for (const [name, values] of Object.entries(perCall)) {
    values.sort((a, b) => a - b);
    const median = values[values.length >> 1]!;
    out[name] = {
      name,
      meanUs: median,
      p50Us: median,
      p99Us: values[values.length - 1]!,
      opsPerSec: 1e6 / median,
      samples: values.length,
    };
  }
  return out;
}

function print(results: Record<string, Measured>): void {
  // Columns: median of block means, then the slowest block (as "p99"), then calls per second.
  table(Object.values(results));
}

type FakeServer = Awaited<ReturnType<typeof createFakeModelServer>>;

const request = {
  messages: [{ role: 'user' as const, content: 'What is the answer?' }],
  tools: [],
};
const body = JSON.stringify({ model: 'bench', messages: request.messages });
const path = '/v1/chat/completions';
const headers = { 'content-type': 'application/json', accept: 'application/json' };
const streamed = { ...request, onDelta: () => {} };

/** The contestants over the network: raw undici and fetch, and both providers. */
function networkClients(server: FakeServer) {
  const rawPool = new Pool(server.url, { connections: 20, pipelining: 1 });
  const unpooledAgent = new Agent({ pipelining: 0 });
  return {
    openai: openaiCompatible({ baseURL: server.openaiBaseURL, model: 'bench' }),
    claude: anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'k', model: 'bench' }),
    unpooled: openaiCompatible({
      baseURL: server.openaiBaseURL,
      model: 'bench',
      dispatcher: unpooledAgent,
    }),
    async rawUndici(): Promise<unknown> {
      const response = await rawPool.request({
        origin: server.url,
        path,
        method: 'POST',
        headers,
        body,
      });
      return response.body.json();
    },
    async rawFetch(): Promise<unknown> {
      const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
      return response.json();
    },
    async close(): Promise<void> {
      await rawPool.close();
      await unpooledAgent.close();
    },
  };
}

type NetworkClients = ReturnType<typeof networkClients>;

async function oneAtATime(c: NetworkClients): Promise<Record<string, Measured>> {
  const { openai, claude, unpooled, rawUndici, rawFetch } = c;
  heading('one call at a time (small answer)');
  const one = await interleaved({
    'raw undici Pool.request (floor)': { block: 50, run: rawUndici },
    'raw fetch': { block: 50, run: rawFetch },
    'openaiCompatible, pooled': { block: 50, run: () => openai.generate(request) },
    'anthropic, pooled': { block: 50, run: () => claude.generate(request) },
    'openaiCompatible, streamed': { block: 50, run: () => openai.generate(streamed) },
    'anthropic, streamed': { block: 50, run: () => claude.generate(streamed) },
    'openaiCompatible, unpooled (socket per call)': {
      block: 10,
      run: () => unpooled.generate(request),
    },
  });
  print(one);
  const floor = one['raw undici Pool.request (floor)']!.p50Us;
  ratio('openaiCompatible vs raw undici request', one['openaiCompatible, pooled']!.p50Us / floor, {
    max: OVERHEAD_GOAL,
  });
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

  return one;
}

async function inParallel(c: NetworkClients, one: Record<string, Measured>): Promise<void> {
  const { openai, claude, rawUndici } = c;
  heading(`${PARALLEL} calls in parallel`);
  const batch = (call: () => Promise<unknown>) => () =>
    Promise.all(Array.from({ length: PARALLEL }, call));
  const many = await interleaved({
    [`raw undici Pool.request x${PARALLEL}`]: { block: 2, run: batch(rawUndici) },
    [`openaiCompatible x${PARALLEL}`]: { block: 2, run: batch(() => openai.generate(request)) },
    [`anthropic streamed x${PARALLEL}`]: {
      block: 2,
      run: batch(() => claude.generate(streamed)),
    },
  });
  print(many);
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
}

/** The providers' own work per call, against a stub dispatcher that answers at once. */
async function clientWorkAlone(): Promise<void> {
  heading('client work alone (a stub dispatcher answers at once, no socket)');
  const answers: Record<string, Buffer> = {
    '/v1/chat/completions': Buffer.from(
      JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'The answer is 42.' },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 6 },
      }),
    ),
    '/v1/messages': Buffer.from(
      JSON.stringify({
        id: 'm',
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: 'The answer is 42.' }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 20, output_tokens: 6 },
      }),
    ),
  };
  const canned = (bytes: Buffer): Readable => {
    const stream = new Readable({ read() {} });
    stream.push(bytes);
    stream.push(null);
    return stream;
  };
  const cannedHeaders = { 'content-type': 'application/json', 'x-request-id': 'req_1' };
  // Only `request`, the one method the providers call: undici's MockAgent costs ~150 µs a
  // request itself (interceptor matching) and would drown what is measured here.
  const stub = {
    request: async (options: { path: string }) => ({
      statusCode: 200,
      headers: cannedHeaders,
      body: canned(answers[options.path] as Buffer),
    }),
  } as unknown as Dispatcher;
  const origin = 'http://model.test';
  const stubbedOpenAI = openaiCompatible({
    baseURL: `${origin}/v1`,
    model: 'bench',
    dispatcher: stub,
  });
  const stubbedClaude = anthropic({
    baseURL: origin,
    apiKey: 'k',
    model: 'bench',
    dispatcher: stub,
  });
  const rawStubbed = async (): Promise<unknown> => {
    const response = await stub.request({ origin, path, method: 'POST', headers, body });
    let text = '';
    for await (const chunk of response.body) text += (chunk as Buffer).toString('utf8');
    return JSON.parse(text);
  };
  const alone = await interleaved({
    'raw stub request + JSON.parse (floor)': { block: 500, run: rawStubbed },
    'openaiCompatible on the stub': { block: 500, run: () => stubbedOpenAI.generate(request) },
    'anthropic on the stub': { block: 500, run: () => stubbedClaude.generate(request) },
  });
  print(alone);
  const stubFloor = alone['raw stub request + JSON.parse (floor)']!.p50Us;
  // The providers' own work per call (mapping, JSON, timers, abort wiring, header parsing)
  // in µs is the difference; the ratio keeps it within a small multiple of undici's own.
  ratio(
    'openaiCompatible vs raw request, no network',
    alone['openaiCompatible on the stub']!.p50Us / stubFloor,
    {
      max: CLIENT_GOAL,
    },
  );
  ratio('anthropic vs raw request, no network', alone['anthropic on the stub']!.p50Us / stubFloor, {
    max: CLIENT_GOAL,
  });
}

export default async function providersBench(): Promise<void> {
  const reply = { text: 'The answer is 42.', usage: { inputTokens: 20, outputTokens: 6 } };
  const server = await createFakeModelServer({ replies: () => reply });
  const clients = networkClients(server);
  try {
    const one = await oneAtATime(clients);
    await inParallel(clients, one);
    await clientWorkAlone();
  } finally {
    await clients.close();
    await closeProviderPools();
    await server.close();
  }
}
