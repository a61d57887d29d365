import { readFile } from 'node:fs/promises';
import { TroupeError } from '@troupe/core';

/** Reads a file's bytes; a missing or unreadable one is `ERR_NOT_FOUND` naming `what` and the path. */
export async function readFileBytes(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new TroupeError(
      'ERR_NOT_FOUND',
      `cannot read ${what} ${path}: ${(error as Error).message}`,
      {
        cause: error,
        details: { path },
      },
    );
  }
}

/** Reads a UTF-8 file; a missing or unreadable one is `ERR_NOT_FOUND` naming `what` and the path. */
export async function readTextFile(path: string, what: string): Promise<string> {
  return (await readFileBytes(path, what)).toString('utf8');
}
