import { describe, expect, it } from 'vitest';
import type { BusBackend, WaitOptions } from '../src/backend/interfaces.js';
import { createBus, isMemoryBusWait } from '../src/bus/bus.js';
import { SimulatedClock } from '../src/clock.js';
import { mailboxStop } from '../src/team/mailbox-signal.js';

describe('mailbox stops', () => {
  it('knows an in-memory bus wait from a wrapper around it', () => {
    const bus = createBus({ clock: new SimulatedClock() });
    expect(isMemoryBusWait(bus.wait)).toBe(true);
    expect(isMemoryBusWait({ ...bus }.wait)).toBe(true);
    const wrapped: BusBackend = {
      ...bus,
      wait: <T>(topic: string, options?: WaitOptions) => bus.wait<T>(topic, options),
    };
    expect(isMemoryBusWait(wrapped.wait)).toBe(false);
    expect(isMemoryBusWait(undefined)).toBe(false);
    expect(mailboxStop(wrapped)).toBeInstanceOf(AbortController);
  });

  it('ends an in-memory wait with its reason and leaves no waiter', async () => {
    const bus = createBus({ clock: new SimulatedClock() });
    const stop = mailboxStop(bus);
    expect(stop).not.toBeInstanceOf(AbortController);
    const waiting = bus.wait('inbox:a', { afterSeq: 0, signal: stop.signal });
    expect(bus.waiters('inbox:a')).toBe(1);
    const reason = { mailbox: 'closed' };
    stop.abort(reason);
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_ABORTED', cause: reason });
    expect(bus.waiters()).toBe(0);
    expect(stop.signal.aborted).toBe(true);
    // Aborted: a later wait is refused at once, and a second abort changes nothing.
    await expect(bus.wait('inbox:a', { afterSeq: 0, signal: stop.signal })).rejects.toMatchObject({
      code: 'ERR_ABORTED',
    });
    stop.abort('again');
    expect(stop.signal.reason).toBe(reason);
  });

  it('wakes a wait on a post and keeps listening for the next one', async () => {
    const bus = createBus({ clock: new SimulatedClock() });
    const stop = mailboxStop(bus);
    const first = bus.wait('inbox:a', { afterSeq: 0, signal: stop.signal });
    await bus.post('inbox:a', { from: 'b', body: 'hi' });
    expect((await first).map((m) => m.body)).toEqual(['hi']);
    const second = bus.wait('inbox:a', { afterSeq: 1, signal: stop.signal });
    stop.abort('closed');
    await expect(second).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });
});
