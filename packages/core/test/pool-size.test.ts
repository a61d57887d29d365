// The agent pool's size is one process-wide setting: configureAgentPool, or a team's
// placement.pool.threads, set it while no pool is live; another size is refused while one is.
// Workers load core's dist: build core first (`npx turbo run build --filter=@troupe/core`).

import { configureAgentPool, isTroupeError } from '@troupe/core';
import { afterEach, describe, expect, it } from 'vitest';
import { drive, makeTeam, PUPPET } from './fixtures/harness.js';

/** The error `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

const withThreads = (threads: number) => ({ placement: { pool: { threads } } }) as const;
/** A team that leaves the size to the process. */
const anySize = { placement: { pool: {} } } as const;

describe('the agent pool size', () => {
  const teams: ReturnType<typeof makeTeam>[] = [];
  afterEach(async () => {
    for (const { team } of teams.splice(0)) await team.close();
    configureAgentPool({ threads: 2 });
  });
  const open = (extra: Parameters<typeof makeTeam>[1] = {}) => {
    const made = makeTeam('pool', extra);
    teams.push(made);
    return made;
  };

  it('refuses another size while a pool is live, naming the option and the live size', async () => {
    const first = open(withThreads(2));
    await first.team.spawn(PUPPET, { name: 'p' });

    const fromTeam = thrown(() => makeTeam('pool', withThreads(3)));
    expect(isTroupeError(fromTeam, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((fromTeam as Error).message).toMatch(
      /^placement\.pool\.threads is 3, but the live agent pool's size is 2/,
    );
    const fromConfig = thrown(() => configureAgentPool({ threads: 3 }));
    expect(isTroupeError(fromConfig, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((fromConfig as Error).message).toMatch(
      /threads is 3, but the live agent pool's size is 2/,
    );

    // Nothing changed: the live pool keeps its size and its agents, and takes more teams.
    expect(thrown(() => configureAgentPool({ threads: 2 }))).toBeUndefined();
    const second = open(anySize);
    await second.team.spawn(PUPPET, { name: 'q' });
    expect((await drive(first.team, first.clock, first.team.send('p', 'one'))).text).toBe(
      'echo: one',
    );
    expect((await drive(second.team, second.clock, second.team.send('q', 'two'))).text).toBe(
      'echo: two',
    );
    expect(isTroupeError(thrown(() => makeTeam('pool', withThreads(3))))).toBe(true);
  });

  it('takes a new size between uses, from configureAgentPool or a team', async () => {
    const first = open(withThreads(2));
    await first.team.spawn(PUPPET, { name: 'p' });
    await first.team.close();
    configureAgentPool({ threads: 3 });
    const second = open(anySize);
    await second.team.spawn(PUPPET, { name: 'q' });
    // The live pool now has the configured 3 threads: the harness's 2 is refused.
    const refused = thrown(() => makeTeam('pool', withThreads(2)));
    expect((refused as Error).message).toMatch(/threads is 2, but the live agent pool's size is 3/);
    await second.team.close();
    const third = open(withThreads(1));
    await third.team.spawn(PUPPET, { name: 'r' });
    expect((thrown(() => configureAgentPool({ threads: 3 })) as Error).message).toMatch(
      /pool's size is 1/,
    );
  }, 30_000);

  it('refuses a size that is not a positive integer, and unknown options', () => {
    for (const threads of [0, -1, 1.5, Number.NaN, '2']) {
      const error = thrown(() => configureAgentPool({ threads } as { threads: number }));
      expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(/threads must be a positive integer/);
    }
    expect(
      isTroupeError(
        thrown(() => makeTeam('pool', withThreads(0))),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
    const unknown = thrown(() => configureAgentPool({ threads: 2, size: 4 } as never));
    expect((unknown as Error).message).toMatch(/options\.size is not a configureAgentPool option/);
  });
});
