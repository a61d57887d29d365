import { type FileHandle, mkdir, open, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { TroupeError } from '@troupe/core';
import type { TaskResult } from '../types.js';

/** Statuses that do not finish a task: running again with the same OUT runs it again. */
export const UNFINISHED: ReadonlySet<string> = new Set(['budget_exhausted', 'cancelled']);

/**
 * Reads `results.jsonl`: the last line per id wins. A line cut short by a crash (no newline,
 * or not JSON) never counted: with `repair` (default) it is cut off the file so the next
 * append starts on a fresh line.
 */
export async function readResults(
  path: string,
  options: { repair?: boolean } = {},
): Promise<Map<string, TaskResult>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  const results = new Map<string, TaskResult>();
  let good = 0;
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\n', at);
    if (end < 0) break;
    const line = text.slice(at, end);
    let parsed: TaskResult;
    try {
      parsed = JSON.parse(line) as TaskResult;
    } catch {
      break;
    }
    if (typeof parsed?.id !== 'string') break;
    results.set(parsed.id, parsed);
    at = end + 1;
    good = at;
  }
  if (good < text.length) {
    // Everything after the last whole line is a write the crash interrupted: it never counted.
    const rest = text.slice(good);
    if (rest.includes('\n') && rest.indexOf('\n') < rest.length - 1)
      throw new TroupeError(
        'ERR_INVALID_ARGUMENT',
        `${path}: a line in the middle is not a result`,
        {
          details: { path },
        },
      );
    if (options.repair !== false) await truncate(path, Buffer.byteLength(text.slice(0, good)));
  }
  return results;
}

/**
 * Appends result lines, each written and fsynced before its promise resolves: a task counts as
 * done only once its line is on disk. Lines that arrive while a write is on its way go out
 * together in the next write and fsync (group commit), so a suite of fast tasks is not paced
 * by the disk.
 */
export class ResultsWriter {
  readonly #handle: FileHandle;
  #queued: { line: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  static async open(dir: string): Promise<ResultsWriter> {
    await mkdir(dir, { recursive: true });
    return new ResultsWriter(await open(join(dir, 'results.jsonl'), 'a'));
  }

  append(result: TaskResult): Promise<void> {
    const line = `${JSON.stringify(result)}\n`;
    return new Promise((resolve, reject) => {
      this.#queued.push({ line, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    while (this.#queued.length > 0) {
      const batch = this.#queued;
      this.#queued = [];
      try {
        await this.#handle.write(batch.map((b) => b.line).join(''));
        await this.#handle.datasync();
        for (const b of batch) b.resolve();
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.#flushing = undefined;
  }

  async close(): Promise<void> {
    await this.#flushing;
    await this.#handle.close();
  }
}
