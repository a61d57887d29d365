// One team on four OS processes and one redis-server: agent names unique team-wide, any
// process sends to any agent, and a process killed with SIGKILL mid-run has its agents taken
// over by the others, each message handled exactly once and the dead host's claims released.
// The children run the built packages: build core and redis first
// (`npx turbo run build --output-logs=errors-only`; `npm test` does).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { systemClock } from '@troupe/core';
import { createRedisBus, createRedisDirectory, createRedisSharedState } from '@troupe/redis';
import { startRedisServer, type TestRedisServer } from '@troupe/redis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const HOST = join(here, 'fixtures/redis-distributed/host.js');
const PROCESSES = 4;
const AGENTS_PER_PROCESS = Number(process.env.TROUPE_DISTRIBUTED_AGENTS ?? 25);
const HOST_TTL_MS = 3_000;
/** The model's latency in the children, ms: one turn. */
const TURN_MS = 50;
// Real processes and real time: a dead host's agents are taken over at most a heartbeat round
// (a third of the lease) after its lease ran out; spawning its agents again and their turns
// take the rest. The allowance covers 25 re-spawns on a loaded 2-core machine.
const TAKE_OVER_ALLOWANCE_MS = 4_000;

interface Reply {
  readonly id: number;
  readonly [field: string]: unknown;
}

class Host {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (reply: Reply) => void>();
  #next = 0;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(
    server: TestRedisServer,
    team: string,
    readonly hostId: string,
    readonly names: string[],
  ) {
    this.#child = spawn(
      process.execPath,
      [HOST, server.url, team, hostId, String(HOST_TTL_MS), names.join(',')],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, TROUPE_TEST_LATENCY_MS: String(TURN_MS) },
      },
    );
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    let onReady = (): void => {};
    this.exited = new Promise((resolve) => this.#child.on('exit', resolve));
    // A child that dies before it is ready fails the test with its stderr instead of hanging it.
    this.ready = new Promise((resolve, reject) => {
      onReady = resolve;
      void this.exited.then((code) =>
        reject(new Error(`${hostId} exited with ${code}: ${this.stderr}`)),
      );
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as Reply & { ready?: string };
      if (message.ready !== undefined) return onReady();
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
    });
  }

  call(command: Record<string, unknown>): Promise<Reply> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.stdin!.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

const started = Date.now();
/** How long the recovery may take before the test says what is missing. */
const DIAGNOSE_AFTER_MS = 20_000;

/** `work`, or after DIAGNOSE_AFTER_MS a report of `diagnose` and a failure. */
async function withDiagnosis<T>(work: Promise<T>, diagnose: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      diagnose().finally(() => reject(new Error(`not done after ${DIAGNOSE_AFTER_MS} ms`)));
    }, DIAGNOSE_AFTER_MS);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
/** Progress on stderr, so that a slow machine shows where the time went. */
const step = (what: string): void => {
  process.stderr.write(`[distributed ${Date.now() - started} ms] ${what}\n`);
};

let server: TestRedisServer;
beforeAll(async () => {
  for (const pkg of ['core', 'redis']) {
    if (!existsSync(join(here, `../packages/${pkg}/dist/index.js`))) {
      throw new Error(
        `packages/${pkg}/dist is missing: run \`npx turbo run build --output-logs=errors-only\` first`,
      );
    }
  }
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('a distributed team on four processes', () => {
  it('reaches any agent from any process, and resumes a killed host’s agents elsewhere, each message once', async () => {
    const team = 'crew';
    const hosts = Array.from(
      { length: PROCESSES },
      (_, p) =>
        new Host(
          server,
          team,
          `host-${p}`,
          Array.from({ length: AGENTS_PER_PROCESS }, (_, i) => `a${p}-${i}`),
        ),
    );
    try {
      await Promise.all(hosts.map((h) => h.ready));
      step(`${PROCESSES} hosts ready with ${AGENTS_PER_PROCESS} agents each`);
      const [first, second, , victim] = hosts as [Host, Host, Host, Host];

      // One name space: a second "a0-0", on another process, is refused.
      expect(await second.call({ op: 'spawn', name: 'a0-0' })).toMatchObject({
        ok: false,
        code: 'ERR_ALREADY_EXISTS',
      });

      // Any process to any agent: each host sends to one agent of every host (itself included).
      const sends = hosts.flatMap((from, p) =>
        hosts.map((to, q) => {
          const agent = to.names[(p * 7 + q) % AGENTS_PER_PROCESS]!;
          return from
            .call({ op: 'send', to: agent, text: `hello from ${p}` })
            .then((reply) => ({ agent, p, reply }));
        }),
      );
      for (const { agent, p, reply } of await Promise.all(sends)) {
        expect(reply).toMatchObject({
          status: 'completed',
          agent,
          text: `${agent} got hello from ${p}`,
        });
      }
      step('sends across hosts answered');
      // Other hosts' agents are listed as of this host's last heartbeat round (every third of the
      // lease): poll until the list is complete.
      let listed: { name: string; host: string }[] = [];
      for (let round = 0; round < 10 && listed.length < PROCESSES * AGENTS_PER_PROCESS; round++) {
        listed = (await first.call({ op: 'agents' })).agents as typeof listed;
        if (listed.length < PROCESSES * AGENTS_PER_PROCESS)
          await new Promise((resolve) => setTimeout(resolve, HOST_TTL_MS / 3));
      }
      expect(listed).toHaveLength(PROCESSES * AGENTS_PER_PROCESS);
      expect(listed.find((a) => a.name === 'a3-4')?.host).toBe('host-3');

      // Events of an agent of another host: host-0 follows a1-0 while host-2 sends to it.
      const followed = first.call({ op: 'follow', agent: 'a1-0', forMs: 1_500 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await hosts[2]!.call({ op: 'send', to: 'a1-0', text: 'watched' });
      const { types } = (await followed) as unknown as { types: string[] };
      expect(types).toEqual(expect.arrayContaining(['run.started', 'run.finished']));
      step('events followed across hosts');

      // The victim's agents hold claims.
      const claimed = await Promise.all(
        victim.names.map((agent) =>
          first.call({ op: 'send', to: agent, text: `claim:file-${agent}` }),
        ),
      );
      for (const reply of claimed) expect(reply).toMatchObject({ status: 'completed' });
      const state = createRedisSharedState({ redis: server.url, clock: systemClock, team });
      expect(await state.claims({ resource: `file-${victim.names[0]}` })).toHaveLength(1);

      step('claims held');
      // Mid-run: every victim agent has a task in flight (and a note behind it) when it dies.
      const inFlight = victim.names.map((agent) =>
        first.call({ op: 'send', to: agent, text: `task for ${agent}` }),
      );
      const notes = victim.names.map((agent) =>
        second.call({ op: 'send', to: agent, text: 'note' }),
      );
      await new Promise((resolve) => setTimeout(resolve, TURN_MS / 2));
      const killedAt = Date.now();
      victim.kill();
      await victim.exited;
      step('victim killed');
      const answers = await withDiagnosis(Promise.all(inFlight), async () => {
        const directory = createRedisDirectory({ redis: server.url, clock: systemClock, team });
        const bus = createRedisBus({ redis: server.url, clock: systemClock, team });
        for (const [i, agent] of victim.names.entries()) {
          const answered = await Promise.race([
            inFlight[i]!.then(() => true),
            Promise.resolve(false),
          ]);
          if (answered) continue;
          const entry = await directory.lookup(agent);
          const inbox = await bus.read(`inbox:${agent}`, { afterSeq: 0, limit: 100 });
          const owner = hosts.find((h) => h.hostId === entry?.host);
          const history =
            owner === undefined
              ? 'none'
              : JSON.stringify(await owner.call({ op: 'history', agent }));
          step(
            `unanswered ${agent}: ${JSON.stringify(entry)} inbox ${JSON.stringify(inbox.map((m) => [m.seq, m.body]))} history ${history}`,
          );
        }
        await Promise.all([directory.close(), bus.close()]);
      });
      const recoveredMs = Date.now() - killedAt;
      await Promise.all(notes);
      // A task and the note behind it may be answered by one run (a queue is handled in batches).
      for (const [i, reply] of answers.entries()) {
        const agent = victim.names[i]!;
        expect(reply).toMatchObject({ status: 'completed', agent });
        expect([`${agent} got task for ${agent}`, `${agent} got note`]).toContain(reply.text);
      }
      expect(recoveredMs).toBeLessThan(HOST_TTL_MS + HOST_TTL_MS / 3 + TAKE_OVER_ALLOWANCE_MS);
      console.log(`recovered ${victim.names.length} agents of a killed host in ${recoveredMs} ms`);

      // Every victim agent now lives on a survivor (generation 2); its claims are gone.
      const directory = createRedisDirectory({
        redis: server.url,
        clock: systemClock,
        team,
        hostTtlMs: HOST_TTL_MS,
      });
      const bus = createRedisBus({ redis: server.url, clock: systemClock, team });
      for (const agent of victim.names) {
        const entry = await directory.lookup(agent);
        expect(entry).toMatchObject({ generation: 2 });
        expect(entry!.host).not.toBe('host-3');
        expect(await state.claims({ agent })).toEqual([]);
        // Each message of its mailbox is in its history exactly once.
        const owner = hosts.find((h) => h.hostId === entry!.host)!;
        const { seqs } = (await owner.call({ op: 'history', agent })) as unknown as {
          seqs: number[];
        };
        const inbox = (await bus.read(`inbox:${agent}`, { afterSeq: 0, limit: 1_000 })).map(
          (m) => m.seq,
        );
        expect(seqs).toEqual(inbox);
      }
      await Promise.all([directory.close(), bus.close(), state.close()]);
    } catch (error) {
      for (const host of hosts) if (host.stderr !== '') step(`${host.hostId}: ${host.stderr}`);
      throw error;
    } finally {
      for (const host of hosts) host.kill();
    }
  }, 60_000);
});
