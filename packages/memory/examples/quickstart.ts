import { SimulatedClock } from '@troupe/core';
import { createHashEmbedder, createInMemoryStore } from '@troupe/memory';

const DAY = 86_400_000;

/** Remembers three things, lets three days pass, and recalls what the infra team knows. */
export async function quickstart(): Promise<string[]> {
  const clock = new SimulatedClock();
  const memory = createInMemoryStore({ clock, embedder: createHashEmbedder(), halfLifeMs: DAY });

  await memory.add({
    content: 'Deploys happen on Tuesdays after the standup',
    type: 'procedural',
    importance: 0.9,
    evergreen: true,
    scope: { team: 'infra' },
  });
  await memory.add({
    content: 'Friday deploys were frozen for the holidays',
    type: 'episodic',
    scope: { team: 'infra' },
  });
  await memory.add({ content: 'Alice would rather deploy on Mondays', scope: { team: 'social' } });
  await clock.advance(3 * DAY);

  const hits = await memory.search({
    text: 'when do we deploy?',
    scope: { team: 'infra' },
    limit: 3,
  });
  await memory.close();
  // → [ '0.970 Deploys happen on Tuesdays after the standup',
  //     '0.725 Friday deploys were frozen for the holidays' ]
  // The evergreen procedure keeps recency 1; the 3-day-old episode decays to 0.125.
  return hits.map((hit) => `${hit.score.toFixed(3)} ${hit.entry.content}`);
}
