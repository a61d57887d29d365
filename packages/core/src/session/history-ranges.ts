// The history a session saver has queued: ordered, non-overlapping, non-adjacent ranges of
// message positions, merged as saves coalesce.
import type { ChatMessage } from '../model.js';

/** Messages at positions `fromIndex, fromIndex + 1, ...`, owned by the saver's queue. */
export interface Range {
  fromIndex: number;
  messages: ChatMessage[];
}

/** Adds messages to ordered ranges, merging overlaps; the common append extends the last one. */
export function addRange(
  ranges: Range[],
  fromIndex: number,
  messages: readonly ChatMessage[],
): void {
  const last = ranges.at(-1);
  if (
    last !== undefined &&
    fromIndex >= last.fromIndex &&
    fromIndex <= last.fromIndex + last.messages.length
  ) {
    // Positions already queued keep their first message, as the store keeps stored ones.
    for (let j = last.fromIndex + last.messages.length - fromIndex; j < messages.length; j++) {
      last.messages.push(messages[j]!);
    }
    return;
  }
  ranges.push({ fromIndex, messages: messages.slice() });
  if (last !== undefined && fromIndex < last.fromIndex) {
    const merged = mergeRanges(ranges, []);
    ranges.length = 0;
    ranges.push(...merged);
  }
}

/** Merges two range lists into one ordered list (positions hold the same message in both). */
export function mergeRanges(first: Range[], second: Range[]): Range[] {
  if (second.length === 0 && first.length <= 1) return first;
  if (first.length === 0 && second.length <= 1) return second;
  const all = [...first, ...second].sort((a, b) => a.fromIndex - b.fromIndex);
  const out: Range[] = [];
  for (const range of all) {
    const last = out.at(-1);
    if (last === undefined || range.fromIndex > last.fromIndex + last.messages.length) {
      out.push({ fromIndex: range.fromIndex, messages: range.messages.slice() });
      continue;
    }
    for (
      let j = last.fromIndex + last.messages.length - range.fromIndex;
      j < range.messages.length;
      j++
    ) {
      last.messages.push(range.messages[j]!);
    }
  }
  return out;
}
