// The part every HTTP provider shares: a Model whose calls validate the request, build a wire
// body, pick streaming or not, and go through `send` with the right headers.
import type { Model, ModelRequest, ModelResponse } from '@troupe/core';
import type { ResolvedOptions } from '../options.js';
import { estimateRequestTokens } from '../token-estimate.js';
import { describeErrorBody } from './common.js';
import type { Body } from './response-body.js';
import { secretsOf } from './scrub.js';
import type { ReadContext } from './transport.js';
import { send } from './transport.js';
import { validateRequest } from './validate-request.js';

/** What differs between providers: where calls go, how bodies are built and answers read. */
export interface HttpModelSpec {
  readonly id: string;
  readonly provider: string;
  readonly origin: string;
  readonly path: string;
  readonly resolved: ResolvedOptions;
  /** Headers every call carries (protocol, the caller's own, credentials), without `accept`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The credential to scrub from errors besides the credential headers. */
  readonly secret: string | undefined;
  /** The output allowance of a token estimate when the request sets no `maxOutputTokens`. */
  readonly defaultOutputTokens: number;
  /** The wire body of one call, without `stream` (throws `invalidArgument` on what the API cannot take). */
  body(request: ModelRequest): Record<string, unknown>;
  /** Fields a streamed call's body carries after `stream: true`. */
  readonly streamFields?: Readonly<Record<string, unknown>>;
  /** Reads a 2xx streamed answer. */
  readStream(body: Body, context: ReadContext, request: ModelRequest): Promise<ModelResponse>;
  /** Reads a 2xx whole answer. */
  readWhole(body: Body, context: ReadContext): Promise<ModelResponse>;
}

/**
 * Request headers in the order every provider sends them: `content-type`, then the protocol's
 * own, then the caller's, then credentials (which the caller's headers never override).
 */
export function wireHeaders(
  own: Readonly<Record<string, string>>,
  caller: Readonly<Record<string, string>>,
  credentials: Readonly<Record<string, string>>,
): Record<string, string> {
  return { 'content-type': 'application/json', ...own, ...caller, ...credentials };
}

/** A {@link Model} over HTTP from a provider's {@link HttpModelSpec}. */
export function httpModel(spec: HttpModelSpec): Model {
  const { resolved } = spec;
  const secrets = secretsOf(spec.secret, spec.headers);
  const streamHeaders = { ...spec.headers, accept: 'text/event-stream' };
  const plainHeaders = { ...spec.headers, accept: 'application/json' };
  return {
    id: spec.id,
    toolFormat: 'json-schema',
    estimateTokens: (request) =>
      estimateRequestTokens(request, request.maxOutputTokens ?? spec.defaultOutputTokens),
    generate(request: ModelRequest): Promise<ModelResponse> {
      let stream: boolean;
      let body: Record<string, unknown>;
      try {
        validateRequest(request);
        stream = resolved.stream === 'auto' ? request.onDelta !== undefined : resolved.stream;
        body = spec.body(request);
        if (stream) Object.assign(body, { stream: true }, spec.streamFields);
      } catch (error) {
        return Promise.reject(error);
      }
      return send(
        resolved,
        {
          provider: spec.provider,
          origin: spec.origin,
          path: spec.path,
          headers: stream ? streamHeaders : plainHeaders,
          body: JSON.stringify(body),
          describeError: describeErrorBody,
          secrets,
          read: (chunks, context) =>
            stream ? spec.readStream(chunks, context, request) : spec.readWhole(chunks, context),
        },
        request.signal,
        request.onRateLimit,
      );
    },
  };
}
