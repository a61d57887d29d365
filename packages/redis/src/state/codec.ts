// Claims and discoveries as Redis stores them, decoded.
import type { Claim, Discovery } from '@troupe/core';
import { parseFrozen } from '../internal/frozen-json.js';

/** A claim from its stored value, "start|end|token|grantedAt|expiresAt". */
export function decodeClaim(agent: string, resource: string, value: string): Claim {
  const [start = '0', end = '0', token = '0', grantedAt = '0', expiresAt = '0'] = value.split('|');
  return Object.freeze({
    agent,
    resource,
    start: Number(start),
    end: Number(end),
    token: Number(token),
    grantedAt: Number(grantedAt),
    expiresAt: Number(expiresAt),
  });
}

export type StreamEntry = [id: string, fields: string[]];

/** A discovery from its stream entry (fields a, t, c, at; the seq is the id). */
export function decodeDiscovery(entry: StreamEntry): Discovery {
  const [id, fields] = entry;
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return Object.freeze({
    seq: Number(id.slice(0, id.indexOf('-'))),
    agent: map.get('a') ?? '',
    topic: map.get('t') ?? '',
    content: parseFrozen(map.get('c') ?? 'null'),
    at: Number(map.get('at') ?? 0),
  });
}
