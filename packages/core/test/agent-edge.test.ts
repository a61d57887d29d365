// Edge rules of agents and tools, inline (the shared suite covers both placements).
import {
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  defineTool,
  SimulatedClock,
  type ToolContext,
  toolResult,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeTeam } from './fixtures/harness.js';

type Setup = ReturnType<typeof makeTeam>;
const tool = (calls: { name: string; arguments?: unknown }[], text = 'done') =>
  scriptedModel({ steps: (_r, call) => (call.turn === 0 ? { toolCalls: calls } : { text }) });

describe('agent edge cases', () => {
  let current: Setup | undefined;
  afterEach(async () => {
    await current?.team.close();
    current = undefined;
  });

  it('aborts a timed-out tool’s signal with ERR_TIMEOUT', async () => {
    current = makeTeam('inline');
    const { team, clock } = current;
    let seen: unknown;
    const hang = defineTool({
      name: 'hang',
      description: 'Never finishes',
      input: z.object({}),
      timeoutMs: 100,
      run: (_input, ctx: ToolContext) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            seen = ctx.signal.reason;
            reject(ctx.signal.reason);
          });
        }),
    });
    await team.spawn(
      defineAgent({ name: 'a', instructions: '', model: tool([{ name: 'hang' }]), tools: [hang] }),
      { name: 'a' },
    );
    const run = team.send('a', 'go');
    await team.settled();
    await clock.advance(100);
    expect((await run).status).toBe('completed');
    expect(seen).toMatchObject({ code: 'ERR_TIMEOUT' });
  });

  it('arms no timeout timer for a tool that settles within a few microtasks', async () => {
    const clock = new SimulatedClock();
    let timersSet = 0;
    const counting = {
      now: () => clock.now(),
      setTimeout: (fn: () => void, ms: number) => {
        timersSet++;
        return clock.setTimeout(fn, ms);
      },
      clearTimeout: (handle: Parameters<SimulatedClock['clearTimeout']>[0]) =>
        clock.clearTimeout(handle),
    };
    current = makeTeam('inline', { clock, state: createSharedState({ clock }) });
    const team = createTeam({
      clock: counting,
      state: current.state,
      bus: current.bus,
      limiter: current.limiter,
    });
    const quick = defineTool({
      name: 'quick',
      description: 'Async but immediate',
      input: z.object({}),
      run: async () => 'ok',
    });
    await team.spawn(
      defineAgent({
        name: 'a',
        instructions: '',
        model: tool([{ name: 'quick' }, { name: 'claim_region', arguments: { resource: 'r' } }]),
        tools: [quick],
      }),
      { name: 'a' },
    );
    expect((await team.send('a', 'go')).status).toBe('completed');
    expect(timersSet).toBe(0);
    await team.close();
  });

  it('turns an update that cannot apply into an error result and keeps the context', async () => {
    current = makeTeam('inline');
    const { team } = current;
    // Only toolResult() carries updates: a plain object that looks like one is just a result.
    const lookalike = defineTool({
      name: 'lookalike',
      description: 'Returns a plain object',
      input: z.object({}),
      run: () => ({ result: 'x', updates: [{ op: 'set', key: 'n', value: 9 }] }),
    });
    const setNumber = defineTool({
      name: 'set_number',
      description: 'Sets n',
      input: z.object({}),
      run: async () => toolResult('ok', [{ op: 'set', key: 'n', value: 1 }]),
    });
    const appendToNumber = defineTool({
      name: 'append_n',
      description: 'Appends to n',
      input: z.object({}),
      run: async () => toolResult('ok', [{ op: 'append', key: 'n', value: 2 }]),
    });
    await team.spawn(
      defineAgent({
        name: 'a',
        instructions: '',
        model: tool([{ name: 'set_number' }, { name: 'append_n' }, { name: 'lookalike' }]),
        tools: [lookalike, setNumber, appendToNumber],
      }),
      { name: 'a' },
    );
    await team.send('a', 'go');
    const results = (await team.history('a')).filter((m) => m.role === 'tool');
    expect(results.map((m) => (m.role === 'tool' ? m.isError === true : null))).toEqual([
      false,
      true,
      false,
    ]);
    expect(results[1]?.content).toContain('Context update failed');
    expect(JSON.parse(results[2]?.content ?? '')).toMatchObject({ result: 'x' });
    expect(await team.context('a')).toEqual({ n: 1 });
  });

  it('answers a result that cannot be serialised with an error result', async () => {
    current = makeTeam('inline');
    const { team } = current;
    const big = defineTool({
      name: 'big',
      description: 'BigInt',
      input: z.object({}),
      run: () => ({ n: 1n }),
    });
    await team.spawn(
      defineAgent({ name: 'a', instructions: '', model: tool([{ name: 'big' }]), tools: [big] }),
      { name: 'a' },
    );
    await team.send('a', 'go');
    const [result] = (await team.history('a')).filter((m) => m.role === 'tool');
    expect(result).toMatchObject({ isError: true });
  });

  it('interrupts an agent waiting for its lease', async () => {
    const clock = new SimulatedClock();
    const limiter = createRateLimiter({
      clock,
      rules: [{ key: 'm', windowMs: 1_000, requests: 1 }],
    });
    current = makeTeam('inline', { clock, limiter, limiterKeys: ['m'] });
    const { team } = current;
    await team.spawn(
      defineAgent({
        name: 'a',
        instructions: '',
        model: scriptedModel({ steps: (_r, c) => ({ text: c.lastUser }) }),
      }),
      { name: 'a', whenBusy: 'interrupt' },
    );
    await team.send('a', 'first');
    const waiting = team.send('a', 'second');
    await team.settled();
    expect(team.agent('a')?.state).toBe('waitingForLease');
    const third = team.send('a', 'third');
    expect((await waiting).status).toBe('interrupted');
    await team.settled();
    await clock.advance(1_000);
    expect(await third).toMatchObject({ status: 'completed', text: 'third' });
    expect(limiter.usage('m').requests).toBe(1); // the interrupted wait took nothing
  });

  it('lists the team and times a wait for messages out with []', async () => {
    current = makeTeam('inline', { roles: [{ name: 'lead' }] });
    const { team, clock } = current;
    const model = tool([
      { name: 'list_team' },
      { name: 'wait_messages', arguments: { timeoutMs: 500 } },
    ]);
    await team.spawn(defineAgent({ name: 'a', instructions: '', model }), {
      name: 'a',
      role: 'lead',
    });
    await team.spawn(
      defineAgent({ name: 'b', instructions: '', model: scriptedModel({ steps: [] }) }),
      { name: 'b' },
    );
    const run = team.send('a', 'go');
    await team.settled();
    await clock.advance(500);
    await run;
    const [roster, waited] = (await team.history('a')).filter((m) => m.role === 'tool');
    expect(JSON.parse(roster?.content ?? '')).toEqual([
      { name: 'a', role: 'lead', state: 'runningTools' },
      { name: 'b', state: 'idle' },
    ]);
    expect(waited?.content).toBe('[]');
  });
});
