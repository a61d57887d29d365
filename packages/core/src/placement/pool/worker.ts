// The agent pool's worker thread: it runs the hosts the coordinator starts on it (one per team
// placed here), each on its own port, until the thread ends.
import { parentPort } from 'node:worker_threads';
import { runHost } from './host.js';
import type { WorkerMsg } from './protocol.js';

parentPort?.on('message', (msg: WorkerMsg) => {
  // A host that fails past its own handling ends the thread (an unhandled rejection): the
  // coordinator then reports this worker's agents as failed.
  if (msg.t === 'host') void runHost(msg.init);
});
