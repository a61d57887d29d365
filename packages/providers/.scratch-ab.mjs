import { Pool } from 'undici';
import { closeProviderPools, openaiCompatible } from './dist/index.js';
import { createFakeModelServer } from './dist/testing/index.js';

const server = await createFakeModelServer({
  replies: () => ({ text: 'The answer is 42.', usage: { inputTokens: 20, outputTokens: 6 } }),
});
const model = openaiCompatible({ baseURL: server.openaiBaseURL, model: 'bench' });
const request = { messages: [{ role: 'user', content: 'What is the answer?' }], tools: [] };
const body = JSON.stringify({ model: 'bench', messages: request.messages });
const pool = new Pool(server.url, { connections: 20, pipelining: 1 });
const opts = {
  origin: server.url,
  path: '/v1/chat/completions',
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json' },
  body,
};
const raw = async () => {
  const r = await pool.request(opts);
  return r.body.json();
};
const ours = () => model.generate(request);
const B = 200,
  R = 30;
const times = { raw: [], ours: [] };
for (let r = 0; r < R; r++)
  for (const [name, fn] of Object.entries({ raw, ours })) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < B; i++) await fn();
    const c = process.cpuUsage(c0);
    times[name].push((c.user + c.system) / B);
  }
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
console.log(
  'raw',
  med(times.raw).toFixed(1),
  'ours',
  med(times.ours).toFixed(1),
  'ratio',
  (med(times.ours) / med(times.raw)).toFixed(2),
  'sockets',
  server.socketsOpened,
);
await pool.close();
await closeProviderPools();
await server.close();
