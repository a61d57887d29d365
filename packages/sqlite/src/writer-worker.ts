// The writer thread's program: applies the store's writes on its own connection, committing
// whatever queued up while the last transaction ran in one transaction (each write in its own
// savepoint), so the main thread never waits for SQLite.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { InvalidLogText } from './log-pack.js';
import { lowerThreadPriority } from './thread-priority.js';
import type { WriteFailure, WriterInit, WriterReply, WriterRequest } from './writer-protocol.js';
import { HistoryGap, type WriteOp, Writes } from './writes.js';

/** Requests taken into one transaction at most (more when one message brings more). */
const MAX_BATCH = 512;

const port = parentPort;
if (port === null) throw new Error('writer-worker runs only as a worker thread');
lowerThreadPriority();
const init = workerData as WriterInit;
const settled = new BigInt64Array(init.settled);
const db = new Database(init.path, { timeout: init.busyTimeoutMs });
db.pragma(`synchronous = ${init.synchronous}`);
db.pragma(`wal_autocheckpoint = ${init.autoCheckpointPages}`);
const writes = new Writes(db, init.maxJsonDepth);

type Numbered = { readonly id: number; readonly op: WriteOp };

const commitAll = db.transaction(
  (ops: readonly Numbered[], failures: WriterReply['failures'][number][]) => {
    for (const { id, op } of ops) {
      try {
        writes.apply(op);
      } catch (error) {
        // SQLite rolls a whole transaction back on some errors (disk full, I/O): then nothing
        // of this batch is written, and the batch fails as one.
        if (!db.inTransaction) throw error;
        failures.push({ id, error: describe(error) });
      }
    }
  },
);

function describe(error: unknown): WriteFailure {
  if (error instanceof HistoryGap) {
    const { sessionId, fromIndex, length } = error;
    return { message: error.message, gap: { sessionId, fromIndex, length } };
  }
  if (error instanceof InvalidLogText) return { message: error.message, invalid: true };
  const code = (error as { code?: unknown } | null)?.code;
  return {
    message: String((error as Error | null)?.message ?? error),
    ...(typeof code === 'string' && { sqliteCode: code }),
  };
}

function reply(through: number, failures: WriterReply['failures']): void {
  Atomics.store(settled, 0, BigInt(through));
  Atomics.notify(settled, 0);
  port?.postMessage({ through, failures } satisfies WriterReply);
}

function commit(ops: Numbered[]): void {
  if (ops.length === 0) return;
  let failures: WriterReply['failures'][number][] = [];
  try {
    commitAll(ops, failures);
  } catch (error) {
    writes.rolledBack();
    const failure = describe(error);
    failures = ops.map(({ id }) => ({ id, error: failure }));
  }
  reply(ops[ops.length - 1]!.id, failures);
}

/** An explicit checkpoint (there is no checkpoint thread): on this thread's connection. */
function checkpoint(): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // A busy database, say: the next checkpoint retries; SQLite's own is the backstop.
  }
}

/** Runs the requests in order: writes batched up to a checkpoint, flush or close. */
function handle(requests: readonly WriterRequest[]): void {
  let ops: Numbered[] = [];
  for (const request of requests) {
    if ('op' in request) {
      ops.push(request);
      continue;
    }
    commit(ops);
    ops = [];
    if ('checkpoint' in request) checkpoint();
    if ('close' in request) {
      db.close();
      reply(request.id, []);
      port?.close();
      return;
    }
    reply(request.id, []);
  }
  commit(ops);
}

// Each message is the requests of one turn of the main thread's event loop. What queued up
// while the last transaction ran is taken along: one commit for all of it (group commit), and
// no wait for a writer that is idle.
port.on('message', (first: WriterRequest[]) => {
  const requests = first;
  while (requests.length < MAX_BATCH) {
    const next = receiveMessageOnPort(port);
    if (next === undefined) break;
    for (const request of next.message as WriterRequest[]) requests.push(request);
  }
  handle(requests);
});
