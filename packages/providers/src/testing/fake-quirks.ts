/**
 * A behaviour of a real OpenAI-compatible (or Anthropic) server that the fake plays on
 * command, each as the server sends it:
 *
 * | quirk | what the server does |
 * | --- | --- |
 * | `ollama-index0` | streams every parallel tool call whole, each at `index: 0` with its own id |
 * | `qwen-empty-id` | repeats `"id": ""` (and `type`) on every continuation delta of a call |
 * | `deepseek-reasoning` | answers with `reasoning_content`; refuses (400) an assistant turn with tool calls that does not send it back |
 * | `gemini-thought-signature` | puts `extra_content.google.thought_signature` on tool calls; refuses (400) a call sent back without it |
 * | `mistral-content-parts` | sends `content` as an array of `thinking` and `text` parts |
 * | `object-arguments` | sends `function.arguments` as a JSON object, not a string |
 * | `integer-ids` | sends tool-call ids as numbers |
 * | `empty-ids` | sends `"id": ""` on every tool call of a whole answer |
 * | `index-from-1` | numbers streamed tool calls from 1 (Anthropic's OpenAI-compatible endpoint) |
 * | `vllm-error-400` | ends a stream with vLLM's in-stream error object, `code: 400` |
 * | `bom` | starts the event stream with a UTF-8 byte order mark |
 * | `done-keep-open` | sends `[DONE]` (or `message_stop`) and keeps the connection open |
 * | `anthropic-start-content` | puts the text in `message_start`'s `content` instead of streaming it |
 * | `anthropic-double-start` | sends a second `message_start` before the first message ends |
 *
 * @example
 * ```ts
 * const server = await createFakeModelServer({ quirks: ['ollama-index0', 'bom'] });
 * ```
 */
export type FakeQuirk =
  | 'ollama-index0'
  | 'qwen-empty-id'
  | 'deepseek-reasoning'
  | 'gemini-thought-signature'
  | 'mistral-content-parts'
  | 'object-arguments'
  | 'integer-ids'
  | 'empty-ids'
  | 'index-from-1'
  | 'vllm-error-400'
  | 'bom'
  | 'done-keep-open'
  | 'anthropic-start-content'
  | 'anthropic-double-start';

/** Every quirk, for validation and docs. */
export const FAKE_QUIRKS: readonly FakeQuirk[] = [
  'ollama-index0',
  'qwen-empty-id',
  'deepseek-reasoning',
  'gemini-thought-signature',
  'mistral-content-parts',
  'object-arguments',
  'integer-ids',
  'empty-ids',
  'index-from-1',
  'vllm-error-400',
  'bom',
  'done-keep-open',
  'anthropic-start-content',
  'anthropic-double-start',
];

/** The thought signature the fake Gemini attaches to calls (and wants back). */
export const THOUGHT_SIGNATURE = 'CtQBAdHtim9fake-thought-signature';

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What a quirky server refuses in a Chat Completions request: DeepSeek's missing
 * `reasoning_content` and Gemini's missing thought signatures on assistant tool calls.
 */
export function quirkProblem(body: unknown, quirks: ReadonlySet<FakeQuirk>): string | undefined {
  if (!isObj(body) || !Array.isArray(body.messages)) return undefined;
  for (const [i, message] of body.messages.entries()) {
    if (!isObj(message) || message.role !== 'assistant' || !Array.isArray(message.tool_calls))
      continue;
    if (quirks.has('deepseek-reasoning') && typeof message.reasoning_content !== 'string')
      return `Missing \`reasoning_content\` field in the assistant message at message index ${i}`;
    if (quirks.has('gemini-thought-signature')) {
      for (const call of message.tool_calls) {
        const google =
          isObj(call) && isObj(call.extra_content) ? call.extra_content.google : undefined;
        if (!isObj(google) || google.thought_signature !== THOUGHT_SIGNATURE)
          return `Function call is missing a thought_signature in messages[${i}]`;
      }
    }
  }
  return undefined;
}
