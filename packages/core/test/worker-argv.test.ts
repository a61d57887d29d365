import { workerExecArgv } from '@troupe/core/backend';
import { describe, expect, it } from 'vitest';

describe('workerExecArgv', () => {
  it('is undefined when the parent has no source condition (the worker inherits execArgv)', () => {
    expect(workerExecArgv(['--expose-gc', '--conditions', 'development'])).toBeUndefined();
  });

  it('drops the source condition and keeps every other option', () => {
    expect(
      workerExecArgv(['--expose-gc', '--conditions', '@troupe/source', '-C', 'development']),
    ).toEqual(['--expose-gc', '-C', 'development']);
    expect(workerExecArgv(['--conditions=@troupe/source', '--no-warnings'])).toEqual([
      '--no-warnings',
    ]);
  });
});
