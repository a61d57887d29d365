import type { Model, ModelRequest } from '@troupe/core';
import { invalidArgument } from '@troupe/core';
import { anthropicBody, anthropicTurns, MAX_BREAKPOINTS } from './internal/anthropic-request.js';
import { readStream, readWhole } from './internal/anthropic-response.js';
import type { Json } from './internal/common.js';
import { httpModel, wireHeaders } from './internal/http-model.js';
import type { ProviderOptions } from './options.js';
import {
  checkOptionNames,
  headerValue,
  parseBaseURL,
  requireString,
  resolveOptions,
} from './options.js';

/**
 * Options for {@link anthropic}.
 *
 * @example
 * ```ts
 * const options: AnthropicOptions = { apiKey: 'sk-ant-…', model: 'claude-sonnet-5-5', maxTokens: 2048 };
 * ```
 */
export interface AnthropicOptions extends ProviderOptions {
  /** Sent as `x-api-key`. Give this or `authToken`. */
  readonly apiKey?: string;
  /** Sent as `Authorization: Bearer …` (gateways, OAuth tokens). Give this or `apiKey`. */
  readonly authToken?: string;
  readonly model: string;
  /** Without the version segment. Default `https://api.anthropic.com`. */
  readonly baseURL?: string;
  /** `max_tokens` when the request sets no `maxOutputTokens` (the API requires one). Default 4096. */
  readonly maxTokens?: number;
  /**
   * The `anthropic-version` header. Default `2026-10-21`, the current version (it removes
   * `temperature`, `top_p` and `top_k`); `2023-06-01` keeps them for the models that take them.
   */
  readonly anthropicVersion?: string;
  /**
   * Prompt caching: mark the system prompt and the tool list with `cache_control: ephemeral`
   * breakpoints, so later calls read them from the cache (see `usage.cacheReadTokens`).
   * Messages with `cache: true` get breakpoints whatever this says. Default false.
   */
  readonly promptCaching?: boolean;
  /**
   * Send `request.temperature`. Default: only on API version `2023-06-01`, to a model that
   * takes it (not Claude Opus 4.7 and later, nor Claude 5), without thinking. Version
   * `2026-10-21` refuses sampling parameters for every model.
   */
  readonly sendTemperature?: boolean;
  /** Extended thinking with this token budget (`thinking: { type: 'enabled' }`). Default off. */
  readonly thinkingBudgetTokens?: number;
}

const OWN_OPTIONS = [
  'apiKey',
  'authToken',
  'model',
  'baseURL',
  'maxTokens',
  'anthropicVersion',
  'promptCaching',
  'sendTemperature',
  'thinkingBudgetTokens',
];

/** Models that answer 400 to a `temperature` (or `top_p`, `top_k`): sampling is fixed. */
const FIXED_SAMPLING =
  /claude-(?:opus-4-(?:[7-9]|\d\d)|(?:opus|sonnet|haiku|fable|mythos)-(?:[5-9]|\d\d))/;
/** The current API version (what the official SDKs' current majors send). */
const CURRENT_VERSION = '2026-10-21';

/**
 * Provider-neutral messages to Messages API turns. Tool results become `tool_result` blocks in
 * a user turn; consecutive results (and a user message right after them) share one user turn,
 * as the API requires every result for a `tool_use` turn in the very next message. Empty user
 * messages are not sent (the API refuses them). The system prompt is not a message: it goes in
 * the request's top-level `system`.
 *
 * @example
 * ```ts
 * toAnthropicMessages({
 *   messages: [
 *     { role: 'user', content: 'Find x' },
 *     { role: 'assistant', content: '', toolCalls: [{ id: 't1', name: 'find', arguments: { q: 'x' } }] },
 *     { role: 'tool', toolCallId: 't1', name: 'find', content: 'found' },
 *   ],
 *   tools: [],
 * });
 * // [{ role: 'user', content: 'Find x' },
 * //  { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'find', input: { q: 'x' } }] },
 * //  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'found' }] }]
 * ```
 */
export function toAnthropicMessages(request: ModelRequest): Json[] {
  return anthropicTurns(request, MAX_BREAKPOINTS);
}

function credentials(options: AnthropicOptions): Record<string, string> {
  const { apiKey, authToken } = options;
  if ((apiKey === undefined) === (authToken === undefined))
    throw invalidArgument('anthropic needs exactly one of apiKey or authToken', {});
  if (apiKey !== undefined)
    return { 'x-api-key': headerValue('apiKey', requireString('apiKey', apiKey)) };
  return {
    authorization: `Bearer ${headerValue('authToken', requireString('authToken', authToken))}`,
  };
}

/**
 * A {@link Model} speaking the Anthropic Messages API.
 *
 * @example
 * ```ts
 * const model = anthropic({
 *   apiKey: process.env.ANTHROPIC_API_KEY ?? '',
 *   model: 'claude-sonnet-5-5',
 *   pricing: { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
 * });
 * const answer = await model.generate({ system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], tools: [] });
 * ```
 */
export function anthropic(options: AnthropicOptions): Model {
  checkOptionNames('anthropic', options, OWN_OPTIONS);
  const auth = credentials(options);
  const model = requireString('model', options.model);
  const { origin, basePath } = parseBaseURL(
    'baseURL',
    options.baseURL ?? 'https://api.anthropic.com',
  );
  const maxTokens = options.maxTokens ?? 4096;
  if (!Number.isInteger(maxTokens) || maxTokens < 1)
    throw invalidArgument('maxTokens must be a positive integer', { maxTokens });
  const version = headerValue(
    'anthropicVersion',
    requireString('anthropicVersion', options.anthropicVersion ?? CURRENT_VERSION),
  );
  const promptCaching = options.promptCaching ?? false;
  if (typeof promptCaching !== 'boolean')
    throw invalidArgument('promptCaching must be a boolean', { promptCaching });
  const budget = options.thinkingBudgetTokens;
  if (budget !== undefined && !(Number.isInteger(budget) && budget >= 1024))
    throw invalidArgument('thinkingBudgetTokens must be an integer of at least 1024', { budget });
  const sendTemperature =
    options.sendTemperature ??
    (version === '2023-06-01' && !FIXED_SAMPLING.test(model) && budget === undefined);
  if (typeof sendTemperature !== 'boolean')
    throw invalidArgument('sendTemperature must be a boolean', { sendTemperature });
  const resolved = resolveOptions(options);
  const settings = { model, maxTokens, promptCaching, sendTemperature, budget };
  return httpModel({
    id: options.id ?? `anthropic:${model}`,
    provider: 'anthropic',
    origin,
    path: `${basePath}/v1/messages`,
    resolved,
    headers: wireHeaders({ 'anthropic-version': version }, resolved.headers, auth),
    secret: options.apiKey ?? options.authToken,
    defaultOutputTokens: maxTokens,
    body: (request) => anthropicBody(settings, request),
    readStream: (chunks, context, request) => readStream(chunks, context, request, resolved),
    readWhole: (chunks, context) => readWhole(chunks, context, resolved),
  });
}
