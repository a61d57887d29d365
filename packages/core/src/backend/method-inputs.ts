// Parsers of what callers pass to backend methods (bus reads and waits, claim requests and
// queries, discoveries): every backend, in memory or remote, reads its input through these.
import { invalidArgument } from '../errors.js';
import {
  optionalRecord,
  optionalSignal,
  requireDelay,
  requireIndex,
  requireName,
  requirePositiveInteger,
  requireRecord,
} from './validate.js';

/**
 * `end` of a claim made without one: a claim with no range is `[0, MAX_CLAIM_END]`, the whole
 * resource (`Number.MAX_SAFE_INTEGER`, so a remote backend stores it exactly).
 *
 * @example
 * ```ts
 * const result = await state.claim({ agent: 'a', resource: 'db/users' });
 * if (result.ok && result.claim.end === MAX_CLAIM_END) console.log('whole resource');
 * ```
 */
export const MAX_CLAIM_END = Number.MAX_SAFE_INTEGER;

/**
 * The range of a claim request: `start` defaults to 0, `end` to {@link MAX_CLAIM_END}, and
 * `start <= end`.
 *
 * @example
 * ```ts
 * const req = requireRecord(request, 'request');
 * const { start, end } = parseClaimRange(req);
 * ```
 */
export function parseClaimRange(request: Record<string, unknown>): { start: number; end: number } {
  const start = request.start === undefined ? 0 : requireIndex(request.start, 'start');
  const end = request.end === undefined ? MAX_CLAIM_END : requireIndex(request.end, 'end');
  if (start > end) throw invalidArgument('start must be <= end', { start, end });
  return { start, end };
}

/**
 * Default `limit` of `read` and `wait`.
 *
 * @example
 * ```ts
 * const page = await bus.read('log', { afterSeq: 0 }); // at most DEFAULT_READ_LIMIT messages
 * ```
 */
export const DEFAULT_READ_LIMIT = 100;

/**
 * The options of `bus.read`: `afterSeq` (default 0) and `limit` (default
 * {@link DEFAULT_READ_LIMIT}).
 *
 * @example
 * ```ts
 * const { afterSeq, limit } = parseReadOptions(options);
 * ```
 */
export function parseReadOptions(options: unknown): { afterSeq: number; limit: number } {
  const o = optionalRecord(options, 'options');
  return {
    afterSeq: o.afterSeq === undefined ? 0 : requireIndex(o.afterSeq, 'afterSeq'),
    limit: o.limit === undefined ? DEFAULT_READ_LIMIT : requirePositiveInteger(o.limit, 'limit'),
  };
}

/**
 * The options of `bus.wait`: those of `read` plus `timeoutMs` (none: wait until a post) and
 * `signal`.
 *
 * @example
 * ```ts
 * const { afterSeq, limit, timeoutMs, signal } = parseWaitOptions(options);
 * ```
 */
export function parseWaitOptions(options: unknown): {
  afterSeq: number;
  limit: number;
  timeoutMs: number | undefined;
  signal: AbortSignal | undefined;
} {
  const o = optionalRecord(options, 'options');
  return {
    afterSeq: o.afterSeq === undefined ? 0 : requireIndex(o.afterSeq, 'afterSeq'),
    limit: o.limit === undefined ? DEFAULT_READ_LIMIT : requirePositiveInteger(o.limit, 'limit'),
    timeoutMs: o.timeoutMs === undefined ? undefined : requireDelay(o.timeoutMs, 'timeoutMs'),
    signal: optionalSignal(o.signal, 'signal'),
  };
}

/**
 * The filters of `state.claims(query)`: each `undefined` when not given.
 *
 * @example
 * ```ts
 * const { resource, agent } = parseClaimQuery(query);
 * ```
 */
export function parseClaimQuery(query: unknown): {
  resource: string | undefined;
  agent: string | undefined;
} {
  const q = optionalRecord(query, 'query');
  return {
    resource: q.resource === undefined ? undefined : requireName(q.resource, 'resource'),
    agent: q.agent === undefined ? undefined : requireName(q.agent, 'agent'),
  };
}

/**
 * The filters of `state.discoveries(query)`: `afterSeq` defaults to 0, `limit` to `Infinity`.
 *
 * @example
 * ```ts
 * const { topic, agent, afterSeq, limit } = parseDiscoveryQuery(query);
 * ```
 */
export function parseDiscoveryQuery(query: unknown): {
  topic: string | undefined;
  agent: string | undefined;
  afterSeq: number;
  limit: number;
} {
  const q = optionalRecord(query, 'query');
  return {
    topic: q.topic === undefined ? undefined : requireName(q.topic, 'topic'),
    agent: q.agent === undefined ? undefined : requireName(q.agent, 'agent'),
    afterSeq: q.afterSeq === undefined ? 0 : requireIndex(q.afterSeq, 'afterSeq'),
    limit:
      q.limit === undefined ? Number.POSITIVE_INFINITY : requirePositiveInteger(q.limit, 'limit'),
  };
}

/**
 * The entry of `state.discover(entry)`: its names checked and `content` present (its JSON
 * check is the backend's: {@link frozenJsonCopy} or {@link jsonText}).
 *
 * @example
 * ```ts
 * const { agent, topic, content } = parseDiscoverEntry(entry);
 * ```
 */
export function parseDiscoverEntry(entry: unknown): {
  agent: string;
  topic: string;
  content: unknown;
} {
  const e = requireRecord(entry, 'entry');
  const agent = requireName(e.agent, 'agent');
  const topic = requireName(e.topic, 'topic');
  if (!('content' in e)) throw invalidArgument('content is required');
  return { agent, topic, content: e.content };
}
