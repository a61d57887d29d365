import { TroupeError } from '@troupe/core';

const REDACTED = '[redacted]';
/** Shorter values are not treated as secrets: scrubbing `a` would garble every message. */
const MIN_SECRET = 6;
// Header names whose values are credentials (the provider's own, or a gateway's).
const SECRET_HEADER = /^(?:authorization|proxy-authorization|x-api-key|api-key)$|key|token|secret/i;

/**
 * The credentials a provider sends: its API key and the values of credential headers (with
 * and without their `Bearer ` scheme), longest first so a key inside a header value goes too.
 */
export function secretsOf(
  apiKey: string | undefined,
  headers: Readonly<Record<string, string>>,
): readonly string[] {
  const found = new Set<string>();
  const add = (value: string | undefined): void => {
    if (value !== undefined && value.length >= MIN_SECRET) found.add(value);
  };
  add(apiKey);
  for (const [name, value] of Object.entries(headers)) {
    if (!SECRET_HEADER.test(name)) continue;
    add(value);
    add(/^\s*\S+\s+(\S+)\s*$/.exec(value)?.[1]);
  }
  return [...found].sort((a, b) => b.length - a.length);
}

function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

function scrubValue(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return scrubText(value, secrets);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, secrets, depth + 1));
  if (value instanceof Error) return scrubError(value, secrets, depth + 1);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrubValue(item, secrets, depth + 1);
  return out;
}

function scrubError(error: Error, secrets: readonly string[], depth: number): Error {
  const cause = error.cause === undefined ? undefined : scrubValue(error.cause, secrets, depth + 1);
  if (error instanceof TroupeError) {
    return new TroupeError(error.code, scrubText(error.message, secrets), {
      ...(cause === undefined ? {} : { cause }),
      ...(error.details === undefined
        ? {}
        : { details: scrubValue(error.details, secrets, depth) as Record<string, unknown> }),
    });
  }
  const copy = new Error(
    scrubText(error.message, secrets),
    cause === undefined ? undefined : { cause },
  );
  copy.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  if (error.stack !== undefined) copy.stack = scrubText(error.stack, secrets);
  return copy;
}

/**
 * `error` with every credential removed from its message, details and cause chain (a server
 * that echoes the key in its error body must not put it into logs, events or results). An
 * error that carries none is returned as it is.
 */
export function scrub(error: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !(error instanceof Error)) return error;
  if (!mentions(error, secrets, 0)) return error;
  return scrubError(error, secrets, 0);
}

function mentions(value: unknown, secrets: readonly string[], depth: number): boolean {
  if (typeof value === 'string') return secrets.some((secret) => value.includes(secret));
  if (depth > 8 || typeof value !== 'object' || value === null) return false;
  if (value instanceof Error) {
    return (
      mentions(value.message, secrets, depth) ||
      mentions(value.stack, secrets, depth) ||
      mentions((value as { details?: unknown }).details, secrets, depth + 1) ||
      mentions(value.cause, secrets, depth + 1)
    );
  }
  const items = Array.isArray(value) ? value : Object.values(value);
  return items.some((item) => mentions(item, secrets, depth + 1));
}
