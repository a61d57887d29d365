import { describe, expect, it } from 'vitest';
import { quickstart } from '../examples/quickstart.js';
import { startMistralFake } from './mistral-fake.js';

describe('README example', () => {
  it('runs a tool round trip through @ai-sdk/mistral against a local fake', async () => {
    const fake = await startMistralFake([
      { toolCalls: [{ id: 'W3ath3rLy', name: 'get_weather', arguments: { city: 'Lyon' } }] },
      { text: 'Sunny in Lyon, 21°C.', usage: { prompt_tokens: 60, completion_tokens: 8 } },
    ]);
    try {
      expect(await quickstart(fake.baseURL, 'mistral-test')).toEqual([
        'model mistral.chat:mistral-large-latest',
        'called get_weather({"city":"Lyon"})',
        'streamed "Sunny in Lyon, 21°C." (end), $0.000168',
      ]);
    } finally {
      await fake.close();
    }
  });
});
