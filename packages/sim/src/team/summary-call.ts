import {
  DEFAULT_SUMMARY_INSTRUCTIONS,
  DEFAULT_SUMMARY_TOKENS,
  type ModelRequest,
} from '@troupe/core';

/** How core's compaction transcript opens: with the summary so far, or with the turns to add. */
const TRANSCRIPT_OPENINGS = ['Summary so far:\n', 'Conversation to add to it:\n'];

/**
 * True for a compaction's summary call: core sends it with its summary instructions (or the
 * policy's own), no tools, and one user message holding the transcript of the dropped turns.
 */
export function isSummaryRequest(request: ModelRequest): boolean {
  if (request.tools.length > 0 || request.messages.length !== 1) return false;
  if (request.system === DEFAULT_SUMMARY_INSTRUCTIONS) return true;
  const only = request.messages[0]!;
  return only.role === 'user' && TRANSCRIPT_OPENINGS.some((o) => only.content.startsWith(o));
}

/** Words the simulated summary is made of (its size is what matters, not its words). */
const FILLER = 'facts decisions names files open-tasks ';

/**
 * A summary answer of `outputTokens` tokens (about 4 characters each), at most the request's
 * `maxOutputTokens` (core's default summary size without one): the tokens the summary call
 * bills and the text that stands for the dropped turns in every later request.
 */
export function summaryAnswer(
  agent: string,
  request: ModelRequest,
  outputTokens: number,
): { text: string; outputTokens: number } {
  const tokens = Math.max(
    1,
    Math.min(outputTokens, request.maxOutputTokens ?? DEFAULT_SUMMARY_TOKENS),
  );
  const head = `${agent}: summary of the earlier turns. `;
  const chars = tokens * 4;
  const text =
    head.length >= chars
      ? head.slice(0, chars)
      : head +
        FILLER.repeat(Math.ceil((chars - head.length) / FILLER.length)).slice(
          0,
          chars - head.length,
        );
  return { text: text.trimEnd(), outputTokens: tokens };
}
