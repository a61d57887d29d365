import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

// Runs test/fixtures/persistence-log/writer.js against the built dist: build first
// (`npx turbo run build --output-logs=errors-only`).
const here = dirname(fileURLToPath(import.meta.url));
const writer = join(here, 'fixtures', 'persistence-log', 'writer.js');
const dir = mkdtempSync(join(tmpdir(), 'troupe-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FLUSH_INTERVAL_MS = 100;

interface Progress {
  appended: number;
  durable: number;
}

/** Starts the writer and resolves once it has reported `flushes` durable flushes. */
function startWriter(
  path: string,
  flushes: number,
): { child: ChildProcess; progress: Progress; ready: Promise<void> } {
  const child = spawn(process.execPath, [writer, path, String(FLUSH_INTERVAL_MS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const progress: Progress = { appended: 0, durable: 0 };
  let seen = 0;
  let rest = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, value] = line.split(' ');
        if (kind === 'a') progress.appended = Number(value);
        if (kind === 'f') {
          progress.durable = Number(value);
          if (++seen === flushes) resolve();
        }
      }
    });
  });
  return { child, progress, ready };
}

const exited = (
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
    } else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

const check = (n: number): string => (Math.imul(n, 2654435761) >>> 0).toString(16);

/** Opens the database as the next process would and checks every row is whole and in order. */
function readBack(path: string): number {
  const db = new Database(path);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = db
      .prepare(
        'SELECT l.seq, s.session_id, l.type, l.data FROM log l JOIN sessions s ON s.ref = l.session_ref ORDER BY l.seq',
      )
      .all() as {
      seq: number;
      session_id: string;
      type: string;
      data: string;
    }[];
    rows.forEach((row, i) => {
      const data = JSON.parse(row.data) as { n: number; payload: string; check: string };
      // Entry n is row n: nothing missing in the middle, nothing duplicated, nothing torn.
      expect(row.seq).toBe(i + 1);
      expect(data.n).toBe(i + 1);
      expect(data.check).toBe(check(data.n));
      expect(data.payload).toHaveLength(200);
      expect(row.session_id).toBe(`agent-${data.n % 4}`);
      expect(row.type).toBe('tool.called');
    });
    return rows.length;
  } finally {
    db.close();
  }
}

describe('session log in a process that dies', () => {
  it('killed with SIGKILL loses at most the entries after the last flush, and tears nothing', async () => {
    const path = join(dir, 'sigkill.db');
    const { child, progress, ready } = startWriter(path, 5);
    await ready;
    child.kill('SIGKILL');
    const { signal } = await exited(child);
    expect(signal).toBe('SIGKILL');
    const rows = readBack(path);
    // Everything reported durable survived; only the unflushed window can be missing.
    expect(rows).toBeGreaterThanOrEqual(progress.durable);
    expect(rows).toBeLessThanOrEqual(progress.appended);
  });

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`killed with ${signal} flushes everything, then exits with ${code}`, async () => {
      const path = join(dir, `${signal}.db`);
      const { child, progress, ready } = startWriter(path, 3);
      await ready;
      child.kill(signal);
      const result = await exited(child);
      expect(result.code).toBe(code);
      // No entry is appended after the signal handler runs: every appended entry must be there.
      expect(readBack(path)).toBe(progress.appended);
    });
  }
});
