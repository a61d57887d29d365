import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTroupeError, type SessionLogEntry } from '@troupe/core';
import { sampleSnapshot, sessionStoreContract } from '@troupe/core/testing';
import { createSqliteSessionStore } from '@troupe/sqlite';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { packEntries } from '../src/log-pack.js';
import { prepareDatabase } from '../src/schema.js';
import { WorkerWriter } from '../src/worker-writer.js';
import { InlineWriter } from '../src/writer.js';
import { Writes } from '../src/writes.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-sqlite-writer-'));
let files = 0;
const freshPath = (): string => join(dir, `store-${files++}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

sessionStoreContract('sqlite, inline writer', () =>
  createSqliteSessionStore({ path: freshPath(), writer: 'inline' }),
);

sessionStoreContract('sqlite, writer thread, synchronous=FULL', () =>
  createSqliteSessionStore({ path: freshPath(), synchronous: 'FULL' }),
);

const line = (i: number): SessionLogEntry => ({
  sessionId: `s${i % 3}`,
  type: 'tick',
  at: i,
  data: { i, text: `line ${i}` },
});

/** Runs `code` as an ES module in a fresh Node process; resolves with its exit code and output. */
function runNode(code: string): Promise<{ code: number | null; out: string }> {
  const sqliteDist = new URL('../dist/index.js', import.meta.url);
  const source = code.replaceAll('@troupe/sqlite', fileURLToPath(sqliteDist));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit in 20 s:\n${out}`));
    }, 20_000);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, out });
    });
  });
}

describe('createSqliteSessionStore: the writer thread', () => {
  it('keeps every write in call order across async, sync and history writes', async () => {
    const path = freshPath();
    const store = createSqliteSessionStore({ path });
    // Not awaited: the synchronous append must still land after them.
    const pending = [store.appendLog([line(1), line(2)]), store.appendLog([line(3)])];
    store.appendLogSync([line(4)]);
    pending.push(store.appendLog(Array.from({ length: 500 }, (_, i) => line(5 + i))));
    pending.push(store.appendHistory('s1', 0, [{ role: 'user', content: 'hi' }]));
    pending.push(store.saveSnapshot(sampleSnapshot({ historyLength: 1 })));
    await Promise.all(pending);
    expect((await store.readLog({ limit: 1_000 })).map((entry) => entry.at)).toEqual(
      Array.from({ length: 504 }, (_, i) => i + 1),
    );
    expect(await store.loadHistory('s1')).toEqual([{ role: 'user', content: 'hi' }]);
    await store.close();
  });

  it('round-trips a large batch of large entries (sent in pieces)', async () => {
    const store = createSqliteSessionStore({ path: freshPath() });
    const entries = Array.from({ length: 1_200 }, (_, i) => ({
      sessionId: `s${i % 7}`,
      type: i % 2 === 0 ? 'even' : 'odd\nline',
      at: i + 0.5,
      data: i % 5 === 0 ? null : { i, pad: 'x'.repeat(i % 3 === 0 ? 2_000 : 10), nl: 'a\nb' },
    }));
    await store.appendLog(entries);
    const stored = await store.readLog({ limit: 5_000 });
    expect(stored.map(({ sessionId, type, at, data }) => ({ sessionId, type, at, data }))).toEqual(
      entries,
    );
    await store.close();
  });

  it('has every write on disk once its promise resolves (another connection sees it)', async () => {
    const path = freshPath();
    const store = createSqliteSessionStore({ path });
    await store.appendLog([line(1)]);
    await store.saveSnapshot(sampleSnapshot());
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM log').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM snapshots').get()).toEqual({ n: 1 });
    db.close();
    await store.close();
  });

  it('refuses a history append past the end from the thread, writing nothing', async () => {
    const store = createSqliteSessionStore({ path: freshPath() });
    await store.appendHistory('s1', 0, [{ role: 'user', content: 'a' }]);
    const refused = store.appendHistory('s1', 3, [{ role: 'user', content: 'b' }]);
    await expect(refused).rejects.toSatisfy((error) =>
      isTroupeError(error, 'ERR_INVALID_ARGUMENT'),
    );
    // Writes batched with the refused one still commit.
    await Promise.all([
      store.appendHistory('s1', 1, [{ role: 'user', content: 'c' }]),
      store.appendHistory('s1', 9, [{ role: 'user', content: 'd' }]).catch(() => undefined),
      store.appendLog([line(1)]),
    ]);
    expect((await store.loadHistory('s1')).map((m) => m.content)).toEqual(['a', 'c']);
    expect(await store.readLog()).toHaveLength(1);
    await store.close();
  });

  it('refuses bad input before it reaches the thread, changing nothing', async () => {
    const store = createSqliteSessionStore({ path: freshPath() });
    const bad = { ...line(1), data: { n: 10n } } as unknown as SessionLogEntry;
    await expect(store.appendLog([line(0), bad])).rejects.toSatisfy((error) =>
      isTroupeError(error, 'ERR_INVALID_ARGUMENT'),
    );
    expect(() => store.appendLogSync([bad])).toThrow(/entries\[0\]\.data/);
    expect(await store.readLog()).toEqual([]);
    await store.close();
  });

  it('refuses a writer thread for an in-memory database, and a misspelt writer', () => {
    expect(() => createSqliteSessionStore({ path: ':memory:', writer: 'worker' })).toThrow(
      /options\.writer/,
    );
    expect(() =>
      createSqliteSessionStore({ path: freshPath(), writer: 'thread' as never }),
    ).toThrow(/options\.writer must be 'worker' or 'inline'/);
  });

  it('never keeps a process alive: it exits after close, and without one', async () => {
    const path = freshPath();
    const closed = await runNode(`
      import { createSqliteSessionStore } from '@troupe/sqlite';
      const store = createSqliteSessionStore({ path: ${JSON.stringify(path)} });
      await store.appendLog([{ sessionId: 's', type: 't', at: 1, data: {} }]);
      await store.close();
      console.log('closed');
    `);
    expect(closed).toEqual({ code: 0, out: 'closed\n' });
    const open = await runNode(`
      import { createSqliteSessionStore } from '@troupe/sqlite';
      const store = createSqliteSessionStore({ path: ${JSON.stringify(path)} });
      await store.appendLog([{ sessionId: 's', type: 't', at: 2, data: {} }]);
      console.log('written');
    `);
    expect(open).toEqual({ code: 0, out: 'written\n' });
    const store = createSqliteSessionStore({ path });
    expect((await store.readLog()).map((entry) => entry.at)).toEqual([1, 2]);
    await store.close();
    for (const checkpoint of ['worker', 'inline']) {
      const idle = await runNode(`
        import { createSqliteSessionStore } from '@troupe/sqlite';
        createSqliteSessionStore({ path: ${JSON.stringify(path)}, checkpoint: '${checkpoint}' });
        console.log('opened');
      `);
      expect(idle).toEqual({ code: 0, out: 'opened\n' });
    }
  });

  it('finishes writes already called when the process ends by itself', async () => {
    const path = freshPath();
    // Not awaited: the pending write holds the thread (and the process) until it commits.
    const result = await runNode(`
      import { createSqliteSessionStore } from '@troupe/sqlite';
      const store = createSqliteSessionStore({ path: ${JSON.stringify(path)} });
      void store.appendLog(Array.from({ length: 2000 }, (_, i) => ({ sessionId: 's', type: 't', at: i, data: { i } })));
    `);
    expect(result.code).toBe(0);
    const store = createSqliteSessionStore({ path });
    expect(await store.readLog({ limit: 5_000 })).toHaveLength(2_000);
    await store.close();
  });
});

describe('appendLogJson: log entries with their data as JSON text', () => {
  for (const writer of ['worker', 'inline'] as const) {
    it(`stores the text as the data, and refuses text that is not JSON (${writer} writer)`, async () => {
      const store = createSqliteSessionStore({ path: freshPath(), writer });
      await store.appendLogJson([
        { sessionId: 's1', type: 'a', at: 1, json: '{"n":1,"text":"x\\ny"}' },
        { sessionId: 's2', type: 'b', at: 2, json: ' [1, {"deep": [true]}]\n' },
      ]);
      const deep = `${'['.repeat(300)}${']'.repeat(300)}`;
      for (const json of ['{"n":', 'undefined', deep]) {
        await expect(
          store.appendLogJson([
            { sessionId: 's1', type: 'ok', at: 3, json: '1' },
            { sessionId: 's1', type: 'bad', at: 4, json },
          ]),
        ).rejects.toSatisfy(
          (error) =>
            isTroupeError(error, 'ERR_INVALID_ARGUMENT') &&
            /entries\[1\]\.json/.test(String(error)),
        );
      }
      await expect(
        store.appendLogJson([{ sessionId: '', type: 'a', at: 1, json: '1' }]),
      ).rejects.toSatisfy((error) => isTroupeError(error, 'ERR_INVALID_ARGUMENT'));
      expect(await store.readLog()).toEqual([
        { seq: 1, sessionId: 's1', type: 'a', at: 1, data: { n: 1, text: 'x\ny' } },
        { seq: 2, sessionId: 's2', type: 'b', at: 2, data: [1, { deep: [true] }] },
      ]);
      await store.close();
    });
  }
});

describe('WorkerWriter, when its thread dies', () => {
  it('runs what the thread did not commit, and every later write, on the main connection', async () => {
    const path = freshPath();
    const db = new Database(path);
    prepareDatabase(db, path, 'NORMAL');
    // A directory as the thread's database: it cannot open it, and dies at start.
    const writer = new WorkerWriter(
      {
        path: dir,
        busyTimeoutMs: 100,
        synchronous: 'NORMAL',
        autoCheckpointPages: 1_000,
        maxJsonDepth: 256,
      },
      new InlineWriter(new Writes(db, 256), undefined, () => db.pragma('wal_checkpoint(PASSIVE)')),
    );
    const first = writer.write({ kind: 'log', params: ['s', 'first', 1, '{}'] });
    const second = writer.write({
      kind: 'packedLog',
      packed: packEntries([
        { sessionId: 's', type: 'second', at: 2, data: { n: 2, text: 'two\nlines' } },
        { sessionId: 's', type: 'third', at: 3, data: undefined },
      ]),
    });
    await Promise.all([first, second]);
    await writer.write({
      kind: 'history',
      sessionId: 's',
      fromIndex: 0,
      texts: ['{"role":"user","content":"hi"}'],
    });
    await expect(
      writer.write({ kind: 'history', sessionId: 's', fromIndex: 5, texts: ['{}'] }),
    ).rejects.toThrow(/cannot append at 5/);
    await writer.idle();
    await writer.close();
    expect(db.prepare('SELECT type, data FROM log ORDER BY seq').all()).toEqual([
      { type: 'first', data: '{}' },
      { type: 'second', data: '{"n":2,"text":"two\\nlines"}' },
      { type: 'third', data: 'null' },
    ]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM history').get()).toEqual({ n: 1 });
    db.close();
  });
});
