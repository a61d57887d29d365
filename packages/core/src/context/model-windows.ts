/**
 * Context windows of known models, in tokens: the prompt and the answer together (`window`), and
 * the longest answer the model writes (`maxOutput`). Figures from the providers' model pages.
 * Matched by the longest prefix of the model name (the part of `Model.id` after `provider:`),
 * so dated and suffixed names (`gpt-4o-mini-2024-07-18`, `claude-sonnet-4-5@20250929`) find
 * their family.
 */
export interface ModelWindow {
  readonly window: number;
  readonly maxOutput: number;
}

const TABLE: readonly (readonly [prefix: string, window: number, maxOutput: number])[] = [
  ['gpt-5', 400_000, 128_000],
  ['gpt-4.1', 1_047_576, 32_768],
  ['gpt-4o', 128_000, 16_384],
  ['gpt-4-turbo', 128_000, 4_096],
  ['gpt-4', 8_192, 8_192],
  ['gpt-3.5-turbo', 16_385, 4_096],
  ['o4-mini', 200_000, 100_000],
  ['o3', 200_000, 100_000],
  ['o1', 200_000, 100_000],
  ['claude-opus-4', 200_000, 32_000],
  ['claude-sonnet-4', 200_000, 64_000],
  ['claude-haiku-4', 200_000, 64_000],
  ['claude-3-7-sonnet', 200_000, 64_000],
  ['claude-3-5-haiku', 200_000, 8_192],
  ['claude-3-5-sonnet', 200_000, 8_192],
  ['claude-', 200_000, 32_000],
  ['gemini-2.5', 1_048_576, 65_536],
  ['gemini-2.0', 1_048_576, 8_192],
  ['gemini-1.5-pro', 2_097_152, 8_192],
  ['deepseek-chat', 128_000, 8_192],
  ['deepseek-reasoner', 128_000, 64_000],
  ['mistral-large', 131_072, 32_768],
  ['mistral-small', 131_072, 32_768],
  ['llama-3.1', 131_072, 8_192],
  ['llama-3.3', 131_072, 8_192],
  ['qwen2.5', 32_768, 8_192],
];

// Longest prefixes first, so `gpt-4o` is tried before `gpt-4`.
const SORTED = [...TABLE].sort((a, b) => b[0].length - a[0].length);

/**
 * The context window of a model by its id (`openai:gpt-4o`, `anthropic:claude-sonnet-4`,
 * `gpt-4o-mini`), or `undefined` for a model the table does not know.
 *
 * @example
 * ```ts
 * modelWindow('anthropic:claude-sonnet-4-5')?.window; // 200000
 * modelWindow('scripted'); // undefined
 * ```
 */
export function modelWindow(modelId: string): ModelWindow | undefined {
  const colon = modelId.indexOf(':');
  const name = (colon === -1 ? modelId : modelId.slice(colon + 1)).toLowerCase();
  const slash = name.lastIndexOf('/');
  const bare = slash === -1 ? name : name.slice(slash + 1);
  for (const [prefix, window, maxOutput] of SORTED) {
    if (bare.startsWith(prefix)) return { window, maxOutput };
  }
  return undefined;
}
