import { createBus, createRateLimiter, SimulatedClock, systemClock } from '@troupe/core';
import { MAX_TIMER_MS } from '@troupe/core/backend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Node (and vitest's fake timers, which copy it) fires a setTimeout longer than 2^31 - 1 ms
// after about 1 ms. The system clock must wait out any delay itself (issue 12, item 3).
const THIRTY_DAYS = 30 * 24 * 3_600_000;

describe('systemClock with delays past 2^31 - 1 ms', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a 30-day timer after 30 days, not after 1 ms', () => {
    let firedAt: number | undefined;
    const start = Date.now();
    systemClock.setTimeout(() => {
      firedAt = Date.now() - start;
    }, THIRTY_DAYS);
    vi.advanceTimersByTime(5);
    expect(firedAt).toBeUndefined();
    vi.advanceTimersByTime(THIRTY_DAYS - 6);
    expect(firedAt).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(firedAt).toBe(THIRTY_DAYS);
  });

  it('clears a long timer in any link of its chain', () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => {
      fired = true;
    }, THIRTY_DAYS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 10);
    systemClock.clearTimeout(handle);
    vi.advanceTimersByTime(THIRTY_DAYS);
    expect(fired).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never fires an Infinity timer, and clears it', () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => {
      fired = true;
    }, Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(3 * MAX_TIMER_MS);
    expect(fired).toBe(false);
    systemClock.clearTimeout(handle);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps short timers exactly as before', () => {
    let fired = 0;
    systemClock.setTimeout(() => fired++, 10);
    const cleared = systemClock.setTimeout(() => fired++, 10);
    systemClock.clearTimeout(cleared);
    vi.advanceTimersByTime(10);
    expect(fired).toBe(1);
  });

  it('a limiter acquire with maxWaitMs of 30 days still waits (no 1 ms busy loop)', async () => {
    const limiter = createRateLimiter({
      clock: systemClock,
      rules: [{ key: 'team', budgetUsd: 1 }],
    });
    const spent = limiter.tryAcquire('team', { costUsd: 1 });
    expect(spent.ok).toBe(true);
    let outcome = 'pending';
    limiter.acquire('team', { maxWaitMs: THIRTY_DAYS }).then(
      () => {
        outcome = 'admitted';
      },
      (error: { code?: string }) => {
        outcome = error.code ?? 'error';
      },
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(outcome).toBe('pending');
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS);
    expect(outcome).toBe('ERR_RATE_LIMITED');
    await limiter.close();
  });

  it('a bus wait of 30 days waits 30 days', async () => {
    const bus = createBus({ clock: systemClock });
    let result: unknown;
    void bus.wait('t', { afterSeq: 0, timeoutMs: THIRTY_DAYS }).then((messages) => {
      result = messages;
    });
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS - 1);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toEqual([]);
  });
});

describe('SimulatedClock with an Infinity delay', () => {
  it('never fires it, counts it as pending until cleared, and runUntilIdle ignores it', async () => {
    const clock = new SimulatedClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, Number.POSITIVE_INFINITY);
    await clock.advance(1e15);
    await clock.runUntilIdle();
    expect(fired).toBe(false);
    expect(clock.pending()).toBe(1);
    clock.clearTimeout(handle);
    expect(clock.pending()).toBe(0);
  });
});
