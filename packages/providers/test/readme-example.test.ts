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

describe('features example', () => {
  it('runs the Responses API, Anthropic caching and thinking, a quirky server and a context-length error', async () => {
    const { features } = await import('../examples/features.js');
    expect(await features()).toEqual([
      'responses: "hola" is a greeting.',
      'anthropic: It means hello. (2500 of 3000 input tokens cached, $0.002340)',
      'compatible: Both greetings.',
      'too long: ERR_CONTEXT_LENGTH',
    ]);
  });
});
