import {
  type ChatMessage,
  type Clock,
  createMemorySessionStore,
  type SessionLogEntry,
  type SessionSnapshot,
  type SessionStore,
  TroupeError,
} from '@troupe/core';
import { sampleSnapshot } from '@troupe/core/testing';

/** Counts of store calls, and a switch to make writes fail. */
export interface Instrumented {
  readonly store: SessionStore;
  readonly inner: SessionStore;
  readonly calls: {
    snapshots: number;
    history: number;
    log: number;
    inFlight: number;
    maxInFlight: number;
  };
  /** Fail the next `n` writes with ERR_BACKEND_UNAVAILABLE. */
  failNext(n: number): void;
}

/**
 * A memory store whose writes take `delayMs` on `clock` (the "slow store"), counting calls and
 * the most writes ever in flight at once. It offers no appendLogSync, like a remote store.
 */
export function instrumentedStore(clock: Clock, delayMs = 0): Instrumented {
  const inner = createMemorySessionStore();
  const calls = { snapshots: 0, history: 0, log: 0, inFlight: 0, maxInFlight: 0 };
  let failures = 0;
  const write = async <T>(
    kind: 'snapshots' | 'history' | 'log',
    work: () => Promise<T>,
  ): Promise<T> => {
    calls[kind]++;
    calls.inFlight++;
    calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
    try {
      if (delayMs > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, delayMs));
      if (failures > 0) {
        failures--;
        throw new TroupeError('ERR_BACKEND_UNAVAILABLE', 'store down');
      }
      return await work();
    } finally {
      calls.inFlight--;
    }
  };
  const store: SessionStore = {
    saveSnapshot: (s: SessionSnapshot) => write('snapshots', () => inner.saveSnapshot(s)),
    appendHistory: (id: string, from: number, m: readonly ChatMessage[]) =>
      write('history', () => inner.appendHistory(id, from, m)),
    appendLog: (entries: readonly SessionLogEntry[]) =>
      write('log', () => inner.appendLog(entries)),
    loadSnapshot: (id) => inner.loadSnapshot(id),
    loadHistory: (id, from) => inner.loadHistory(id, from),
    readLog: (q) => inner.readLog(q),
    listSessions: () => inner.listSessions(),
    close: () => inner.close(),
  };
  return {
    store,
    inner,
    calls,
    failNext: (n) => {
      failures = n;
    },
  };
}

export const snap = (
  revision: number,
  context: Record<string, unknown> = { step: revision },
  sessionId = 's1',
) => sampleSnapshot({ sessionId, revision, context, historyLength: revision });

export const msg = (content: string): ChatMessage => ({ role: 'user', content });
