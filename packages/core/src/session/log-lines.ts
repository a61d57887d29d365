// What the session log buffers for each appended entry.
import { redactSecrets } from './redact.js';
import type { SessionLogEntry } from './types.js';

/**
 * A buffered entry, secrets removed. For a store that takes serialized entries
 * (`appendLogJson`) it holds the data's JSON text in `json` and no value, so the value can be
 * collected young; else the redacted entry itself.
 */
export type LogLine = SessionLogEntry & { readonly json?: string };

/** The line for a checked entry: redacted, and serialized when `serialize`. */
export function bufferedLine(entry: SessionLogEntry, serialize: boolean): LogLine {
  const data = redactSecrets(entry.data);
  if (!serialize) return data === entry.data ? entry : { ...entry, data };
  const { sessionId, type, at } = entry;
  return { sessionId, type, at, data: undefined, json: JSON.stringify(data) ?? 'null' };
}

/** The entry of a line, its value parsed back from `json` if need be (for `appendLogSync`). */
export function withData(line: LogLine): SessionLogEntry {
  if (line.json === undefined) return line;
  return { sessionId: line.sessionId, type: line.type, at: line.at, data: JSON.parse(line.json) };
}
