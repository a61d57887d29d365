import type { ChatMessage, ModelDelta, ToolSpec } from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import { createFakeModelServer } from '@troupe/providers/testing';

const getWeather: ToolSpec = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/**
 * One tool round trip on each provider, against the fake server (swap the base URLs and keys
 * for real ones). Returns what happened, line by line.
 */
export async function quickstart(): Promise<string[]> {
  const server = await createFakeModelServer({
    replies: [
      { toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      {
        text: 'Sunny in Paris, 24°C.',
        usage: { inputTokens: 1200, outputTokens: 9, cacheReadTokens: 1024 },
      },
      { text: 'Bonjour !' },
    ],
  });
  const log: string[] = [];
  try {
    const gpt = openaiCompatible({
      baseURL: server.openaiBaseURL, // e.g. https://api.openai.com/v1 or http://localhost:11434/v1
      apiKey: 'sk-test',
      model: 'gpt-4o-mini',
      pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 },
    });
    const messages: ChatMessage[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await gpt.generate({ system: 'Use tools.', messages, tools: [getWeather] });
    for (const call of first.toolCalls) {
      log.push(`model called ${call.name}(${JSON.stringify(call.arguments)})`);
      messages.push({ role: 'assistant', content: first.text, toolCalls: first.toolCalls });
      messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: 'sunny, 24°C' });
    }
    let streamed = '';
    const onDelta = (delta: ModelDelta): void => {
      if (delta.type === 'text') streamed += delta.text;
    };
    const second = await gpt.generate({
      system: 'Use tools.',
      messages,
      tools: [getWeather],
      onDelta,
    });
    log.push(`streamed "${streamed}" (${second.stopReason})`);
    log.push(
      `usage ${second.usage.inputTokens} in (${second.usage.cacheReadTokens} cached), $${second.usage.costUsd?.toFixed(6)}`,
    );

    const claude = anthropic({
      baseURL: server.anthropicBaseURL,
      apiKey: 'sk-ant-test',
      model: 'claude-sonnet-5-5',
    });
    const hello = await claude.generate({
      messages: [{ role: 'user', content: 'Say hello in French' }],
      tools: [],
    });
    log.push(`claude says ${hello.text}`);
  } finally {
    await closeProviderPools();
    await server.close();
  }
  // → [ 'model called get_weather({"city":"Paris"})',
  //     'streamed "Sunny in Paris, 24°C." (end)',
  //     'usage 1200 in (1024 cached), $0.000109',
  //     'claude says Bonjour !' ]
  return log;
}
