import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseScenario,
  readEventLog,
  readEventLogWithHash,
  runSimulation,
  writeRunOutputs,
} from '@troupe/sim';
import { afterEach, describe, expect, it } from 'vitest';

const scenario = parseScenario({
  name: 'log',
  workload: { files: 5 },
  team: { agents: [{ name: 'dev', count: 2 }] },
});
let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('reading an event log back', () => {
  it('readEventLogWithHash returns the events and the hash the run printed, in one read', async () => {
    dir = await mkdtemp(join(tmpdir(), 'troupe-log-'));
    const result = await runSimulation({ scenario, seed: 3 });
    const files = await writeRunOutputs(dir, result);
    const { events, sha256 } = await readEventLogWithHash(files.events);
    expect(sha256).toBe(result.hash);
    expect(events).toEqual(await readEventLog(files.events));
    expect(events.length).toBe(result.eventCount);
  });

  it('names the file and line of a line that is not an event, and a missing file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'troupe-log-'));
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, '{"t":0,"team":0,"type":"run.started"}\n{"nope":1}\n');
    await expect(readEventLogWithHash(path)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: `${path}:2: not a simulation event`,
    });
    await expect(readEventLogWithHash(join(dir, 'missing.jsonl'))).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
  });
});
