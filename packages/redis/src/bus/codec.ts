// Entries of a bus stream as messages, with the stamps that let a reader see a gap.
import type { Message } from '@troupe/core';
import { parseFrozen } from '../internal/frozen-json.js';

export type StreamEntry = [id: string, fields: string[]];

/** A message as read, with its stamp and the stamp of the entry before it (0: unknown). */
export interface Stamped {
  readonly message: Message;
  readonly stamp: number;
  readonly prev: number;
}

/** `0-<seq>` */
export const idOf = (seq: number): string => `0-${seq}`;
export const seqOf = (id: string): number => Number(id.slice(id.indexOf('-') + 1));

const STAMPS = /^(\d+):(\d+):[^|]*\|/;

/**
 * Decodes one entry. Values are `<at>|<stamp>:<prev>:<key>|<body>`; entries written before
 * stamps existed (`<at>|<body>`, or fields f, b, at) decode with stamps 0. A JSON body never
 * starts with digits followed by ':', so the two value layouts cannot be confused.
 */
export function decodeEntry(topic: string, entry: StreamEntry): Stamped {
  const [id, fields] = entry;
  let from = '';
  let body: unknown;
  let at = 0;
  let stamp = 0;
  let prev = 0;
  if (fields.length === 2) {
    from = fields[0]!;
    const value = fields[1]!;
    const bar = value.indexOf('|');
    at = Number(value.slice(0, bar));
    let rest = value.slice(bar + 1);
    const stamps = STAMPS.exec(rest);
    if (stamps !== null) {
      stamp = Number(stamps[1]);
      prev = Number(stamps[2]);
      rest = rest.slice(stamps[0].length);
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
  return { message: Object.freeze({ seq: seqOf(id), topic, from, body, at }), stamp, prev };
}
