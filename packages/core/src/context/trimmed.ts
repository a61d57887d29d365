import type { ChatMessage } from '../model.js';

// Bounded memory for long-lived agents. A live agent's in-memory history keeps its positions
// (persistence and the view count by them), but a message already handed to the session store
// and older than the view's recent turns is deleted from the array: the array turns sparse and
// V8 keeps it as a dictionary, so its memory follows the messages still present, not its length
// (measured: 200,000 positions with 100 present take 17 KiB). Holes survive `slice()` and the
// structured clone to a pool worker. `team.history()` fills them from the store (`untrim`).

/** Deletes positions `from..to - 1` of `history` (the caller keeps `from` as its mark). */
export function trimHistory(history: ChatMessage[], from: number, to: number): void {
  // A hole is the point: `delete` makes the array sparse (a dictionary in V8).
  for (let i = from; i < to; i++) delete history[i];
}

/** True when `history` (a live agent's, or a copy of it) has trimmed positions. */
export function hasTrimmed(history: readonly ChatMessage[]): boolean {
  return history.length > 0 && !(0 in history);
}

/** `live` with its trimmed positions filled from `stored` (the same history, from the store). */
export function untrim(
  live: readonly ChatMessage[],
  stored: readonly ChatMessage[],
): ChatMessage[] {
  const out: ChatMessage[] = new Array(live.length);
  for (let i = 0; i < live.length; i++) out[i] = (i in live ? live[i] : stored[i]) as ChatMessage;
  return out;
}
