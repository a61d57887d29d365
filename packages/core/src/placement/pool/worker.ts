// The piscina worker entry. Piscina loads it with require() (require(esm) on Node 20.19+), while
// agent modules are loaded with import(): if this file statically imported core, the two loaders
// could race on the same modules (ERR_INTERNAL_ASSERTION). So it imports nothing statically and
// loads the host through import(), like everything else in the worker.
import type { HostInit } from './protocol.js';

/** Runs one host until the coordinator closes it (see host.ts). */
export default async function worker(init: HostInit): Promise<void> {
  const { runHost } = await import('./host.js');
  return runHost(init);
}
