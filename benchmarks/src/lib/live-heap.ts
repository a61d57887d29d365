import { getHeapSnapshot } from 'node:v8';

/** Node types of a V8 heap snapshot that are not the program's data (JIT code, VM internals). */
const NOT_DATA = new Set(['code', 'hidden', 'synthetic', 'object shape']);

interface HeapSnapshotJson {
  readonly snapshot: { readonly meta: { node_fields: string[]; node_types: [string[]] } };
  readonly nodes: number[];
}

/**
 * Bytes of the live data on the V8 heap: the self sizes of every reachable object, array,
 * string and closure in a heap snapshot (taking one collects all garbage first), without JIT
 * code and VM internals. Unlike `heapUsed`, it does not swing by tens of KiB with compiled code
 * and garbage a GC left behind, so a difference of two readings is the data in between.
 */
export async function liveHeapBytes(): Promise<number> {
  const chunks: string[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(String(chunk));
  const { snapshot, nodes } = JSON.parse(chunks.join('')) as HeapSnapshotJson;
  const fields = snapshot.meta.node_fields;
  const types = snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const sizeAt = fields.indexOf('self_size');
  let bytes = 0;
  for (let i = 0; i < nodes.length; i += width) {
    if (!NOT_DATA.has(types[nodes[i + typeAt]!]!)) bytes += nodes[i + sizeAt]!;
  }
  return bytes;
}
