// Starts a real `redis-server` for tests and benchmarks: a free loopback port, no persistence,
// stopped (and restartable on the same port) by its user. Callers that need Redis fail with a
// clear message when the binary is missing.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/**
 * A running test server.
 *
 * @example
 * ```ts
 * const server: TestRedisServer = await startRedisServer();
 * const state = createRedisSharedState({ redis: server.url, clock: systemClock });
 * ```
 */
export interface TestRedisServer {
  readonly port: number;
  readonly host: '127.0.0.1';
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /**
   * Sends a signal to the running server: `SIGSTOP` / `SIGCONT` freeze and thaw it,
   * `SIGKILL` is a crash (then `restart()` or `stop()`). No-op when it is not running.
   */
  kill(signal: NodeJS.Signals): void;
  /** Stops the server (SIGTERM, no save) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
  /**
   * Starts it again on the same port and waits until it answers PING: empty, or from the
   * last `SAVE` when started with a `dir`.
   */
  restart(): Promise<void>;
}

const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server';
// Real time is unavoidable here: we wait for a real process to come up.
const STARTUP_TIMEOUT_MS = 10_000;

/**
 * Throws a clear error when `redis-server` is not installed (`REDIS_SERVER_BIN` names another
 * binary).
 *
 * @example
 * ```ts
 * beforeAll(() => assertRedisServerInstalled());
 * ```
 */
export function assertRedisServerInstalled(): void {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `redis-server is not installed (tried "${BINARY}"): run \`apt-get install redis-server\` ` +
        '(.ci/run installs it) or set REDIS_SERVER_BIN',
    );
  }
}

/**
 * A loopback port the OS considers free right now.
 *
 * @example
 * ```ts
 * const port = await freePort(); // nothing listens there (yet)
 * ```
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true when a server on `port` answers `PING` (with `+PONG`, or `-NOAUTH` when it wants a password). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Options of {@link startRedisServer}.
 *
 * @example
 * ```ts
 * const server = await startRedisServer({ dir: mkdtempSync(join(tmpdir(), 'redis-')) });
 * ```
 */
export interface TestRedisServerOptions {
  /**
   * A directory for `dump.rdb`: the server loads it at every start, so `SAVE`, more writes,
   * then `restart()` brings the server back from an older snapshot. Nothing is saved unless
   * asked (`SAVE`), also not at shutdown. Default: no directory, nothing ever loaded.
   */
  readonly dir?: string;
  /** More `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  readonly args?: readonly string[];
}

function launch(port: number, options: TestRedisServerOptions): ChildProcess {
  const files = options.dir === undefined ? [] : ['--dir', options.dir, '--dbfilename', 'dump.rdb'];
  return spawn(
    BINARY,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
      ...files,
      ...(options.args ?? []),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(options.dir === undefined ? {} : { cwd: options.dir }),
    },
  );
}

async function waitUntilUp(child: ChildProcess, port: number): Promise<void> {
  let exited = false;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`redis-server on port ${port} exited at startup: ${stderr.trim()}`);
    if (await ping(port)) return;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(
    `redis-server on port ${port} did not answer PING within ${STARTUP_TIMEOUT_MS} ms`,
  );
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    // A server frozen with SIGSTOP only acts on the SIGTERM once it runs again.
    child.kill('SIGCONT');
  });
}

/**
 * Starts `redis-server` on a free loopback port with no persistence and waits until it
 * answers PING.
 *
 * @example
 * ```ts
 * const server = await startRedisServer();
 * const redis = new Redis(server.port, '127.0.0.1');
 * // ...
 * await server.stop();
 * ```
 */
export async function startRedisServer(
  options: TestRedisServerOptions = {},
): Promise<TestRedisServer> {
  assertRedisServerInstalled();
  let lastError: unknown;
  // Another process may grab the free port between the probe and the launch: retry a few times.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let child: ChildProcess | undefined = launch(port, options);
    try {
      await waitUntilUp(child, port);
    } catch (error) {
      lastError = error;
      await stopChild(child);
      continue;
    }
    const server: TestRedisServer = {
      port,
      host: '127.0.0.1',
      url: `redis://127.0.0.1:${port}`,
      kill: (signal) => {
        if (child !== undefined && child.exitCode === null && child.signalCode === null)
          child.kill(signal);
      },
      stop: async () => {
        const running = child;
        child = undefined;
        await stopChild(running);
      },
      restart: async () => {
        await stopChild(child);
        child = launch(port, options);
        await waitUntilUp(child, port);
      },
    };
    return server;
  }
  throw lastError instanceof Error ? lastError : new Error('could not start redis-server');
}
