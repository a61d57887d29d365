import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  RESUMED_TOOL_RESULT,
  SimulatedClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { createSqliteSessionStore } from '@troupe/sqlite';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

// Runs test/fixtures/persistence-resume/agent.js against the built dist: build first
// (`npx turbo run build --output-logs=errors-only`).
const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures', 'persistence-resume', 'agent.js');
const dir = mkdtempSync(join(tmpdir(), 'troupe-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Real time between looks at the database while the child works (not an assertion). */
const POLL_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the child's saver has made the hanging call durable. */
async function waitForStoredCall(path: string): Promise<void> {
  for (;;) {
    try {
      const db = new Database(path, { readonly: true });
      const rows = db
        .prepare("SELECT message FROM history WHERE session_id = 'crash-team/ada'")
        .pluck()
        .all() as string[];
      db.close();
      if (rows.some((row) => row.includes('"hang-1"'))) return;
    } catch {
      // Not created yet.
    }
    await sleep(POLL_MS);
  }
}

describe('resume after a crash', () => {
  it('restarts an agent killed mid-turn from its stored session, closing the dangling call', async () => {
    const path = join(dir, 'crash.db');
    const child = spawn(process.execPath, [fixture, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_c, s) => resolve(s)),
    );
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('hanging')) resolve();
      });
    });
    await waitForStoredCall(path);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const clock = new SimulatedClock();
    const store = createSqliteSessionStore({ path });
    const team = createTeam({
      clock,
      id: 'crash-team',
      store,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
    });
    const model = scriptedModel({ steps: [{ text: 'resumed and done' }] });
    await team.spawn(defineAgent({ name: 'ada', instructions: 'Carry on.', model, tools: [] }), {
      name: 'ada',
    });

    const history = await team.history('ada');
    expect(history.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool']);
    expect(history[0]).toEqual({ role: 'user', content: 'first', seq: 1 }); // its mailbox position
    expect(history[4]).toEqual({
      role: 'tool',
      toolCallId: 'hang-1',
      name: 'hang',
      content: RESUMED_TOOL_RESULT,
      isError: true,
    });
    expect(await team.context('ada')).toEqual({ facts: ['first'] });
    expect(team.agent('ada')?.usage.requests).toBe(2);

    const result = await team.send('ada', 'go on');
    expect(result).toMatchObject({ status: 'completed', text: 'resumed and done' });
    expect(model.requests[0]?.messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'tool',
      'user',
    ]);
    await team.close();
    const stored = await store.loadHistory('crash-team/ada');
    expect(stored).toHaveLength(7);
    expect((await store.loadSnapshot('crash-team/ada'))?.historyLength).toBe(7);
    await store.close();
  });
});
