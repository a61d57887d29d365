// Session log entries as they cross to the writer thread: a few strings, not many values.
import type { SerializedLogEntry, SessionLogEntry } from '@troupe/core';

/**
 * Log entries packed for the writer thread, in pieces: piece `k` holds `meta[k]`, the JSON
 * array `[sessionId, type, at, length, sessionId, type, at, length, ...]`, and `data[k]`, the
 * entries' data JSON texts one after the other (`length` characters each).
 */
export interface PackedEntries {
  readonly rows: number;
  readonly meta: readonly string[];
  readonly data: readonly string[];
  /** The texts came from `JSON.stringify` of checked values; else the thread checks them. */
  readonly checked: boolean;
}

/** A log text the store refuses: not JSON, or nested too deep. Nothing of its batch is written. */
export class InvalidLogText extends Error {}

/** Entries per piece at most, and the piece size to stay under, in characters. */
const PIECE_ENTRIES = 256;
const PIECE_CHARS = 48 * 1024;

/**
 * Packs checked entries, serializing their data. Pieces stay near {@link PIECE_CHARS}: a
 * message holding one string of a few hundred KB costs ~10x more per byte to post than one
 * holding the same bytes in pieces of tens of KB (measured here: 250 KB, 0.9 ms against
 * 0.08 ms), and posting the values one by one ~4x more than pieces. The thread slices the
 * texts apart and parses nothing but the small `meta`.
 */
export function packEntries(entries: readonly SessionLogEntry[]): PackedEntries {
  return pack(entries, (entry) => JSON.stringify(entry.data) ?? 'null', true);
}

/** Packs entries whose data is JSON text already (`appendLogJson`); the thread checks it. */
export function packSerialized(entries: readonly SerializedLogEntry[]): PackedEntries {
  return pack(entries, (entry) => entry.json, false);
}

function pack<E extends { sessionId: string; type: string; at: number }>(
  entries: readonly E[],
  textOf: (entry: E) => string,
  checked: boolean,
): PackedEntries {
  const meta: string[] = [];
  const data: string[] = [];
  let size = PIECE_ENTRIES;
  for (let from = 0; from < entries.length; ) {
    const to = Math.min(entries.length, from + size);
    const keys = new Array<unknown>((to - from) * 4);
    const texts = new Array<string>(to - from);
    for (let i = from; i < to; i++) {
      const entry = entries[i]!;
      const text = textOf(entry);
      const at = (i - from) * 4;
      keys[at] = entry.sessionId;
      keys[at + 1] = entry.type;
      keys[at + 2] = entry.at;
      keys[at + 3] = text.length;
      texts[i - from] = text;
    }
    const piece = texts.join('');
    meta.push(JSON.stringify(keys));
    data.push(piece);
    from = to;
    if (piece.length > PIECE_CHARS && size > 1) size >>= 1;
    else if (piece.length < PIECE_CHARS / 4 && size < PIECE_ENTRIES) size <<= 1;
  }
  return { rows: entries.length, meta, data, checked };
}

/**
 * The entries of {@link packEntries} as flat row parameters (session id, type, at, data).
 * Unchecked texts must be JSON nested at most `maxDepth` deep, else {@link InvalidLogText}.
 */
export function unpackEntries(packed: PackedEntries, maxDepth: number): unknown[] {
  const params = new Array<unknown>(packed.rows * 4);
  let row = 0;
  for (let k = 0; k < packed.meta.length; k++) {
    const keys = JSON.parse(packed.meta[k]!) as unknown[];
    const piece = packed.data[k]!;
    let offset = 0;
    for (let i = 0; i < keys.length; i += 4, row++) {
      const length = keys[i + 3] as number;
      const text = piece.slice(offset, offset + length);
      offset += length;
      if (!packed.checked) checkLogText(text, row, maxDepth);
      params[row * 4] = keys[i];
      params[row * 4 + 1] = keys[i + 1];
      params[row * 4 + 2] = keys[i + 2];
      params[row * 4 + 3] = text;
    }
  }
  return params;
}

/** Refuses, with {@link InvalidLogText}, text that is not JSON or nests past `maxDepth`. */
export function checkLogText(text: string, row: number, maxDepth: number): void {
  try {
    JSON.parse(text);
  } catch {
    throw new InvalidLogText(`entries[${row}].json is not JSON text`);
  }
  if (depthOf(text) > maxDepth) {
    throw new InvalidLogText(`entries[${row}].json is nested deeper than ${maxDepth} levels`);
  }
}

/** The deepest nesting of arrays and objects in JSON text (strings skipped). */
function depthOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}
