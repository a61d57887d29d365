// Troupe requests to AI SDK call options (LanguageModelV3CallOptions).
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3FilePart,
  LanguageModelV3Message,
  LanguageModelV3TextPart,
  LanguageModelV3ToolChoice,
  SharedV3ProviderOptions,
} from '@ai-sdk/provider';
import type { ChatMessage, ContentPart, ModelRequest, ToolChoice } from '@troupe/core';

/** Key of this adapter's opaque fields in `providerData`. */
export const AI_SDK = 'ai-sdk';

/** What the adapter keeps of an answer to send back (the AI SDK's provider metadata). */
export interface KeptData {
  /** Reasoning parts with their provider metadata (signatures), in order. */
  readonly reasoning?: readonly { text: string; providerOptions?: SharedV3ProviderOptions }[];
}

type JsonSchema7 = NonNullable<
  Extract<LanguageModelV3CallOptions['responseFormat'], { type: 'json' }>['schema']
>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Provider metadata kept on a call or message, as AI SDK provider options again. */
function optionsOf(providerData: unknown): SharedV3ProviderOptions | undefined {
  const own = isRecord(providerData) ? providerData[AI_SDK] : undefined;
  return isRecord(own) ? (own as SharedV3ProviderOptions) : undefined;
}

function userPart(part: ContentPart): LanguageModelV3TextPart | LanguageModelV3FilePart {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const data = part.data !== undefined ? part.data : new URL(part.url ?? '');
  const file: LanguageModelV3FilePart = { type: 'file', mediaType: part.mediaType, data };
  if (part.type === 'document' && part.filename !== undefined) file.filename = part.filename;
  return file;
}

function toMessage(message: ChatMessage): LanguageModelV3Message {
  if (message.role === 'user') {
    const content =
      message.parts !== undefined && message.parts.length > 0
        ? message.parts.map(userPart)
        : [{ type: 'text' as const, text: message.content }];
    return { role: 'user', content };
  }
  if (message.role === 'tool') {
    return {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: message.toolCallId,
          toolName: message.name,
          output:
            message.isError === true
              ? { type: 'error-text', value: message.content }
              : { type: 'text', value: message.content },
        },
      ],
    };
  }
  const content: Extract<LanguageModelV3Message, { role: 'assistant' }>['content'] = [];
  const kept = (isRecord(message.providerData) ? message.providerData[AI_SDK] : undefined) as
    | KeptData
    | undefined;
  if (kept?.reasoning !== undefined) {
    for (const part of kept.reasoning) content.push({ type: 'reasoning', ...part });
  } else if (message.reasoning !== undefined && message.reasoning !== '') {
    content.push({ type: 'reasoning', text: message.reasoning });
  }
  if (message.content !== '') content.push({ type: 'text', text: message.content });
  for (const call of message.toolCalls ?? []) {
    const providerOptions = optionsOf(call.providerData);
    content.push({
      type: 'tool-call',
      toolCallId: call.id,
      toolName: call.name,
      input: call.arguments ?? {},
      ...(providerOptions === undefined ? {} : { providerOptions }),
    });
  }
  return { role: 'assistant', content };
}

function toolChoice(choice: ToolChoice): LanguageModelV3ToolChoice {
  return typeof choice === 'string' ? { type: choice } : { type: 'tool', toolName: choice.name };
}

/** The call options for one request (the signal and headers are added by the caller). */
export function callOptions(
  request: ModelRequest,
  providerOptions: SharedV3ProviderOptions | undefined,
): LanguageModelV3CallOptions {
  const prompt: LanguageModelV3Message[] = [];
  if (request.system !== undefined && request.system !== '')
    prompt.push({ role: 'system', content: request.system });
  for (const message of request.messages) prompt.push(toMessage(message));
  const options: LanguageModelV3CallOptions = { prompt };
  if (request.tools.length > 0) {
    options.tools = request.tools.map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description,
      inputSchema: tool.parameters as JsonSchema7,
    }));
  }
  if (request.toolChoice !== undefined) options.toolChoice = toolChoice(request.toolChoice);
  if (request.maxOutputTokens !== undefined) options.maxOutputTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.responseFormat !== undefined) {
    options.responseFormat = {
      type: 'json',
      name: request.responseFormat.name,
      schema: request.responseFormat.schema as JsonSchema7,
    };
  }
  if (providerOptions !== undefined) options.providerOptions = providerOptions;
  return options;
}
