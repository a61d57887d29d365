import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTroupeError, SimulatedClock } from '@troupe/core';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createHashEmbedder,
  createInMemoryStore,
  createSqliteStore,
  memoryTools,
} from '../src/index.js';

describe('createSqliteStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'troupe-memory-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps entries, vectors and access times across a reopen', async () => {
    const path = join(dir, 'memory.db');
    const clock = new SimulatedClock(100);
    const embedder = createHashEmbedder({ dimensions: 32 });
    const first = createSqliteStore({ clock, path, embedder });
    const added = await first.add({
      id: 'a',
      content: 'the release train leaves at noon',
      scope: { team: 't' },
    });
    await first.add({ id: 'b', content: 'lunch is at one', scope: { team: 't' } });
    await clock.advance(50);
    await first.search({ text: 'release train' });
    await first.close();

    const second = createSqliteStore({ clock, path, embedder });
    const again = await second.get('a');
    expect(again).toMatchObject({
      content: added.content,
      scope: { team: 't' },
      accessedAt: 150,
      accessCount: 1,
    });
    expect(Array.from(again!.embedding!)).toEqual(Array.from(added.embedding!));
    // Vector search works from the reloaded matrix alone (no keyword overlap with 'a').
    const [hit] = await second.search({ embedding: added.embedding!, scope: { team: 't' } });
    expect(hit?.entry.id).toBe('a');
    expect(hit?.vectorRank).toBe(1);
    await second.close();
  });

  it('journals in WAL mode and stores embeddings as BLOBs with their norm', async () => {
    const path = join(dir, 'wal.db');
    const store = createSqliteStore({ clock: new SimulatedClock(), path, dimensions: 2 });
    await store.add({ id: 'v', content: 'x', embedding: new Float32Array([3, 4]) });
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const row = db
      .prepare(
        'SELECT v.embedding, v.norm FROM memory_vectors v JOIN memories m ON m.seq = v.seq WHERE m.id = ?',
      )
      .get('v') as {
      embedding: Buffer;
      norm: number;
    };
    db.close();
    expect(row.norm).toBe(5);
    expect(Array.from(new Float32Array(new Uint8Array(row.embedding).buffer))).toEqual([3, 4]);
  });

  it('refuses to reopen with a different vector length', async () => {
    const path = join(dir, 'dims.db');
    const store = createSqliteStore({ clock: new SimulatedClock(), path });
    await store.add({ content: 'x', embedding: new Float32Array([1, 0]) });
    await store.close();
    let error: unknown;
    try {
      createSqliteStore({ clock: new SimulatedClock(), path, dimensions: 3 });
    } catch (e) {
      error = e;
    }
    expect(isTroupeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses to reopen with an embedder of a different length', async () => {
    const path = join(dir, 'embedder.db');
    const store = createSqliteStore({
      clock: new SimulatedClock(),
      path,
      embedder: createHashEmbedder({ dimensions: 16 }),
    });
    await store.add({ content: 'embedded' });
    await store.close();
    expect(() =>
      createSqliteStore({
        clock: new SimulatedClock(),
        path,
        embedder: createHashEmbedder({ dimensions: 32 }),
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('refuses a database written by a newer schema', async () => {
    const path = join(dir, 'future.db');
    await createSqliteStore({ clock: new SimulatedClock(), path }).close();
    const db = new Database(path);
    db.prepare("UPDATE memory_meta SET value = '99' WHERE key = 'schema'").run();
    db.close();
    expect(() => createSqliteStore({ clock: new SimulatedClock(), path })).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_VERSION' }),
    );
  });

  it('refuses a database of another schema without writing to it', async () => {
    const path = join(dir, 'future-untouched.db');
    await createSqliteStore({ clock: new SimulatedClock(), path }).close();
    const db = new Database(path);
    db.prepare("UPDATE memory_meta SET value = '99' WHERE key = 'schema'").run();
    db.exec('DROP TABLE memory_vectors');
    db.close();
    expect(() => createSqliteStore({ clock: new SimulatedClock(), path })).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_VERSION' }),
    );
    const after = new Database(path, { readonly: true });
    const tables = after
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'memory_vectors'")
      .all();
    after.close();
    expect(tables).toEqual([]);
  });

  it('an unopenable path is ERR_BACKEND_UNAVAILABLE', () => {
    expect(() =>
      createSqliteStore({ clock: new SimulatedClock(), path: join(dir, 'missing', 'x.db') }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BACKEND_UNAVAILABLE' }));
  });
});

describe('strict options (issue 12)', () => {
  it('refuses a misspelt store option naming it, in both stores and in memoryTools', () => {
    const clock = new SimulatedClock();
    const embedder = createHashEmbedder();
    const bad = { clock, embedder, halfLifeMS: 1_000 } as never;
    expect(() => createInMemoryStore(bad)).toThrow(/halfLifeMS is not a known option/);
    expect(() => createSqliteStore({ ...(bad as object), path: ':memory:' } as never)).toThrow(
      /halfLifeMS is not a known option/,
    );
    const store = createInMemoryStore({ clock, embedder });
    expect(() => memoryTools(store, { recallLimt: 3 } as never)).toThrow(/recallLimt/);
  });
});
