// A small fake of Mistral's chat completions wire format on loopback, for @ai-sdk/mistral:
// `POST /v1/chat/completions`, whole answers and SSE chunks (tool calls come whole, in one
// delta, with 9-character ids), `usage` in the last chunk, rate-limit headers, 429s.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface MistralReply {
  readonly text?: string;
  readonly toolCalls?: readonly { id: string; name: string; arguments: unknown }[];
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface MistralFake {
  readonly baseURL: string;
  readonly requests: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startMistralFake(replies: MistralReply[]): Promise<MistralFake> {
  const requests: MistralFake['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    requests.push({ headers: req.headers, body });
    const reply = replies.shift() ?? { status: 500 };
    if (req.url !== '/v1/chat/completions' || req.headers.authorization !== 'Bearer mistral-test') {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Unauthorized', request_id: 'r' }));
      return;
    }
    if (reply.status !== undefined && reply.status !== 200) {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(
        JSON.stringify({
          object: 'error',
          message: `fake ${reply.status}`,
          type: 'rate_limited',
          code: String(reply.status),
        }),
      );
      return;
    }
    const usage = { ...(reply.usage ?? { prompt_tokens: 20, completion_tokens: 5 }) };
    const total = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
    const toolCalls = (reply.toolCalls ?? []).map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
    const finish = toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const base = { id: 'cmpl-e5cc70bb', created: 1_733_000_000, model: String(body.model) };
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', ...reply.headers });
      res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: reply.text ?? '',
                tool_calls: toolCalls.length > 0 ? toolCalls : null,
              },
              finish_reason: finish,
            },
          ],
          usage: total,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', ...reply.headers });
    const send = (delta: object, finishReason: string | null = null, extra: object = {}) =>
      res.write(
        `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`,
      );
    send({ role: 'assistant', content: '' });
    const text = reply.text ?? '';
    for (let i = 0; i < text.length; i += 3) send({ content: text.slice(i, i + 3) });
    if (toolCalls.length > 0) send({ tool_calls: toolCalls });
    send({ content: '' }, finish, { usage: total });
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    baseURL: `http://127.0.0.1:${address.port}/v1`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
