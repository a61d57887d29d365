import { describe, expect, it } from 'vitest';
import { quickstart } from '../examples/quickstart.js';

describe('README example', () => {
  it('runs a tool round trip on both providers against the fake server', async () => {
    expect(await quickstart()).toEqual([
      'model called get_weather({"city":"Paris"})',
      'streamed "Sunny in Paris, 24°C." (end)',
      'usage 1200 in (1024 cached), $0.000109',
      'claude says Bonjour !',
    ]);
  });
});
