import type { ModelDelta } from '@troupe/core';
import { anthropic, openaiCompatible } from '@troupe/providers';
import { describe, expect, it } from 'vitest';
import { rawServerPerTest } from './raw-server.js';

// Hand-framed answers from a bare node:http server: CRLF line endings, comments, a multi-byte
// character split across writes, and writes of a few bytes each, which real proxies produce.

const start = rawServerPerTest();

/** Serves `frames` as one SSE body, written `pieceSize` bytes at a time with a pause between. */
async function serve(frames: string, pieceSize: number): Promise<string> {
  const bytes = Buffer.from(frames, 'utf8');
  return start((req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < bytes.length; i += pieceSize) {
        await new Promise<void>((resolve) =>
          res.write(bytes.subarray(i, i + pieceSize), () => resolve()),
        );
      }
      res.end();
    });
  });
}

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}`;

describe('hand-framed answers (SSE framing, server quirks)', () => {
  it('reads CRLF lines, comments and characters split across tiny writes (OpenAI)', async () => {
    const frames = [
      ': keep-alive',
      '',
      chunk({ role: 'assistant', content: 'h\u00e9llo ' }),
      '',
      chunk({ content: '\u{1F30D}!' }),
      '',
      chunk({}, 'stop'),
      '',
      'data: [DONE]',
      '',
      '',
    ].join('\r\n');
    const url = await serve(frames, 3);
    const deltas: ModelDelta[] = [];
    const answer = await openaiCompatible({
      baseURL: `${url}/v1`,
      model: 'm',
      includeUsage: false,
    }).generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
      onDelta: (delta) => deltas.push(delta),
    });
    expect(answer.text).toBe('h\u00e9llo \u{1F30D}!');
    expect(deltas).toEqual([
      { type: 'text', text: 'h\u00e9llo ' },
      { type: 'text', text: '\u{1F30D}!' },
    ]);
    expect(answer.stopReason).toBe('end');
  });

  it('assembles tool calls from servers that leave out the index', async () => {
    const frames = [
      chunk({
        role: 'assistant',
        tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":' } }],
      }),
      chunk({ tool_calls: [{ function: { arguments: '1}' } }] }),
      chunk({
        tool_calls: [{ id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } }],
      }),
      chunk({}, 'tool_calls'),
      'data: [DONE]',
    ]
      .map((frame) => `${frame}\n\n`)
      .join('');
    const url = await serve(frames, 64);
    const answer = await openaiCompatible({ baseURL: `${url}/v1`, model: 'm' }).generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
      onDelta: () => {},
    });
    expect(answer.toolCalls).toEqual([
      { id: 'a', name: 'f', arguments: { x: 1 } },
      { id: 'b', name: 'g', arguments: {} },
    ]);
  });

  it('accepts tool arguments sent as an object instead of JSON text', async () => {
    const body = {
      id: 'c',
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'a', type: 'function', function: { name: 'f', arguments: { x: 1 } } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    };
    const url = await serve(JSON.stringify(body), 1024);
    const answer = await openaiCompatible({ baseURL: `${url}/v1`, model: 'm' }).generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
    });
    expect(answer.toolCalls).toEqual([{ id: 'a', name: 'f', arguments: { x: 1 } }]);
  });

  it('joins multi-line data fields and ignores unknown events (Anthropic)', async () => {
    const event = (type: string, data: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const start = JSON.stringify({
      type: 'message_start',
      message: {
        id: 'm',
        type: 'message',
        role: 'assistant',
        content: [],
        usage: { input_tokens: 3, output_tokens: 1 },
      },
    });
    // Split between two tokens, where the newline the parser puts back is plain whitespace.
    const cut = start.indexOf(',"message"');
    const frames = [
      // One JSON payload split over two data lines: joined with a newline, still valid JSON.
      `event: message_start\ndata: ${start.slice(0, cut)}\ndata: ${start.slice(cut)}\n\n`,
      event('ping', {}),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: '\u00e7a va' } }),
      event('some_future_event', { anything: true }),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4 } }),
      event('message_stop', {}),
    ].join('');
    const url = await serve(frames, 5);
    const answer = await anthropic({ baseURL: url, apiKey: 'k', model: 'm' }).generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
      onDelta: () => {},
    });
    expect(answer).toMatchObject({
      text: '\u00e7a va',
      stopReason: 'end',
      usage: { inputTokens: 3, outputTokens: 4 },
    });
  });
});
