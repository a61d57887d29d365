import { createRng, SimulatedClock, systemClock, TroupeError } from '@troupe/core';
import { describe, expect, it } from 'vitest';

describe('SimulatedClock', () => {
  it('starts at the given time and moves only when advanced', async () => {
    const clock = new SimulatedClock(1_000);
    expect(clock.now()).toBe(1_000);
    await clock.advance(250);
    expect(clock.now()).toBe(1_250);
  });

  it('fires timers in due order, ties in the order they were set, each at its due time', async () => {
    const clock = new SimulatedClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    await clock.advance(15);
    expect(fired).toEqual(['a@10']);
    await clock.advance(100);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(115);
  });

  it('fires timers set by timers within the same advance', async () => {
    const clock = new SimulatedClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 5);
    await clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it('lets promise continuations run before the next timer fires', async () => {
    const clock = new SimulatedClock();
    const order: string[] = [];
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    void (async () => {
      await sleep(10);
      order.push('after-first-sleep');
      await sleep(10);
      order.push('after-second-sleep');
    })();
    clock.setTimeout(() => order.push('timer@15'), 15);
    await clock.advance(30);
    expect(order).toEqual(['after-first-sleep', 'timer@15', 'after-second-sleep']);
  });

  it('never fires a cleared timer and counts pending timers', async () => {
    const clock = new SimulatedClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 10);
    expect(clock.pending()).toBe(1);
    clock.clearTimeout(handle);
    clock.clearTimeout(handle);
    expect(clock.pending()).toBe(0);
    await clock.advance(20);
    expect(fired).toBe(false);
  });

  it('runUntilIdle jumps to each timer until none is left', async () => {
    const clock = new SimulatedClock();
    let count = 0;
    const tick = () => {
      if (++count < 5) clock.setTimeout(tick, 1_000);
    };
    clock.setTimeout(tick, 1_000);
    await clock.runUntilIdle();
    expect(count).toBe(5);
    expect(clock.now()).toBe(5_000);
  });

  it('runUntilIdle refuses to spin forever', async () => {
    const clock = new SimulatedClock();
    const forever = () => clock.setTimeout(forever, 1);
    forever();
    await expect(clock.runUntilIdle({ maxTimers: 50 })).rejects.toMatchObject({
      code: 'ERR_TIMEOUT',
    });
  });

  it('rejects a negative or non-finite advance with ERR_INVALID_ARGUMENT', async () => {
    const clock = new SimulatedClock();
    await expect(clock.advance(-1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(clock.advance(Number.NaN)).rejects.toBeInstanceOf(TroupeError);
    expect(clock.now()).toBe(0);
  });
});

describe('systemClock', () => {
  it('reads real time', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
  });
});

describe('SimulatedClock with many cleared timers', () => {
  it('fires the live ones in due order, ties in the order set, however many were cleared', async () => {
    const clock = new SimulatedClock();
    const rng = createRng('clear-heavy');
    const fired: number[] = [];
    const expected: { due: number; id: number }[] = [];
    for (let round = 0; round < 20; round++) {
      const handles = [];
      for (let i = 0; i < 100; i++) {
        const id = round * 100 + i;
        const due = Math.floor(rng.next() * 50);
        handles.push({ id, due, handle: clock.setTimeout(() => fired.push(id), due) });
      }
      // Clear most of them, so the heap is rebuilt several times on the way.
      for (const timer of handles) {
        if (rng.next() < 0.8) clock.clearTimeout(timer.handle);
        else expected.push({ due: timer.due, id: timer.id });
      }
    }
    expect(clock.pending()).toBe(expected.length);
    await clock.advance(100);
    expected.sort((a, b) => a.due - b.due || a.id - b.id);
    expect(fired).toEqual(expected.map((timer) => timer.id));
    expect(clock.pending()).toBe(0);
  });
});
