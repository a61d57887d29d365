/** One Server-Sent Event: the `event:` name (default `message`) and its joined `data:` lines. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * An incremental SSE parser (the WHATWG event-stream grammar, without `id`/`retry`, which
 * model APIs do not use). Feed it decoded text in arbitrary pieces; events come out whole.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];

  /** Parses `text` and calls `emit` for every event it completes. */
  push(text: string, emit: (event: SseEvent) => void): void {
    let buffer = this.#buffer + text;
    let start = 0;
    for (;;) {
      // Lines end in LF, CRLF or a lone CR. A CR at the very end may be half of a CRLF split
      // across chunks, so it waits for the next chunk.
      const lf = buffer.indexOf('\n', start);
      const cr = buffer.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        if (cr === buffer.length - 1) break;
        end = cr;
        next = buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.#line(buffer.slice(start, end), emit);
      start = next;
    }
    buffer = buffer.slice(start);
    this.#buffer = buffer;
  }

  /** True when a partial line or an undispatched event is still buffered. */
  get pending(): boolean {
    return this.#buffer.length > 0 || this.#data.length > 0;
  }

  #line(line: string, emit: (event: SseEvent) => void): void {
    if (line === '') {
      if (this.#data.length > 0)
        emit({ event: this.#event || 'message', data: this.#data.join('\n') });
      this.#event = '';
      this.#data = [];
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
  }
}
