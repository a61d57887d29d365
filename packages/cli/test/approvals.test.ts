import { PassThrough } from 'node:stream';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  SimulatedClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { approveMode, decideApprovals } from '../src/approvals.js';

function setup() {
  const clock = new SimulatedClock();
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
  });
  const deploy = defineTool({
    name: 'deploy',
    description: 'Deploys',
    input: z.object({ service: z.string() }),
    needsApproval: true,
    run: ({ service }) => `deployed ${service}`,
  });
  const model = scriptedModel({
    steps: (_request, call) =>
      call.turn === 0
        ? {
            toolCalls: [
              { id: 'c1', name: 'deploy', arguments: { service: 'api' } },
              { id: 'c2', name: 'deploy', arguments: { service: 'db' } },
            ],
          }
        : { text: call.toolResults.map((r) => r.content).join(' | ') },
  });
  const agent = defineAgent({ name: 'ops', instructions: '', model, tools: [deploy] });
  return { team, agent };
}

describe('troupe run approvals', () => {
  it('picks the mode: --approve wins, else ask on a terminal, else reject', () => {
    expect(approveMode(undefined, true)).toBe('ask');
    expect(approveMode(undefined, false)).toBe('none');
    expect(approveMode('all', true)).toBe('all');
    expect(approveMode('none', true)).toBe('none');
    expect(() => approveMode('yes', false)).toThrowError(/--approve must be all or none/);
  });

  it('asks on the terminal one call at a time, showing the tool and its arguments', async () => {
    const { team, agent } = setup();
    await team.spawn(agent, { name: 'ops' });
    const input = new PassThrough();
    const err = new PassThrough();
    let asked = '';
    err.on('data', (chunk: Buffer) => {
      asked += chunk.toString();
      // Answer each question as it is asked: yes to the first, no to the second.
      if (asked.endsWith('[y/N] ')) input.write(asked.includes('call c2') ? 'n\n' : 'y\n');
    });
    const stop = decideApprovals(team, 'ask', false, { input, err });
    const result = await team.send('ops', 'deploy both');
    stop();
    expect(result.text).toBe('deployed api | Tool call rejected: not approved by the operator');
    expect(asked).toContain(
      'approve ops calling deploy {"service":"api"} (run ops:1, call c1)? [y/N] ',
    );
    expect(asked).toContain('(run ops:1, call c2)? [y/N] ');
    expect(asked.indexOf('call c1')).toBeLessThan(asked.indexOf('call c2'));
    await team.close();
  });
});
