import { Readable } from 'node:stream';
import { anthropic, openaiCompatible } from './dist/index.js';

const oai = Buffer.from(
  JSON.stringify({
    id: 'x',
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
);
const mk = () => {
  const r = new Readable({ read() {} });
  r.push(oai);
  r.push(null);
  return r;
};
const headers = { 'content-type': 'application/json', 'x-request-id': 'req_1' };
const dispatcher = { request: async () => ({ statusCode: 200, headers, body: mk() }) };
const model = openaiCompatible({ baseURL: 'http://127.0.0.1:1/v1', model: 'm', dispatcher });
const request = { messages: [{ role: 'user', content: 'What is the answer?' }], tools: [] };
const raw = async () => {
  const r = await dispatcher.request({});
  const d = new TextDecoder();
  let s = '';
  for await (const c of r.body) s += d.decode(c, { stream: true });
  return JSON.parse(s);
};
const ours = () => model.generate(request);
for (const [name, fn] of [
  ['raw', raw],
  ['ours', ours],
  ['raw', raw],
  ['ours', ours],
]) {
  for (let i = 0; i < 20000; i++) await fn();
  const c0 = process.cpuUsage();
  const N = 100000;
  for (let i = 0; i < N; i++) await fn();
  const c = process.cpuUsage(c0);
  console.log(name, ((c.user + c.system) / N).toFixed(2), 'µs');
}
