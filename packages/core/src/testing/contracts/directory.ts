import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatedClock } from '../../clock.js';
import { MAX_DIRECTORY_NAME } from '../../directory/checks.js';
import type { TeamDirectory } from '../../directory/types.js';
import { type ErrorCode, TroupeError } from '../../errors.js';

/**
 * What a directory contract `setup` returns: a fresh, empty directory whose time is `clock`,
 * and a way to open more handles on the same directory (other processes of the team).
 *
 * @example
 * ```ts
 * const fixture: DirectoryFixture = { directory, clock, hostTtlMs: 10_000, peer: () => directory };
 * ```
 */
export interface DirectoryFixture {
  readonly directory: TeamDirectory;
  readonly clock: SimulatedClock;
  /** The `hostTtlMs` the directory was made with. */
  readonly hostTtlMs: number;
  /** Another handle on the same directory (another process); the suite closes it. */
  readonly peer: () => TeamDirectory | Promise<TeamDirectory>;
  readonly cleanup?: () => Promise<void>;
}

async function refusal(call: () => unknown): Promise<unknown> {
  let value: unknown;
  try {
    value = await call();
  } catch (error) {
    return error;
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(value)}`);
}

async function expectCode(call: () => unknown, code: ErrorCode): Promise<void> {
  const error = await refusal(call);
  expect(error).toBeInstanceOf(TroupeError);
  expect((error as TroupeError).code).toBe(code);
}

/**
 * The contract every {@link TeamDirectory} passes: unique names team-wide, host leases that
 * run out on the directory's time, dead hosts reported, and take-overs that exactly one
 * survivor wins. `setup` runs before each test and returns a fresh, empty directory bound to
 * a `SimulatedClock`; every call is awaited, so synchronous and remote directories run it
 * unchanged.
 *
 * @example
 * ```ts
 * import { createMemoryDirectory, SimulatedClock } from '@troupe/core';
 * import { directoryContract } from '@troupe/core/testing';
 *
 * directoryContract('memory', async () => {
 *   const clock = new SimulatedClock();
 *   const directory = createMemoryDirectory({ clock, hostTtlMs: 10_000 });
 *   return { directory, clock, hostTtlMs: 10_000, peer: () => directory };
 * });
 * ```
 */
export function directoryContract(name: string, setup: () => Promise<DirectoryFixture>): void {
  describe(`TeamDirectory contract: ${name}`, () => {
    let fixture: DirectoryFixture;
    let dir: TeamDirectory;
    let clock: SimulatedClock;
    let ttl: number;
    const peers: TeamDirectory[] = [];

    beforeEach(async () => {
      fixture = await setup();
      dir = fixture.directory;
      clock = fixture.clock;
      ttl = fixture.hostTtlMs;
    });

    afterEach(async () => {
      for (const peer of peers.splice(0)) if (peer !== dir) await peer.close();
      await dir.close();
      await fixture.cleanup?.();
    });

    const peer = async (): Promise<TeamDirectory> => {
      const opened = await fixture.peer();
      peers.push(opened);
      return opened;
    };

    describe('hosts and leases', () => {
      it('gives a heartbeat a lease of hostTtlMs from now', async () => {
        await clock.advance(1_000);
        expect(await dir.heartbeat('host-a')).toEqual({ host: 'host-a', expiresAt: 1_000 + ttl });
        expect(await dir.hosts()).toEqual([{ host: 'host-a', expiresAt: 1_000 + ttl }]);
      });

      it('lists only live hosts, sorted', async () => {
        await dir.heartbeat('host-b');
        await dir.heartbeat('host-a');
        await clock.advance(ttl / 2);
        await dir.heartbeat('host-c');
        await clock.advance(ttl / 2);
        expect((await dir.hosts()).map((h) => h.host)).toEqual(['host-c']);
      });

      it('keeps a host alive while it beats', async () => {
        await dir.heartbeat('host-a');
        await dir.register({ name: 'ada', host: 'host-a' });
        for (let i = 0; i < 5; i++) {
          await clock.advance(ttl - 1);
          await dir.heartbeat('host-a');
        }
        expect(await dir.deadHosts()).toEqual([]);
      });

      it('reports a host dead once its lease runs out, while it has agents', async () => {
        await dir.heartbeat('host-a');
        await dir.heartbeat('host-b');
        await dir.register({ name: 'ada', host: 'host-a' });
        await clock.advance(ttl - 1);
        expect(await dir.deadHosts()).toEqual([]);
        await clock.advance(1);
        // host-b died too, but has no agents: nothing to take over.
        expect(await dir.deadHosts()).toEqual(['host-a']);
      });

      it('sees the same dead hosts from every handle', async () => {
        const other = await peer();
        await dir.heartbeat('host-a');
        await dir.register({ name: 'ada', host: 'host-a' });
        await clock.advance(ttl);
        expect(await other.deadHosts()).toEqual(['host-a']);
      });

      it('revives a dead host that beats again, with the agents nobody took', async () => {
        await dir.heartbeat('host-a');
        await dir.register({ name: 'ada', host: 'host-a' });
        await clock.advance(ttl);
        await dir.heartbeat('host-a');
        expect(await dir.deadHosts()).toEqual([]);
        expect((await dir.lookup('ada'))?.host).toBe('host-a');
      });
    });

    describe('names', () => {
      it('registers an agent under a live host and finds it', async () => {
        await clock.advance(5);
        await dir.heartbeat('host-a');
        const definition = { module: './agents.js', export: 'ada' };
        const entry = await dir.register({ name: 'ada', host: 'host-a', definition });
        const expected = { name: 'ada', host: 'host-a', definition, generation: 1, since: 5 };
        expect({ ...entry }).toEqual(expected);
        expect({ ...(await dir.lookup('ada')) }).toEqual(expected);
        expect(await dir.lookup('bob')).toBeUndefined();
      });

      it('stores no definition as null', async () => {
        await dir.heartbeat('host-a');
        await dir.register({ name: 'ada', host: 'host-a' });
        expect((await dir.lookup('ada'))?.definition).toBeNull();
      });

      it('refuses a name taken on any host with ERR_ALREADY_EXISTS and keeps the first', async () => {
        const other = await peer();
        await dir.heartbeat('host-a');
        await other.heartbeat('host-b');
        await dir.register({ name: 'ada', host: 'host-a' });
        await expectCode(
          () => other.register({ name: 'ada', host: 'host-b' }),
          'ERR_ALREADY_EXISTS',
        );
        await expectCode(() => dir.register({ name: 'ada', host: 'host-a' }), 'ERR_ALREADY_EXISTS');
        expect((await other.lookup('ada'))?.host).toBe('host-a');
      });

      it('lets exactly one of many concurrent registrations of one name win', async () => {
        const handles = [dir, await peer(), await peer(), await peer()];
        await Promise.all(handles.map((h, i) => h.heartbeat(`host-${i}`)));
        const results = await Promise.allSettled(
          handles.map(async (h, i) => h.register({ name: 'ada', host: `host-${i}` })),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected')
            expect((r.reason as TroupeError).code).toBe('ERR_ALREADY_EXISTS');
        }
      });

      it('keeps a dead host name taken: it is taken over, not replaced', async () => {
        await dir.heartbeat('host-a');
        await dir.register({ name: 'ada', host: 'host-a' });
        await clock.advance(ttl);
        await dir.heartbeat('host-b');
        await expectCode(() => dir.register({ name: 'ada', host: 'host-b' }), 'ERR_ALREADY_EXISTS');
      });

      it('refuses a registration from a host without a live lease with ERR_NOT_FOUND', async () => {
        await expectCode(() => dir.register({ name: 'ada', host: 'ghost' }), 'ERR_NOT_FOUND');
        await dir.heartbeat('host-a');
        await clock.advance(ttl);
        await expectCode(() => dir.register({ name: 'ada', host: 'host-a' }), 'ERR_NOT_FOUND');
        expect(await dir.lookup('ada')).toBeUndefined();
      });

      it('unregisters only for the host that holds the name, idempotently', async () => {
        await dir.heartbeat('host-a');
        await dir.register({ name: 'ada', host: 'host-a' });
        expect(await dir.unregister('ada', 'host-b')).toBe(false);
        expect(await dir.unregister('ada', 'host-a')).toBe(true);
        expect(await dir.unregister('ada', 'host-a')).toBe(false);
        expect(await dir.lookup('ada')).toBeUndefined();
        await dir.register({ name: 'ada', host: 'host-a' });
        expect((await dir.lookup('ada'))?.generation).toBe(1);
      });

      it('lists the team sorted by name, or one host', async () => {
        await dir.heartbeat('host-a');
        await dir.heartbeat('host-b');
        await dir.register({ name: 'cy', host: 'host-a' });
        await dir.register({ name: 'ada', host: 'host-b' });
        await dir.register({ name: 'bob', host: 'host-a' });
        expect((await dir.agents()).map((e) => [e.name, e.host])).toEqual([
          ['ada', 'host-b'],
          ['bob', 'host-a'],
          ['cy', 'host-a'],
        ]);
        expect((await dir.agents({ host: 'host-a' })).map((e) => e.name)).toEqual(['bob', 'cy']);
        expect(await dir.agents({ host: 'nobody' })).toEqual([]);
      });
    });

    describe('take-over', () => {
      it('moves an agent of a dead host to a live one, with the next generation', async () => {
        await dir.heartbeat('host-a');
        await dir.register({ name: 'ada', host: 'host-a', definition: { export: 'ada' } });
        await clock.advance(ttl);
        await dir.heartbeat('host-b');
        const moved = await dir.takeOver('ada', 'host-a', 'host-b');
        expect(moved).toMatchObject({
          name: 'ada',
          host: 'host-b',
          generation: 2,
          since: ttl,
          definition: { export: 'ada' },
        });
        expect((await dir.lookup('ada'))?.host).toBe('host-b');
        expect(await dir.agents({ host: 'host-a' })).toEqual([]);
        // Nothing left on host-a: it is no longer reported.
        expect(await dir.deadHosts()).toEqual([]);
      });

      it('gives each agent to exactly one of many survivors', async () => {
        await dir.heartbeat('dead');
        for (const name of ['a1', 'a2', 'a3']) await dir.register({ name, host: 'dead' });
        await clock.advance(ttl);
        const survivors = [dir, await peer(), await peer(), await peer()];
        await Promise.all(survivors.map((s, i) => s.heartbeat(`s${i}`)));
        const tries = survivors.flatMap((s, i) =>
          ['a1', 'a2', 'a3'].map(async (name) => ({
            name,
            got: await s.takeOver(name, 'dead', `s${i}`),
          })),
        );
        const wins = (await Promise.all(tries)).filter((t) => t.got !== undefined);
        expect(wins.map((w) => w.name).sort()).toEqual(['a1', 'a2', 'a3']);
        for (const win of wins) expect((await dir.lookup(win.name))?.host).toBe(win.got?.host);
      });

      it('refuses while the old host is alive, when the new one is not, or when the agent moved', async () => {
        await dir.heartbeat('host-a');
        await dir.heartbeat('host-b');
        await dir.register({ name: 'ada', host: 'host-a' });
        expect(await dir.takeOver('ada', 'host-a', 'host-b')).toBeUndefined();
        await clock.advance(ttl);
        expect(await dir.takeOver('ada', 'host-a', 'host-b')).toBeUndefined();
        await dir.heartbeat('host-c');
        expect(await dir.takeOver('ada', 'host-x', 'host-c')).toBeUndefined();
        expect(await dir.takeOver('nobody', 'host-a', 'host-c')).toBeUndefined();
        expect((await dir.takeOver('ada', 'host-a', 'host-c'))?.host).toBe('host-c');
        expect(await dir.takeOver('ada', 'host-a', 'host-c')).toBeUndefined();
      });

      it('leaves a revived host without the agents taken from it', async () => {
        await dir.heartbeat('host-a');
        await dir.register({ name: 'ada', host: 'host-a' });
        await dir.register({ name: 'bob', host: 'host-a' });
        await clock.advance(ttl);
        await dir.heartbeat('host-b');
        await dir.takeOver('ada', 'host-a', 'host-b');
        await dir.heartbeat('host-a');
        expect((await dir.agents({ host: 'host-a' })).map((e) => e.name)).toEqual(['bob']);
        expect(await dir.unregister('ada', 'host-a')).toBe(false);
      });
    });

    describe('leave', () => {
      it('removes the host and its agents, idempotently', async () => {
        await dir.heartbeat('host-a');
        await dir.register({ name: 'bob', host: 'host-a' });
        await dir.register({ name: 'ada', host: 'host-a' });
        expect(await dir.leave('host-a')).toEqual(['ada', 'bob']);
        expect(await dir.leave('host-a')).toEqual([]);
        expect(await dir.agents()).toEqual([]);
        expect(await dir.hosts()).toEqual([]);
      });
    });

    describe('bad input', () => {
      it('refuses bad names with ERR_INVALID_ARGUMENT and registers nothing', async () => {
        await dir.heartbeat('host-a');
        const bad: unknown[] = [
          '',
          7,
          undefined,
          'x'.repeat(MAX_DIRECTORY_NAME + 1),
          'a\uD800b',
          '\uDC00',
        ];
        for (const name of bad) {
          await expectCode(
            () => dir.register({ name: name as string, host: 'host-a' }),
            'ERR_INVALID_ARGUMENT',
          );
          await expectCode(() => dir.heartbeat(name as string), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => dir.lookup(name as string), 'ERR_INVALID_ARGUMENT');
        }
        await expectCode(
          () => dir.register(null as unknown as { name: string; host: string }),
          'ERR_INVALID_ARGUMENT',
        );
        await expectCode(
          () => dir.register({ name: 'ada', host: 'host-a', definition: () => 1 }),
          'ERR_INVALID_ARGUMENT',
        );
        await expectCode(() => dir.agents({ host: '' }), 'ERR_INVALID_ARGUMENT');
        expect(await dir.agents()).toEqual([]);
      });

      it('accepts a well-formed surrogate pair and the longest name', async () => {
        await dir.heartbeat('host-a');
        const long = 'n'.repeat(MAX_DIRECTORY_NAME);
        await dir.register({ name: '\u{1F600}', host: 'host-a' });
        await dir.register({ name: long, host: 'host-a' });
        expect((await dir.agents()).map((e) => e.name).sort()).toEqual([long, '\u{1F600}'].sort());
      });
    });

    describe('close', () => {
      it('is idempotent and refuses later calls with ERR_CLOSED', async () => {
        await dir.close();
        await dir.close();
        await expectCode(() => dir.heartbeat('host-a'), 'ERR_CLOSED');
        await expectCode(() => dir.lookup('ada'), 'ERR_CLOSED');
      });
    });
  });
}
