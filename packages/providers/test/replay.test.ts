import { Readable } from 'node:stream';
import type { Model, ModelDelta } from '@troupe/core';
import { anthropic, openaiCompatible, openaiResponses } from '@troupe/providers';
import fc from 'fast-check';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import type { Recording } from './recordings/streams.js';
import { recordings } from './recordings/streams.js';

// Every recording, delivered whole, one byte at a time, and cut at random byte boundaries
// (fast-check), which lands inside multi-byte characters, CRLF pairs and JSON alike.

/** A dispatcher that answers every request with `pieces` as a streamed 200 body. */
function replaying(pieces: readonly Buffer[]): Dispatcher {
  const stub = {
    request: async () => ({
      statusCode: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: Readable.from(pieces, { objectMode: false }),
      trailers: {},
      opaque: null,
      context: {},
    }),
  };
  return stub as unknown as Dispatcher;
}

function modelFor(recording: Recording, pieces: readonly Buffer[]): Model {
  const shared = { model: 'replay', dispatcher: replaying(pieces), stream: true, maxRetries: 0 };
  if (recording.protocol === 'anthropic')
    return anthropic({ ...shared, apiKey: 'sk-ant-replay', baseURL: 'http://replay.invalid' });
  if (recording.protocol === 'openai-responses')
    return openaiResponses({ ...shared, baseURL: 'http://replay.invalid/v1' });
  return openaiCompatible({ ...shared, baseURL: 'http://replay.invalid/v1' });
}

function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at)].filter((n) => n > 0 && n < bytes.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    out.push(bytes.subarray(from, point));
    from = point;
  }
  out.push(bytes.subarray(from));
  return out;
}

async function replay(recording: Recording, pieces: readonly Buffer[]) {
  const deltas: ModelDelta[] = [];
  const answer = await modelFor(recording, pieces).generate({
    messages: [{ role: 'user', content: 'go' }],
    tools: [],
    onDelta: (delta) => deltas.push(delta),
  });
  return { answer, deltas };
}

function check(recording: Recording, result: Awaited<ReturnType<typeof replay>>): void {
  const { answer, deltas } = result;
  expect(answer.text).toBe(recording.expected.text);
  expect(answer.reasoning).toBe(recording.expected.reasoning);
  expect(
    answer.toolCalls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })),
  ).toEqual(recording.expected.toolCalls);
  expect(answer.stopReason).toBe(recording.expected.stopReason);
  // The deltas add up to the answer.
  const streamedText = deltas.map((d) => (d.type === 'text' ? d.text : '')).join('');
  expect(streamedText).toBe(recording.expected.text);
}

describe.each(recordings)('replay: $name', (recording) => {
  const bytes = Buffer.from(recording.body, 'utf8');

  it('reads the stream delivered whole', async () => {
    check(recording, await replay(recording, [bytes]));
  });

  it('reads the stream delivered one byte at a time', async () => {
    const pieces = [...bytes].map((_, i) => bytes.subarray(i, i + 1));
    check(recording, await replay(recording, pieces));
  });

  it('reads the stream cut at random byte boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 24 }),
        async (points) => {
          check(recording, await replay(recording, cut(bytes, points)));
        },
      ),
      { numRuns: 60 },
    );
  });
});
