import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTroupeError } from '@troupe/core';
import { sampleSnapshot, sessionStoreContract } from '@troupe/core/testing';
import { createSqliteSessionStore, SCHEMA_VERSION } from '@troupe/sqlite';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'troupe-sqlite-'));
let files = 0;
const freshPath = (): string => join(dir, `store-${files++}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

sessionStoreContract('sqlite', () => createSqliteSessionStore({ path: freshPath() }));

sessionStoreContract('sqlite, inline checkpoints', () =>
  createSqliteSessionStore({ path: freshPath(), checkpoint: 'inline' }),
);

describe('createSqliteSessionStore', () => {
  it('checkpoints the WAL into the database file from its worker, not on writes', async () => {
    const path = freshPath();
    const store = createSqliteSessionStore({ path });
    const lines = Array.from({ length: 2_000 }, (_, i) => ({
      sessionId: `s${i % 4}`,
      type: 'tick',
      at: i,
      data: { i, pad: 'x'.repeat(100) },
    }));
    await store.appendLog(lines);
    const before = statSync(path).size;
    await store.checkpoint();
    expect(statSync(path).size).toBeGreaterThan(before + 100_000);
    expect(await store.readLog({ afterSeq: 1_999 })).toHaveLength(1);
    await store.close();
  });

  it('keeps snapshots, history and log across a close and reopen', async () => {
    const path = freshPath();
    const first = createSqliteSessionStore({ path });
    await first.saveSnapshot(sampleSnapshot({ historyLength: 1 }));
    await first.appendHistory('s1', 0, [{ role: 'user', content: 'hello' }]);
    await first.appendLog([{ sessionId: 's1', type: 'turn.ended', at: 5, data: { turn: 1 } }]);
    await first.close();

    const second = createSqliteSessionStore({ path });
    expect(await second.loadSnapshot('s1')).toEqual(sampleSnapshot({ historyLength: 1 }));
    expect(await second.loadHistory('s1')).toEqual([{ role: 'user', content: 'hello' }]);
    expect(await second.readLog()).toEqual([
      { seq: 1, sessionId: 's1', type: 'turn.ended', at: 5, data: { turn: 1 } },
    ]);
    await second.close();
  });

  it('keeps log session ids right when two connections write the same file', async () => {
    const path = freshPath();
    const a = createSqliteSessionStore({ path });
    const b = createSqliteSessionStore({ path });
    const line = (sessionId: string, type: string) => ({ sessionId, type, at: 1, data: null });
    await a.appendLog([line('x', 'a1')]);
    await b.appendLog([line('y', 'b1'), line('x', 'b2')]);
    await a.appendLog([line('y', 'a2')]);
    for (const store of [a, b]) {
      expect((await store.readLog()).map((l) => `${l.sessionId}:${l.type}`)).toEqual([
        'x:a1',
        'y:b1',
        'x:b2',
        'y:a2',
      ]);
      expect((await store.readLog({ sessionId: 'y' })).map((l) => l.type)).toEqual(['b1', 'a2']);
    }
    await a.close();
    await b.close();
  });

  it('opens the database in WAL mode', async () => {
    const path = freshPath();
    const store = createSqliteSessionStore({ path });
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    await store.close();
  });

  it('refuses a database written by a newer schema with ERR_UNKNOWN_VERSION', () => {
    const path = freshPath();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let caught: unknown;
    try {
      createSqliteSessionStore({ path });
    } catch (error) {
      caught = error;
    }
    expect(isTroupeError(caught, 'ERR_UNKNOWN_VERSION')).toBe(true);
    expect((caught as Error).message).toContain(`version ${SCHEMA_VERSION + 1}`);
  });

  it('rejects bad options naming the option', () => {
    const attempt = (options: object) => {
      try {
        createSqliteSessionStore(options as never);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const noPath = attempt({});
    expect(isTroupeError(noPath, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((noPath as Error).message).toContain('options.path');
    expect((attempt({ path: freshPath(), synchronous: 'OFF' }) as Error).message).toContain(
      'options.synchronous',
    );
    expect((attempt({ path: freshPath(), busyTimeoutMs: -1 }) as Error).message).toContain(
      'options.busyTimeoutMs',
    );
    expect((attempt({ path: freshPath(), checkpoint: 'never' }) as Error).message).toContain(
      'options.checkpoint',
    );
  });

  it('refuses a misspelt option naming it, before opening anything (issue 12)', () => {
    const path = freshPath();
    expect(() => createSqliteSessionStore({ path, busyTimeoutMS: 10 } as never)).toThrowError(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('options.busyTimeoutMS'),
      }),
    );
    expect(() => statSync(path)).toThrow();
  });

  it('reports a database it cannot open as ERR_BACKEND_UNAVAILABLE', () => {
    let caught: unknown;
    try {
      createSqliteSessionStore({ path: join(dir, 'missing-dir', 'x', 'store.db') });
    } catch (error) {
      caught = error;
    }
    expect(isTroupeError(caught, 'ERR_BACKEND_UNAVAILABLE')).toBe(true);
  });
});
