import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ModelResponse, TroupeError } from '@troupe/core';

/** One model exchange of a recorded live run: what the model answered (or how it failed). */
export interface RecordedModelCall {
  readonly kind: 'model';
  readonly agent: string;
  /** Wall-clock time the call took, ms: the replay's simulated latency. */
  readonly latencyMs: number;
  readonly response?: Pick<ModelResponse, 'text' | 'toolCalls' | 'usage' | 'stopReason'>;
  readonly error?: { readonly code: string; readonly message: string };
}

/** One tool call of a recorded live run: its result (JSON) or its error. */
export interface RecordedToolCall {
  readonly kind: 'tool';
  readonly agent: string;
  readonly tool: string;
  readonly durationMs: number;
  readonly result?: unknown;
  readonly error?: string;
}

/** A line of `exchanges.jsonl`. */
export type RecordedExchange = RecordedModelCall | RecordedToolCall;

/** `recording.json`: what was run, and how many exchanges `exchanges.jsonl` holds. */
export interface RecordingHeader {
  readonly version: 1;
  /** The team module, as a file: URL. */
  readonly module: string;
  readonly task: string;
  /** Who got the task (default: the module's `to`, else its first agent). */
  readonly to?: string;
  readonly exchanges: number;
}

/**
 * A recorded live run, read back: the header and each agent's model calls and tool calls, in
 * the order they happened.
 *
 * @example
 * ```ts
 * const recording = await readRecording('rec/');
 * recording.models.get('geographer')?.length; // its model calls
 * ```
 */
export interface Recording {
  readonly header: RecordingHeader;
  readonly models: ReadonlyMap<string, readonly RecordedModelCall[]>;
  /** By `agent`, then tool name. */
  readonly tools: ReadonlyMap<string, ReadonlyMap<string, readonly RecordedToolCall[]>>;
}

export const HEADER_FILE = 'recording.json';
export const EXCHANGES_FILE = 'exchanges.jsonl';

/**
 * Reads a recording `troupe run --record DIR` wrote. A missing directory or file is
 * `ERR_NOT_FOUND`; one that is not a recording is `ERR_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * const recording = await readRecording('rec/');
 * ```
 */
export async function readRecording(dir: string): Promise<Recording> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (error) {
      throw new TroupeError(
        'ERR_NOT_FOUND',
        `cannot read recording ${join(dir, name)}: ${(error as Error).message}`,
        {
          cause: error,
          details: { dir },
        },
      );
    }
  };
  let header: RecordingHeader;
  try {
    header = JSON.parse(await read(HEADER_FILE)) as RecordingHeader;
  } catch (error) {
    if (error instanceof TroupeError) throw error;
    throw new TroupeError('ERR_INVALID_ARGUMENT', `${join(dir, HEADER_FILE)} is not JSON`);
  }
  if (
    header?.version !== 1 ||
    typeof header.module !== 'string' ||
    typeof header.task !== 'string'
  ) {
    throw new TroupeError(
      'ERR_INVALID_ARGUMENT',
      `${join(dir, HEADER_FILE)} is not a Troupe recording`,
    );
  }
  const models = new Map<string, RecordedModelCall[]>();
  const tools = new Map<string, Map<string, RecordedToolCall[]>>();
  const lines = (await read(EXCHANGES_FILE)).split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    let e: RecordedExchange;
    try {
      e = JSON.parse(line) as RecordedExchange;
    } catch {
      throw new TroupeError(
        'ERR_INVALID_ARGUMENT',
        `${join(dir, EXCHANGES_FILE)}:${i + 1}: not JSON`,
      );
    }
    if (e.kind === 'model') {
      const list = models.get(e.agent) ?? [];
      models.set(e.agent, list);
      list.push(e);
    } else if (e.kind === 'tool') {
      const byTool = tools.get(e.agent) ?? new Map<string, RecordedToolCall[]>();
      tools.set(e.agent, byTool);
      const list = byTool.get(e.tool) ?? [];
      byTool.set(e.tool, list);
      list.push(e);
    } else {
      throw new TroupeError(
        'ERR_INVALID_ARGUMENT',
        `${join(dir, EXCHANGES_FILE)}:${i + 1}: not an exchange`,
      );
    }
  });
  return { header, models, tools };
}
