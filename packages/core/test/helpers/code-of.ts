import { TroupeError } from '@troupe/core';

/** The TroupeError code `fn` throws synchronously, or `undefined` when it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof TroupeError ? error.code : `not a TroupeError: ${String(error)}`;
  }
  return undefined;
}
