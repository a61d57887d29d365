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
  SimulatedClock,
  type TeamEventOf,
} from '@troupe/core';
import { createSqliteSessionStore } from '@troupe/sqlite';
import { afterAll, describe, expect, it } from 'vitest';

// Runs test/fixtures/approval-pause/team.js against the built dist: build core first
// (`npx tsc -p packages/core/tsconfig.build.json`).
const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures', 'approval-pause', 'team.js');
const OPERATOR = {
  module: new URL('./fixtures/approval-pause/agents.js', import.meta.url).href,
  export: 'operator',
};
const dir = mkdtempSync(join(tmpdir(), 'troupe-approval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Real time between looks at the database while the child works (not an assertion). */
const POLL_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (at most 10 s) until the child's saver has stored the pause in the snapshot. */
async function waitForStoredPause(path: string): Promise<void> {
  for (let i = 0; i < 10_000 / POLL_MS; i++) {
    const store = createSqliteSessionStore({ path });
    try {
      const snapshot = await store.loadSnapshot('approval-team/ops');
      if (snapshot?.context['approvals:pending'] !== undefined) return;
    } catch {
      // Not created yet.
    } finally {
      await store.close();
    }
    await sleep(POLL_MS);
  }
  throw new Error('the pause was never stored');
}

describe('a pause for approval survives the process', () => {
  it('is given after the process was killed, in a new team resumed from SQLite', async () => {
    const path = join(dir, 'approval.db');
    const child = spawn(process.execPath, [fixture, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_c, s) => resolve(s)),
    );
    const paused = await new Promise<string>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const line = chunk.toString();
        if (line.startsWith('paused')) resolve(line.trim());
      });
    });
    expect(paused).toBe('paused ops:1 deploy-1');
    await waitForStoredPause(path);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const clock = new SimulatedClock();
    const store = createSqliteSessionStore({ path });
    const writeErrors: unknown[] = [];
    const team = createTeam({
      clock,
      id: 'approval-team',
      store,
      onPersistenceError: (error) => writeErrors.push(error),
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
    });
    const requested: TeamEventOf<'tool.approval_requested'>[] = [];
    team.on('tool.approval_requested', (e) => requested.push(e));
    const finished: TeamEventOf<'run.finished'>[] = [];
    team.on('run.finished', (e) => finished.push(e));

    expect((await team.resume(OPERATOR)).map((a) => a.name)).toEqual(['ops']);
    // Paused again, the call still open (no synthetic result), announced once more.
    expect(team.agent('ops')?.state).toBe('awaitingApproval');
    expect(requested).toEqual([
      expect.objectContaining({
        runId: 'ops:1',
        callId: 'deploy-1',
        tool: 'deploy',
        arguments: { service: 'billing' },
      }),
    ]);
    expect((await team.history('ops')).map((m) => m.role)).toEqual(['user', 'assistant']);

    await team.approve('ops:1', 'deploy-1');
    await team.idle();
    expect(finished).toEqual([
      expect.objectContaining({ runId: 'ops:1', status: 'completed', turns: 2 }),
    ]);
    const history = await team.history('ops');
    expect(history.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(history[2]).toMatchObject({ toolCallId: 'deploy-1', content: 'deployed billing' });
    expect(history[3]).toMatchObject({ content: 'deployed billing' });
    expect(await team.context('ops')).toEqual({});
    await team.close();
    expect(writeErrors).toEqual([]);
    // The pause left the stored context with the turn that ran the approved call.
    expect((await store.loadSnapshot('approval-team/ops'))?.context).toEqual({});
    expect(await store.loadHistory('approval-team/ops')).toHaveLength(4);
    await store.close();
  });
});
