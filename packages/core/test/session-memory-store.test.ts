import { createMemorySessionStore } from '@troupe/core';
import { sessionStoreContract } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';

sessionStoreContract('memory', () => createMemorySessionStore());

describe('createMemorySessionStore options', () => {
  it('takes no option: any name given is refused naming it (issue 12)', () => {
    expect(() => createMemorySessionStore({ flushIntervalMs: 5 } as never)).toThrowError(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('options.flushIntervalMs'),
      }),
    );
    expect(() => createMemorySessionStore(null as never)).toThrowError(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
