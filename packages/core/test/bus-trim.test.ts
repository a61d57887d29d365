import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  SimulatedClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';

/** The TroupeError code `fn`'s promise rejects with, or `undefined` when it resolves. */
async function rejectionCode(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

const post = (bus: ReturnType<typeof createBus>, topic: string, count: number) =>
  Promise.all(Array.from({ length: count }, (_, i) => bus.post(topic, { from: 'x', body: i })));

describe('bus.trim (memory)', () => {
  it('drops messages up to a seq without changing seqs; later reads and waits are unaffected', async () => {
    const bus = createBus({ clock: new SimulatedClock() });
    await post(bus, 't', 200);
    await bus.trim!('t', 150);
    const rest = await bus.read('t', { afterSeq: 150, limit: 100 });
    expect(rest.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 151 + i));
    // A read from before the trimmed seqs starts at the first message kept.
    const [first] = await bus.read('t', { afterSeq: 0, limit: 1 });
    expect(first!.seq).toBe(151);
    expect((await bus.post('t', { from: 'x', body: 'next' })).seq).toBe(201);
    const waited = await bus.wait('t', { afterSeq: 200, timeoutMs: 0 });
    expect(waited.map((m) => m.body)).toEqual(['next']);
  });

  it('keeps messages until a batch is due, and never trims past the last message', async () => {
    const bus = createBus({ clock: new SimulatedClock() });
    await post(bus, 't', 10);
    await bus.trim!('t', 5); // fewer than a batch: nothing dropped yet
    expect((await bus.read('t', { afterSeq: 0, limit: 1 }))[0]!.seq).toBe(1);
    await bus.trim!('t', 1_000); // beyond the last seq: counts as up to 10
    expect((await bus.post('t', { from: 'x', body: 'after' })).seq).toBe(11);
    await bus.trim!('missing', 3); // an unknown topic: nothing to do
  });

  it('refuses bad input with ERR_INVALID_ARGUMENT and changes nothing', async () => {
    const bus = createBus({ clock: new SimulatedClock() });
    await post(bus, 't', 100);
    for (const bad of [-1, 1.5, Number.NaN, '3' as never]) {
      expect(await rejectionCode(() => bus.trim!('t', bad))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(await rejectionCode(() => bus.trim!('', 3))).toBe('ERR_INVALID_ARGUMENT');
    expect((await bus.read('t', { afterSeq: 0, limit: 1 }))[0]!.seq).toBe(1);
    await bus.close();
    expect(await rejectionCode(() => bus.trim!('t', 3))).toBe('ERR_CLOSED');
  });

  it('a long-lived team keeps its mailboxes bounded: handled messages leave the bus', async () => {
    const clock = new SimulatedClock();
    const bus = createBus({ clock });
    const team = createTeam({
      clock,
      bus,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
    });
    const model = scriptedModel({ clock, steps: () => ({ text: 'noted' }) });
    await team.spawn(defineAgent({ name: 'ada', instructions: 'Note it.', model }), {
      name: 'ada',
    });
    for (let i = 1; i <= 500; i++) {
      const result = await team.send('ada', `message ${i}`);
      expect(result.status).toBe('completed');
    }
    const kept = await bus.read('inbox:ada', { afterSeq: 0, limit: 1_000 });
    expect(kept.length).toBeLessThanOrEqual(64);
    expect(kept.at(-1)!.seq).toBe(500);
    // Stopped and spawned again on the same bus: the cursor's message is still there, so the
    // agent goes on after it instead of handling anything twice.
    await team.stop('ada');
    await team.spawn(defineAgent({ name: 'ada', instructions: 'Note it.', model }), {
      name: 'ada',
    });
    expect((await team.send('ada', 'one more')).status).toBe('completed');
    await team.close();
  });
});
