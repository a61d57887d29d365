// The agent pool's worker thread: it runs the worker teams the coordinator starts on it (one per team
// placed here), each on its own port, until the thread ends.
import { parentPort } from 'node:worker_threads';
import type { WorkerMsg } from './protocol.js';
import { runWorkerTeam } from './worker-team.js';

parentPort?.on('message', (msg: WorkerMsg) => {
  // A worker team that fails past its own handling ends the thread (an unhandled rejection): the
  // coordinator then reports this worker's agents as failed.
  if (msg.t === 'team') void runWorkerTeam(msg.init);
});
