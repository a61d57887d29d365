import { createMistral } from '@ai-sdk/mistral';
import { aiSdkModel } from '@troupe/ai-sdk';
import type { ChatMessage, ModelDelta, ToolSpec } from '@troupe/core';

const getWeather: ToolSpec = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/**
 * One tool round trip through an AI SDK provider package (Mistral here; any LanguageModelV3
 * works the same). `baseURL` defaults to Mistral's API; the test points it at a local fake.
 */
export async function quickstart(
  baseURL?: string,
  apiKey = process.env.MISTRAL_API_KEY,
): Promise<string[]> {
  const mistral = createMistral({
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(baseURL === undefined ? {} : { baseURL }),
  });
  const model = aiSdkModel({
    model: mistral('mistral-large-latest'),
    pricing: { inputPerMTok: 2, outputPerMTok: 6 },
  });
  const log: string[] = [`model ${model.id}`];
  const messages: ChatMessage[] = [{ role: 'user', content: 'Weather in Lyon?' }];
  const first = await model.generate({ system: 'Use tools.', messages, tools: [getWeather] });
  for (const call of first.toolCalls) {
    log.push(`called ${call.name}(${JSON.stringify(call.arguments)})`);
    messages.push({ role: 'assistant', content: first.text, toolCalls: first.toolCalls });
    messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: 'sunny, 21°C' });
  }
  let streamed = '';
  const onDelta = (delta: ModelDelta): void => {
    if (delta.type === 'text') streamed += delta.text;
  };
  const second = await model.generate({
    system: 'Use tools.',
    messages,
    tools: [getWeather],
    onDelta,
  });
  log.push(`streamed "${streamed}" (${second.stopReason}), $${second.usage.costUsd?.toFixed(6)}`);
  return log;
}
