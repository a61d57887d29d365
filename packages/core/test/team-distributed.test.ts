import {
  createBus,
  createMemoryDirectory,
  createMemorySessionStore,
  createRateLimiter,
  createSharedState,
  createTeam,
  SimulatedClock,
  type Team,
} from '@troupe/core';
import { describe, expect, it, vi } from 'vitest';

// Two teams in one process act as two hosts of one distributed team: they share the bus, the
// shared state, the session store and the directory, as processes on one Redis do.

const HOST_TTL_MS = 3_000;
const worker = {
  module: new URL('./fixtures/distributed-agents.js', import.meta.url).href,
  export: 'worker',
};

/**
 * Every method of `target` hangs forever once `frozen.on` is set: a host that stopped dead.
 * With `frozen.replies`, only its posts to reply topics hang (answers lost on the way); with
 * `frozen.beats`, only its heartbeats fail (cut off from the directory, running on).
 */
function freezable<T extends object>(
  target: T,
  frozen: { on: boolean; replies?: boolean; beats?: boolean },
): T {
  return new Proxy(target, {
    get(object, key) {
      const value = Reflect.get(object, key, object);
      if (typeof value !== 'function') return value;
      if (frozen.beats && key === 'heartbeat')
        return () => Promise.reject(new Error('cut off from the directory'));
      return (...args: unknown[]) =>
        frozen.on || (frozen.replies && key === 'post' && String(args[0]).startsWith('reply:'))
          ? new Promise(() => {})
          : (value as (...a: unknown[]) => unknown).apply(object, args);
    },
  });
}

function cluster() {
  const clock = new SimulatedClock();
  const shared = {
    clock,
    bus: createBus({ clock }),
    state: createSharedState({ clock }),
    store: createMemorySessionStore(),
    directory: createMemoryDirectory({ clock, hostTtlMs: HOST_TTL_MS }),
  };
  const host = (hostId: string) => {
    const frozen = { on: false, replies: false, beats: false };
    const team = createTeam({
      id: 'crew',
      clock,
      bus: freezable(shared.bus, frozen),
      state: freezable(shared.state, frozen),
      store: freezable(shared.store, frozen),
      limiter: createRateLimiter({ clock, rules: [] }),
      distributed: {
        directory: freezable(shared.directory, frozen),
        hostId,
        hostTtlMs: HOST_TTL_MS,
      },
    });
    return { team, frozen, kill: () => (frozen.on = true) };
  };
  /** Moves the clock in 50 ms steps until `work` settles (at most `maxMs`). */
  async function drive<T>(work: Promise<T>, maxMs = 30_000): Promise<T> {
    let done = false;
    const watched = work.finally(() => (done = true));
    watched.catch(() => undefined);
    for (let t = 0; t < maxMs && !done; t += 50) await clock.advance(50);
    return watched;
  }
  return { clock, shared, host, drive };
}

async function userSeqs(team: Team, agent: string): Promise<number[]> {
  const history = await team.history(agent);
  return history.flatMap((m) => (m.role === 'user' && typeof m.seq === 'number' ? [m.seq] : []));
}

describe('a team across hosts (memory directory, shared bus and store)', () => {
  it('names are unique team-wide: a second spawn of ada on another host is ERR_ALREADY_EXISTS', async () => {
    const { host, drive, clock, shared } = cluster();
    const a = host('host-a');
    const b = host('host-b');
    await drive(a.team.spawn(worker, { name: 'ada' }));
    await expect(drive(b.team.spawn(worker, { name: 'ada' }))).rejects.toMatchObject({
      code: 'ERR_ALREADY_EXISTS',
    });
    expect(b.team.agent('ada')).toBeUndefined();
    // ada has a stored session; resume on host-b leaves her to host-a.
    await drive(a.team.send('ada', 'hello'));
    await clock.advance(500);
    expect(await shared.store.listSessions()).toContain('crew/ada');
    expect(await drive(b.team.resume(worker))).toEqual([]);
    await drive(Promise.all([a.team.close(), b.team.close()]));
  });

  it('lists the whole team and sends to an agent of another host', async () => {
    const { host, drive, clock } = cluster();
    const a = host('host-a');
    const b = host('host-b');
    await drive(a.team.spawn(worker, { name: 'ada' }));
    await drive(b.team.spawn(worker, { name: 'bob' }));
    const reply = await drive(a.team.send('bob', 'hello'));
    expect(reply).toMatchObject({ status: 'completed', text: 'bob got hello', agent: 'bob' });
    await drive(a.team.post('bob', 'a plain note'));
    await expect(drive(a.team.send('nobody', 'hi'))).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
    await clock.advance(HOST_TTL_MS); // a heartbeat refreshes the list
    expect(a.team.agents().map(({ name, host: at }) => [name, at])).toEqual([
      ['ada', 'host-a'],
      ['bob', 'host-b'],
    ]);
    await drive(Promise.all([a.team.close(), b.team.close()]));
  });

  it('ask_agent and handoff reach agents of other hosts and answer the asker', async () => {
    const { host, drive } = cluster();
    const a = host('host-a');
    const b = host('host-b');
    await drive(a.team.spawn(worker, { name: 'ada' }));
    await drive(b.team.spawn(worker, { name: 'bob' }));
    await drive(a.team.spawn(worker, { name: 'cy' }));
    const asked = await drive(a.team.send('ada', 'ask:bob:status'));
    expect(asked.text).toBe('ada did ask: {"agent":"bob","answer":"bob got status"}');
    // bob (host-b) hands the task to cy (host-a): the answer comes back to host-b's sender.
    const handed = await drive(b.team.send('bob', 'handoff:cy:finish it'));
    expect(handed).toMatchObject({ agent: 'cy', text: 'cy got finish it' });
    await drive(Promise.all([a.team.close(), b.team.close()]));
  });

  it('a cycle of asks across hosts ends with the first ask’s timeout, not a hang', async () => {
    const { host, drive, clock } = cluster();
    const a = host('host-a');
    const b = host('host-b');
    await drive(a.team.spawn(worker, { name: 'ada' }));
    await drive(b.team.spawn(worker, { name: 'bob' }));
    const started = clock.now();
    // ada asks bob, who asks ada back: each host sees one edge of the cycle.
    const reply = await drive(a.team.send('ada', 'ask:bob:ask:ada:status'));
    expect(reply.status).toBe('completed');
    expect(reply.text).toContain('ERR_TIMEOUT');
    expect(clock.now() - started).toBeGreaterThanOrEqual(5_000); // the fixture's ask timeoutMs
    await drive(Promise.all([a.team.close(), b.team.close()]));
  });

  it('a dead host: its agents resume on a survivor, unhandled messages run once, claims released', async () => {
    const { host, drive, shared, clock } = cluster();
    const a = host('host-a');
    const b = host('host-b');
    await drive(a.team.spawn(worker, { name: 'ada' }));
    await drive(b.team.spawn(worker, { name: 'bob' }));
    expect(await drive(a.team.send('bob', 'claim:src/app.ts'))).toMatchObject({
      status: 'completed',
    });
    expect(shared.state.claims({ agent: 'bob' })).toHaveLength(1);
    await clock.advance(500); // bob's session is saved
    // host-b stops dead with a message in bob's mailbox; more arrive while it is dead.
    await a.team.post('bob', 'first');
    b.kill();
    const second = a.team.send('bob', 'second');
    const started = a.team.clock.now();
    const answer = await drive(second);
    expect(answer).toMatchObject({ status: 'completed', text: 'bob got second' });
    expect(a.team.clock.now() - started).toBeLessThanOrEqual(HOST_TTL_MS + HOST_TTL_MS / 3 + 1_000);
    const entry = shared.directory.lookup('bob');
    expect(entry).toMatchObject({ host: 'host-a', generation: 2 });
    expect(shared.state.claims({ agent: 'bob' })).toEqual([]);
    await drive(a.team.idle({ timeoutMs: 10_000 }));
    const seqs = await userSeqs(a.team, 'bob');
    expect(seqs).toEqual([1, 2, 3]);
    const users = (await a.team.history('bob'))
      .filter((m) => m.role === 'user')
      .map((m) => m.content);
    expect(users).toEqual(['claim:src/app.ts', 'first', 'second']);
    await drive(a.team.close());
  });

  it('an answer its dead host saved but never delivered is sent again by the new host', async () => {
    const { host, drive, clock } = cluster();
    const a = host('host-a');
    const b = host('host-b');
    await drive(b.team.spawn(worker, { name: 'bob' }));
    b.frozen.replies = true; // bob's run ends and is saved, its answer never reaches host-a
    let answered = false;
    const reply = a.team.send('bob', 'lost on the way').finally(() => (answered = true));
    await clock.advance(1_000);
    expect(answered).toBe(false);
    expect((await b.team.history('bob')).at(-1)).toMatchObject({
      content: 'bob got lost on the way',
    });
    b.kill();
    expect(await drive(reply)).toMatchObject({
      status: 'completed',
      text: 'bob got lost on the way',
    });
    expect(await userSeqs(a.team, 'bob')).toEqual([1]); // not run again
    await drive(a.team.close());
  });

  it('follows the events of an agent of another host while asked, and only then', async () => {
    const { host, drive, clock, shared } = cluster();
    const a = host('host-a');
    const b = host('host-b');
    await drive(b.team.spawn(worker, { name: 'bob' }));
    const seen: string[] = [];
    const following = (async () => {
      for await (const event of a.team.follow('bob', { forMs: 5_000 })) seen.push(event.type);
    })();
    await clock.advance(10); // host-b takes the request
    await drive(a.team.send('bob', 'watched'));
    await drive(following);
    expect(seen).toContain('run.started');
    expect(seen).toContain('run.finished');
    // Once the follow ran out, host-b copies nothing to the bus.
    const posts = vi.spyOn(shared.bus, 'post');
    await drive(a.team.send('bob', 'not watched'));
    expect(posts.mock.calls.filter(([topic]) => topic.startsWith('events:'))).toEqual([]);
    expect(posts.mock.calls.length).toBeGreaterThan(0);
    await expect(async () => {
      for await (const _ of a.team.follow('nobody')) break;
    }).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await drive(Promise.all([a.team.close(), b.team.close()]));
  });

  it('a host thought dead stops its copy of an agent another host took over', async () => {
    const { host, drive, clock, shared } = cluster();
    const a = host('host-a');
    const b = host('host-b');
    await drive(b.team.spawn(worker, { name: 'bob' }));
    await drive(a.team.spawn(worker, { name: 'ada' }));
    b.frozen.beats = true; // host-b runs on, but its lease runs out
    await clock.advance(HOST_TTL_MS + HOST_TTL_MS / 3 + 100);
    expect(shared.directory.lookup('bob')).toMatchObject({ host: 'host-a', generation: 2 });
    expect(b.team.agent('bob')).toBeDefined(); // its stale copy, until its next round
    b.frozen.beats = false;
    await clock.advance(HOST_TTL_MS / 3 + 100);
    expect(b.team.agent('bob')).toBeUndefined();
    expect(a.team.agents().find((x) => x.name === 'bob')).toMatchObject({ host: 'host-a' });
    expect(shared.directory.lookup('bob')).toMatchObject({ host: 'host-a' });
    await drive(Promise.all([a.team.close(), b.team.close()]));
  });

  it('refuses a distributed team without an id or a store', () => {
    const clock = new SimulatedClock();
    const base = {
      clock,
      bus: createBus({ clock }),
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
    };
    const directory = createMemoryDirectory({ clock });
    expect(() =>
      createTeam({ ...base, store: createMemorySessionStore(), distributed: { directory } }),
    ).toThrow(/team id/);
    expect(() => createTeam({ ...base, id: 'x', distributed: { directory } })).toThrow(/store/);
    expect(() =>
      createTeam({
        ...base,
        id: 'x',
        store: createMemorySessionStore(),
        distributed: { directory, hostTtlMs: -1 },
      }),
    ).toThrow(/hostTtlMs/);
  });
});
