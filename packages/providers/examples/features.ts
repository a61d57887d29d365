import type { ChatMessage, Model, ModelResponse, ToolSpec } from '@troupe/core';
import { isTroupeError } from '@troupe/core';
import {
  anthropic,
  closeProviderPools,
  openaiCompatible,
  openaiResponses,
} from '@troupe/providers';
import { createFakeModelServer } from '@troupe/providers/testing';

const lookup: ToolSpec = {
  name: 'lookup',
  description: 'Looks a word up',
  parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
};

/** The assistant message to keep in history: tool calls, reasoning and provider data as they came. */
function remember(answer: ModelResponse): ChatMessage {
  return {
    role: 'assistant',
    content: answer.text,
    toolCalls: answer.toolCalls,
    ...(answer.reasoning === undefined ? {} : { reasoning: answer.reasoning }),
    ...(answer.providerData === undefined ? {} : { providerData: answer.providerData }),
  };
}

/** One tool round trip: ask, run every call, ask again with the results. */
async function roundTrip(model: Model, messages: ChatMessage[]): Promise<ModelResponse> {
  const first = await model.generate({ messages, tools: [lookup] });
  messages.push(remember(first));
  for (const call of first.toolCalls)
    messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: 'a greeting' });
  return model.generate({ messages, tools: [lookup] });
}

/**
 * The newer features against the fake server: the Responses API with reasoning kept across
 * turns, Anthropic prompt-cache hints and signed thinking, a quirky compatible server (Ollama's
 * parallel calls at index 0, DeepSeek's reasoning_content) and a context-length error.
 */
export async function features(): Promise<string[]> {
  const log: string[] = [];
  const calls = (word: string) => [{ name: 'lookup', arguments: { word } }];
  const server = await createFakeModelServer({
    maxContextTokens: 2_000,
    replies: [
      { reasoning: 'Look it up.', toolCalls: calls('hola') },
      { text: '"hola" is a greeting.' },
      { reasoning: 'Need the tool.', toolCalls: calls('ciao') },
      {
        text: 'It means hello.',
        usage: { inputTokens: 3_000, outputTokens: 6, cacheReadTokens: 2_500 },
      },
      {
        reasoning: 'Two words.',
        toolCalls: [...calls('salut'), ...calls('hej')],
        quirks: ['ollama-index0', 'deepseek-reasoning'],
      },
      { text: 'Both greetings.', quirks: ['deepseek-reasoning'] },
    ],
  });
  try {
    const gpt = openaiResponses({
      baseURL: server.openaiBaseURL,
      apiKey: 'sk-test',
      model: 'gpt-5-mini',
    });
    const first = await roundTrip(gpt, [{ role: 'user', content: 'What is "hola"?' }]);
    log.push(`responses: ${first.text}`);

    const claude = anthropic({
      baseURL: server.anthropicBaseURL,
      apiKey: 'sk-ant-test',
      model: 'claude-sonnet-5-5',
      thinkingBudgetTokens: 1_024,
      promptCaching: true,
      pricing: {
        inputPerMTok: 3,
        outputPerMTok: 15,
        cacheReadPerMTok: 0.3,
        cacheWritePerMTok: 3.75,
      },
    });
    const second = await roundTrip(claude, [
      { role: 'user', content: 'Summary of earlier turns: we translate words.', cache: true },
      { role: 'assistant', content: 'Understood.' },
      { role: 'user', content: 'What is "ciao"?' },
    ]);
    log.push(
      `anthropic: ${second.text} (${second.usage.cacheReadTokens} of ${second.usage.inputTokens} input tokens cached, $${second.usage.costUsd?.toFixed(6)})`,
    );

    const local = openaiCompatible({ baseURL: server.openaiBaseURL, model: 'deepseek-chat' });
    const third = await roundTrip(local, [
      { role: 'user', content: 'Translate "salut" and "hej".' },
    ]);
    log.push(`compatible: ${third.text}`);

    await local
      .generate({ messages: [{ role: 'user', content: 'x'.repeat(20_000) }], tools: [] })
      .catch((error: unknown) => {
        if (isTroupeError(error, 'ERR_CONTEXT_LENGTH')) log.push('too long: ERR_CONTEXT_LENGTH');
        else throw error;
      });
  } finally {
    await closeProviderPools();
    await server.close();
  }
  // → [ 'responses: "hola" is a greeting.',
  //     'anthropic: It means hello. (2500 of 3000 input tokens cached, $0.002340)',
  //     'compatible: Both greetings.',
  //     'too long: ERR_CONTEXT_LENGTH' ]
  return log;
}
