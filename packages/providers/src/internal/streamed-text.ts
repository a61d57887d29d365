// What a stream reader has said so far, and the deltas it passes on to the caller.
import type { ModelDelta, ModelRequest } from '@troupe/core';
import type { ReadContext } from './transport.js';

/** The text and reasoning of an answer being streamed, each piece passed on as a delta. */
export class StreamedText {
  text = '';
  reasoning = '';
  readonly #context: ReadContext;
  readonly #onDelta: ModelRequest['onDelta'];

  constructor(context: ReadContext, onDelta: ModelRequest['onDelta']) {
    this.#context = context;
    this.#onDelta = onDelta;
  }

  /** Passes a delta on; once one reached the caller, the attempt is never retried. */
  emit(delta: ModelDelta): void {
    if (this.#onDelta === undefined) return;
    this.#context.markEmitted();
    this.#onDelta(delta);
  }

  addText(piece: string): void {
    if (piece === '') return;
    this.text += piece;
    this.emit({ type: 'text', text: piece });
  }

  addReasoning(piece: string): void {
    if (piece === '') return;
    this.reasoning += piece;
    this.emit({ type: 'reasoning', text: piece });
  }
}
