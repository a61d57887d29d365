import { TroupeError } from '@troupe/core';
import { AttemptFailure } from './failure.js';

/** One Server-Sent Event: the `event:` name (default `message`) and its joined `data:` lines. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/** Longest line the parser buffers (UTF-16 code units): 8 Mi, far above any real chunk. */
export const MAX_SSE_LINE = 8 * 1024 * 1024;
/** Largest event (its joined `data:` lines). */
export const MAX_SSE_EVENT = 16 * 1024 * 1024;

const LF = 10;
const BOM = 0xfeff;

function tooLarge(what: string, limit: number): AttemptFailure {
  return new AttemptFailure(
    new TroupeError(
      'ERR_PROVIDER_RESPONSE_TOO_LARGE',
      `provider stream sent ${what} longer than ${limit} characters`,
      { details: { reason: 'response-too-large', limit } },
    ),
    false,
  );
}

/**
 * An incremental SSE parser (the WHATWG event-stream grammar, without `id`/`retry`, which
 * model APIs do not use). Feed it decoded text in arbitrary pieces; events come out whole.
 *
 * Linear in its input: a partial line is kept as a list of pieces (joined once, when its end
 * arrives) and each piece is scanned once, so a long line fed in many small chunks costs what
 * it weighs, not its square. Lines and events beyond a bound are refused with
 * `ERR_PROVIDER_RESPONSE_TOO_LARGE` instead of growing without limit. A byte order mark
 * before the first line is dropped, as the grammar says.
 */
export class SseParser {
  readonly #maxLine: number;
  readonly #maxEvent: number;
  #pieces: string[] = [];
  #pieceLength = 0;
  #event = '';
  #data: string[] = [];
  #dataLength = 0;
  #started = false;
  /** The previous chunk ended in CR: a LF opening the next one belongs to it. */
  #afterCr = false;

  constructor(maxLine = MAX_SSE_LINE, maxEvent = MAX_SSE_EVENT) {
    this.#maxLine = maxLine;
    this.#maxEvent = maxEvent;
  }

  /** Parses `text` and calls `emit` for every event it completes. */
  push(text: string, emit: (event: SseEvent) => void): void {
    let start = 0;
    if (!this.#started) {
      if (text.length === 0) return;
      this.#started = true;
      if (text.charCodeAt(0) === BOM) start = 1;
    }
    if (this.#afterCr) {
      this.#afterCr = false;
      if (text.charCodeAt(start) === LF) start++;
    }
    const length = text.length;
    // Next LF and CR at or after `start`, each found once by a native scan and kept until
    // passed (a -1 stays -1): every character is looked at a bounded number of times.
    let lf = text.indexOf('\n', start);
    let cr = text.indexOf('\r', start);
    while (lf !== -1 || cr !== -1) {
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      let line = text.slice(start, end);
      if (this.#pieces.length > 0) {
        this.#pieces.push(line);
        line = this.#pieces.join('');
        this.#pieces = [];
        this.#pieceLength = 0;
      }
      if (line.length > this.#maxLine) throw tooLarge('a line', this.#maxLine);
      this.#line(line, emit);
      start = end + 1;
      if (end === cr) {
        if (start === length) this.#afterCr = true;
        else if (text.charCodeAt(start) === LF) start++;
      }
      if (lf !== -1 && lf < start) lf = text.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
    }
    if (start < length) {
      this.#pieceLength += length - start;
      if (this.#pieceLength > this.#maxLine) throw tooLarge('a line', this.#maxLine);
      this.#pieces.push(start === 0 ? text : text.slice(start));
    }
  }

  /** True when a partial line or an undispatched event is still buffered. */
  get pending(): boolean {
    return this.#pieceLength > 0 || this.#data.length > 0;
  }

  #line(line: string, emit: (event: SseEvent) => void): void {
    if (line === '') {
      if (this.#data.length > 0) {
        const data = this.#data.length === 1 ? (this.#data[0] as string) : this.#data.join('\n');
        this.#data = [];
        this.#dataLength = 0;
        const event = this.#event || 'message';
        this.#event = '';
        emit({ event, data });
      } else {
        this.#event = '';
      }
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      this.#dataLength += value.length + 1;
      if (this.#dataLength > this.#maxEvent) throw tooLarge('an event', this.#maxEvent);
      this.#data.push(value);
    } else if (field === 'event') this.#event = value;
  }
}
