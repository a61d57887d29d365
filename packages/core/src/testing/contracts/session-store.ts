import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTroupeError } from '../../errors.js';
import type { ChatMessage } from '../../model.js';
import {
  SESSION_FORMAT_VERSION,
  type SessionLogEntry,
  type SessionSnapshot,
  type SessionStore,
} from '../../session/types.js';

/**
 * Builds a valid snapshot for tests; override any field.
 *
 * @example
 * ```ts
 * await store.saveSnapshot(sampleSnapshot({ sessionId: 'a', revision: 2 }));
 * ```
 */
export function sampleSnapshot(overrides: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return {
    sessionId: 's1',
    agent: 'researcher',
    version: SESSION_FORMAT_VERSION,
    revision: 1,
    context: { topic: 'sqlite', notes: ['wal', 'normal'], nested: { depth: { n: 3 } } },
    usage: {
      requests: 1,
      inputTokens: 120,
      outputTokens: 30,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.0012,
    },
    historyLength: 0,
    updatedAt: 1_000,
    ...overrides,
  };
}

const user = (content: string): ChatMessage => ({ role: 'user', content });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * The contract every {@link SessionStore} must pass. `setup` returns a fresh, empty store per
 * test; the suite closes it afterwards.
 *
 * @example
 * ```ts
 * import { createMemorySessionStore } from '@troupe/core';
 * import { sessionStoreContract } from '@troupe/core/testing';
 *
 * sessionStoreContract('memory', () => createMemorySessionStore());
 * ```
 */
export function sessionStoreContract(
  name: string,
  setup: () => SessionStore | Promise<SessionStore>,
): void {
  describe(`SessionStore contract: ${name}`, () => {
    let store: SessionStore;
    beforeEach(async () => {
      store = await setup();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('snapshots', () => {
      it('loads undefined for a session never saved', async () => {
        expect(await store.loadSnapshot('nobody')).toBeUndefined();
      });

      it('round-trips a snapshot with nested context and usage', async () => {
        const snapshot = sampleSnapshot({ historyLength: 2 });
        await store.saveSnapshot(snapshot);
        expect(await store.loadSnapshot('s1')).toEqual(snapshot);
      });

      it('replaces a snapshot with one of a higher revision', async () => {
        await store.saveSnapshot(sampleSnapshot({ revision: 1 }));
        await store.saveSnapshot(sampleSnapshot({ revision: 2, context: { step: 2 } }));
        expect(await store.loadSnapshot('s1')).toMatchObject({ revision: 2, context: { step: 2 } });
      });

      it('never replaces a snapshot with an older revision', async () => {
        await store.saveSnapshot(sampleSnapshot({ revision: 5, context: { step: 5 } }));
        await store.saveSnapshot(sampleSnapshot({ revision: 3, context: { step: 3 } }));
        expect(await store.loadSnapshot('s1')).toMatchObject({ revision: 5, context: { step: 5 } });
      });

      it('never replaces a snapshot with an equal revision', async () => {
        await store.saveSnapshot(sampleSnapshot({ revision: 4, context: { first: true } }));
        await store.saveSnapshot(sampleSnapshot({ revision: 4, context: { second: true } }));
        expect((await store.loadSnapshot('s1'))?.context).toEqual({ first: true });
      });

      it('does not reflect mutations of the saved object', async () => {
        const context = { items: [1, 2] };
        await store.saveSnapshot(sampleSnapshot({ context }));
        context.items.push(3);
        expect((await store.loadSnapshot('s1'))?.context).toEqual({ items: [1, 2] });
      });

      it('keeps sessions apart', async () => {
        await store.saveSnapshot(sampleSnapshot({ sessionId: 'a', agent: 'alpha' }));
        await store.saveSnapshot(sampleSnapshot({ sessionId: 'b', agent: 'beta', revision: 9 }));
        expect((await store.loadSnapshot('a'))?.agent).toBe('alpha');
        expect((await store.loadSnapshot('b'))?.revision).toBe(9);
      });

      it('refuses to load an unknown format version with ERR_UNKNOWN_VERSION naming it', async () => {
        await store.saveSnapshot(sampleSnapshot({ version: SESSION_FORMAT_VERSION + 41 }));
        const error = await rejection(store.loadSnapshot('s1'));
        expect(isTroupeError(error, 'ERR_UNKNOWN_VERSION')).toBe(true);
        expect((error as Error).message).toContain(String(SESSION_FORMAT_VERSION + 41));
        expect((error as Error).message).toContain('s1');
      });

      it('rejects a malformed snapshot with ERR_INVALID_ARGUMENT and writes nothing', async () => {
        const bad = { ...sampleSnapshot(), sessionId: '' };
        expect(
          isTroupeError(await rejection(store.saveSnapshot(bad)), 'ERR_INVALID_ARGUMENT'),
        ).toBe(true);
        const noRevision = { ...sampleSnapshot(), revision: Number.NaN };
        expect(
          isTroupeError(await rejection(store.saveSnapshot(noRevision)), 'ERR_INVALID_ARGUMENT'),
        ).toBe(true);
        expect(await store.listSessions()).toEqual([]);
      });

      it('refuses a context JSON cannot hold (BigInt, cycle, function, too deep) and writes nothing (issue 12)', async () => {
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        let deep: unknown = 1;
        for (let i = 0; i < 4_175; i++) deep = [deep];
        for (const context of [{ n: 10n }, cyclic, { f: () => 1 }, { deep }]) {
          const snapshot = sampleSnapshot({ context: context as Record<string, unknown> });
          expect(
            isTroupeError(await rejection(store.saveSnapshot(snapshot)), 'ERR_INVALID_ARGUMENT'),
          ).toBe(true);
        }
        expect(await store.listSessions()).toEqual([]);
        await store.saveSnapshot(sampleSnapshot());
        expect(await store.listSessions()).toHaveLength(1);
      });

      it('lists the sessions that have a snapshot, sorted', async () => {
        await store.saveSnapshot(sampleSnapshot({ sessionId: 'b' }));
        await store.saveSnapshot(sampleSnapshot({ sessionId: 'a' }));
        await store.appendHistory('history-only', 0, [user('hi')]);
        expect(await store.listSessions()).toEqual(['a', 'b']);
      });
    });

    describe('history', () => {
      it('loads an empty history for an unknown session', async () => {
        expect(await store.loadHistory('nobody')).toEqual([]);
      });

      it('appends in order and loads from a position', async () => {
        await store.appendHistory('s1', 0, [user('a'), user('b')]);
        await store.appendHistory('s1', 2, [
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 't1', name: 'claim', arguments: { r: 'x' } }],
          },
          { role: 'tool', toolCallId: 't1', name: 'claim', content: 'ok' },
        ]);
        const all = await store.loadHistory('s1');
        expect(all.map((m) => m.role)).toEqual(['user', 'user', 'assistant', 'tool']);
        expect(all[2]).toEqual({
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 't1', name: 'claim', arguments: { r: 'x' } }],
        });
        expect(await store.loadHistory('s1', 3)).toEqual([
          { role: 'tool', toolCallId: 't1', name: 'claim', content: 'ok' },
        ]);
      });

      it('ignores a retried append of positions already stored', async () => {
        await store.appendHistory('s1', 0, [user('a'), user('b')]);
        await store.appendHistory('s1', 0, [user('a'), user('b')]);
        expect(await store.loadHistory('s1')).toEqual([user('a'), user('b')]);
      });

      it('keeps stored positions and adds only the new tail of an overlapping append', async () => {
        await store.appendHistory('s1', 0, [user('a'), user('b')]);
        await store.appendHistory('s1', 1, [user('B?'), user('c')]);
        expect(await store.loadHistory('s1')).toEqual([user('a'), user('b'), user('c')]);
      });

      it('refuses a message JSON cannot hold and writes nothing of the append (issue 12)', async () => {
        const bad = {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'c', name: 'x', arguments: { n: 1n } }],
        };
        const error = await rejection(store.appendHistory('s1', 0, [user('a'), bad as never]));
        expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
        expect(await store.loadHistory('s1')).toEqual([]);
      });

      it('rejects an append past the end (a gap) with ERR_INVALID_ARGUMENT and writes nothing', async () => {
        await store.appendHistory('s1', 0, [user('a')]);
        const error = await rejection(store.appendHistory('s1', 3, [user('d')]));
        expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
        expect(await store.loadHistory('s1')).toEqual([user('a')]);
      });

      it('rejects a negative or fractional position with ERR_INVALID_ARGUMENT', async () => {
        expect(
          isTroupeError(await rejection(store.appendHistory('s1', -1, [])), 'ERR_INVALID_ARGUMENT'),
        ).toBe(true);
        expect(
          isTroupeError(await rejection(store.loadHistory('s1', 0.5)), 'ERR_INVALID_ARGUMENT'),
        ).toBe(true);
      });

      it('keeps histories of different sessions apart', async () => {
        await store.appendHistory('a', 0, [user('a0')]);
        await store.appendHistory('b', 0, [user('b0'), user('b1')]);
        expect(await store.loadHistory('a')).toEqual([user('a0')]);
        expect(await store.loadHistory('b')).toHaveLength(2);
      });
    });

    describe('log', () => {
      it('assigns seq from 1, strictly increasing, in append order', async () => {
        await store.appendLog([entry('a', 'one'), entry('b', 'two')]);
        await store.appendLog([entry('a', 'three')]);
        const lines = await store.readLog();
        expect(lines.map((l) => [l.seq, l.type])).toEqual([
          [1, 'one'],
          [2, 'two'],
          [3, 'three'],
        ]);
        expect(lines[0]).toEqual({ seq: 1, sessionId: 'a', type: 'one', at: 10, data: { n: 1 } });
      });

      it('reads one session, after a seq, up to a limit', async () => {
        await store.appendLog([
          entry('a', 'a1'),
          entry('b', 'b1'),
          entry('a', 'a2'),
          entry('a', 'a3'),
        ]);
        expect((await store.readLog({ sessionId: 'a' })).map((l) => l.type)).toEqual([
          'a1',
          'a2',
          'a3',
        ]);
        expect((await store.readLog({ sessionId: 'a', afterSeq: 1 })).map((l) => l.type)).toEqual([
          'a2',
          'a3',
        ]);
        expect((await store.readLog({ afterSeq: 1, limit: 2 })).map((l) => l.type)).toEqual([
          'b1',
          'a2',
        ]);
        expect(await store.readLog({ sessionId: 'nobody' })).toEqual([]);
      });

      it('refuses entry data JSON cannot hold and writes nothing of the batch (issue 12)', async () => {
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        for (const data of [{ n: 10n }, cyclic, [Symbol('s')]]) {
          const error = await rejection(
            store.appendLog([entry('a', 'fine'), { sessionId: 'a', type: 't', at: 1, data }]),
          );
          expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
        }
        expect(await store.readLog()).toEqual([]);
        await store.appendLog([entry('a', 'fine')]);
        expect(await store.readLog()).toHaveLength(1);
      });

      it('writes nothing when one entry of a batch is invalid', async () => {
        const bad = { sessionId: 'a', type: '', at: 1, data: null };
        const error = await rejection(store.appendLog([entry('a', 'fine'), bad]));
        expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
        expect(await store.readLog()).toEqual([]);
      });

      it('keeps the order and content of a large batch', async () => {
        const batch = Array.from({ length: 101 }, (_, i) => entry(`s${i % 3}`, `t${i}`, { i }));
        await store.appendLog(batch);
        const lines = await store.readLog();
        expect(lines.map((l) => [l.seq, l.sessionId, l.type, l.data])).toEqual(
          batch.map((e, i) => [i + 1, e.sessionId, e.type, { i }]),
        );
      });

      it('accepts an empty batch as a no-op', async () => {
        await store.appendLog([]);
        expect(await store.readLog()).toEqual([]);
      });

      it('round-trips data as JSON (undefined reads back as null)', async () => {
        await store.appendLog([
          entry('a', 'x', { list: [1, 'two', { three: 3 }] }),
          { sessionId: 'a', type: 'y', at: 10, data: undefined },
        ]);
        const [x, y] = await store.readLog();
        expect(x?.data).toEqual({ list: [1, 'two', { three: 3 }] });
        expect(y?.data).toBeNull();
      });

      it('appendLogSync, when offered, writes before returning', async () => {
        if (store.appendLogSync === undefined) return;
        store.appendLogSync([entry('a', 'sync')]);
        expect((await store.readLog()).map((l) => l.type)).toEqual(['sync']);
      });
    });

    describe('close', () => {
      it('is idempotent and makes later calls reject with ERR_CLOSED', async () => {
        await store.close();
        await store.close();
        expect(isTroupeError(await rejection(store.loadSnapshot('s1')), 'ERR_CLOSED')).toBe(true);
        expect(
          isTroupeError(await rejection(store.appendLog([entry('a', 'late')])), 'ERR_CLOSED'),
        ).toBe(true);
      });
    });
  });
}

function entry(sessionId: string, type: string, data: unknown = { n: 1 }): SessionLogEntry {
  return { sessionId, type, at: 10, data };
}
