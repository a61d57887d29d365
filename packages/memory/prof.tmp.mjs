import { createRng, SimulatedClock } from '/work/main/packages/core/dist/index.js';
import { createHashEmbedder, createInMemoryStore } from '/work/main/packages/memory/dist/index.js';

const WORDS =
  'deploy build test ship rollback cache queue worker shard index search vector token budget agent team claim lease bus wait retry timeout limit window memory recall plan review merge branch commit release staging production latency error alert pager metric trace span log'.split(
    ' ',
  );
const rng = createRng(11);
const embedder = createHashEmbedder({ dimensions: 384 });
const texts = Array.from({ length: 10000 }, () =>
  Array.from({ length: 12 }, () => WORDS[rng.int(0, WORDS.length - 1)]).join(' '),
);
const vecs = await embedder.embed(texts);
const store = createInMemoryStore({ clock: new SimulatedClock(), embedder });
for (let i = 0; i < 10000; i++)
  await store.add({ content: texts[i], embedding: vecs[i], scope: { team: `team-${i % 10}` } });
const q = { text: 'rollback staging latency alert', limit: 10, peek: true };
const only = process.argv[2];
for (const [name, query] of [
  ['scoped', { ...q, scope: { team: 'team-3' } }],
  ['unscoped', q],
]) {
  if (only && only !== name) continue;
  for (let i = 0; i < 20; i++) await store.search(query);
  const ts = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await store.search(query);
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  console.log(name, 'p50', ts[100].toFixed(3), 'min', ts[0].toFixed(3), 'ms');
}
