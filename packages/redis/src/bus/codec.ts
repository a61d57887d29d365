// Entries of a bus stream as messages, with the key that tells one post from another.
import type { Message } from '@troupe/core';
import { parseFrozen } from '../internal/frozen-json.js';

export type StreamEntry = [id: string, fields: string[]];

/** A message as read, with its post's idempotency key ('' for entries written without one). */
export interface Keyed {
  readonly message: Message;
  readonly key: string;
}

/** `0-<seq>` */
export const idOf = (seq: number): string => `0-${seq}`;
export const seqOf = (id: string): number => Number(id.slice(id.indexOf('-') + 1));

/** An idempotency key: letters, digits, `_`, `-`, `.`; at most 128. */
export const KEY_SHAPE = /^[A-Za-z0-9_.-]{1,128}$/;
const KEYED = /^([A-Za-z0-9_.-]{1,128})\|/;

/**
 * Decodes one entry. Values are `<at>|<key>|<body>`; entries written before keys existed
 * (`<at>|<body>`, or fields f, b, at) decode with key ''. A JSON body never starts with a key
 * followed by '|' (numbers, true, false and null hold no '|'; anything else starts with a
 * quote or a bracket), so the two layouts cannot be confused.
 */
export function decodeEntry(topic: string, entry: StreamEntry): Keyed {
  const [id, fields] = entry;
  let from = '';
  let body: unknown;
  let at = 0;
  let key = '';
  if (fields.length === 2) {
    from = fields[0]!;
    const value = fields[1]!;
    const bar = value.indexOf('|');
    at = Number(value.slice(0, bar));
    let rest = value.slice(bar + 1);
    const keyed = KEYED.exec(rest);
    if (keyed !== null) {
      key = keyed[1]!;
      rest = rest.slice(keyed[0].length);
    }
    body = parseFrozen(rest);
  } else {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const value = fields[i + 1]!;
      if (fields[i] === 'f') from = value;
      else if (fields[i] === 'b') body = parseFrozen(value);
      else if (fields[i] === 'at') at = Number(value);
    }
  }
  return { message: Object.freeze({ seq: seqOf(id), topic, from, body, at }), key };
}
