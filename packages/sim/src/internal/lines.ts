/** A team's lines as the bytes they take in `events.jsonl` (each followed by a newline). */
export function joinLines(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
