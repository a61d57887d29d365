// The checkpoint thread's program: a connection of its own that runs a PASSIVE WAL checkpoint
// each time it is asked, and closes when told.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { lowerThreadPriority } from './thread-priority.js';

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker runs only as a worker thread');
lowerThreadPriority();
const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new Database(path, { timeout: busyTimeoutMs });

port.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'close') {
    db.close();
    port.close();
    return;
  }
  let error: string | undefined;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (caught) {
    error = String((caught as Error | null)?.message ?? caught);
  }
  port.postMessage(error === undefined ? { ok: true } : { ok: false, error });
});
