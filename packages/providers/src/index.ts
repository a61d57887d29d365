// Public API of @troupe/providers. Named exports only; types with `export type`.

export type { AnthropicOptions } from './anthropic.js';
export { anthropic, toAnthropicMessages } from './anthropic.js';
export type { OpenAICompatibleOptions } from './openai.js';
export { openaiCompatible, toOpenAIMessages } from './openai.js';
export type {
  EmbeddingsModel,
  EmbeddingsRequest,
  EmbeddingsResponse,
  OpenAIEmbeddingsOptions,
} from './openai-embeddings.js';
export { OPENAI_EMBEDDINGS_OPTIONS, openaiEmbeddings } from './openai-embeddings.js';
export type { OpenAIResponsesOptions } from './openai-responses.js';
export { openaiResponses } from './openai-responses.js';
export type { ProviderOptions, RetryInfo } from './options.js';
export {
  closeProviderPools,
  DEFAULT_CONNECTIONS,
  destroyProviderPools,
  providerPool,
} from './pool.js';
export type { Pricing } from './pricing.js';
export { costOf, validatePricing } from './pricing.js';
export type { HeaderBag } from './rate-limit-headers.js';
export { parseDuration, parseRateLimitHeaders, parseRetryAfter } from './rate-limit-headers.js';
export type { RetryPolicy } from './retry-policy.js';
export { backoffDelay, retryPolicy } from './retry-policy.js';
export { estimateRequestTokens } from './token-estimate.js';
