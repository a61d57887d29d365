// Structured output, the inspection observer, and the refusals of bad input to the
// message-driven API.
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  type ModelRequest,
  SimulatedClock,
  type Team,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { z } from 'zod';

const verdict = z.object({ ok: z.boolean(), reason: z.string() });

let team: Team | undefined;
afterEach(async () => {
  await team?.close();
  team = undefined;
});

function makeTeam(extra: Partial<Parameters<typeof createTeam>[0]> = {}): Team {
  const clock = new SimulatedClock();
  team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
    ...extra,
  });
  return team;
}

function judge(answers: string[], outputRetries?: number) {
  const model = scriptedModel({ steps: answers.map((text) => ({ text })) });
  const agent = defineAgent({
    name: 'judge',
    instructions: 'Answer with a verdict.',
    model,
    output: verdict,
    ...(outputRetries === undefined ? {} : { outputRetries }),
  });
  return { model, agent };
}

describe('structured output', () => {
  it('parses a valid answer into result.output, typed from the schema', async () => {
    const t = makeTeam();
    const { agent, model } = judge(['{"ok":true,"reason":"fine"}']);
    const ref = await t.spawn(agent, { name: 'judge' });
    const result = await t.send(ref, 'Is it fine?');
    expect(result).toMatchObject({ status: 'completed', output: { ok: true, reason: 'fine' } });
    const ok: boolean | undefined = result.output?.ok; // typed from the schema
    expect(ok).toBe(true);
    const request = model.requests[0] as ModelRequest;
    expect(request.responseFormat).toMatchObject({ type: 'json_schema', name: 'judge' });
    expect(request.responseFormat?.schema).toMatchObject({ type: 'object' });
  });

  it('sends an invalid answer back with zod’s message and takes the repaired one', async () => {
    const t = makeTeam();
    const { agent, model } = judge(['{"ok":"yes"}', '```json\n{"ok":false,"reason":"no"}\n```']);
    await t.spawn(agent, { name: 'judge' });
    const result = await t.send('judge', 'Is it fine?');
    expect(result).toMatchObject({ status: 'completed', turns: 2, output: { ok: false } });
    const repair = model.requests[1]?.messages.at(-1);
    expect(repair?.role).toBe('user');
    expect(repair?.content).toContain('must be JSON matching the required schema');
    expect(repair?.content).toContain('ok');
  });

  it('fails the run with ERR_INVALID_OUTPUT once the retries are spent', async () => {
    const t = makeTeam();
    const { agent } = judge(['nope', 'still nope'], 1);
    await t.spawn(agent, { name: 'judge' });
    const result = await t.send('judge', 'Is it fine?');
    expect(result).toMatchObject({ status: 'failed', error: { code: 'ERR_INVALID_OUTPUT' } });
    // A bad answer is the model's fault, not a crash: the agent is not restarted.
    expect(t.agent('judge')).toMatchObject({ restarts: 0, state: 'done' });
  });

  it('refuses a schema that is not zod 4 and bad repair counts, changing nothing', () => {
    const model = scriptedModel({ steps: [] });
    expect(() =>
      defineAgent({ name: 'a', instructions: '', model, output: { parse() {} } as never }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() =>
      defineAgent({ name: 'a', instructions: '', model, output: verdict, outputRetries: -1 }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => defineAgent({ name: 'a', instructions: '', model, outputRetries: 1 })).toThrow(
      /needs an output schema/,
    );
  });
});

describe('inspection', () => {
  it('hands xstate’s inspection events of every agent actor to the team’s observer', async () => {
    const seen: InspectionEvent[] = [];
    const t = makeTeam({ inspect: (event) => seen.push(event) });
    await t.spawn(
      defineAgent({
        name: 'a',
        instructions: '',
        model: scriptedModel({ steps: [{ text: 'hi' }] }),
      }),
      { name: 'a' },
    );
    await t.send('a', 'hello');
    const types = seen
      .filter((e) => e.type === '@xstate.event')
      .map((e) => (e as { event: { type: string } }).event.type);
    expect(types).toEqual(expect.arrayContaining(['MAIL', 'LEASE_GRANTED', 'ANSWERED']));
  });
});

describe('bad input to the message-driven API', () => {
  const agent = () =>
    defineAgent({ name: 'a', instructions: '', model: scriptedModel({ steps: [] }) });

  it('refuses bad policies, bounds and options, naming them, and changes nothing', async () => {
    const model = scriptedModel({ steps: [] });
    const bad = [
      () => defineAgent({ name: 'a', instructions: '', model, whenBusy: 'later' as never }),
      () => defineAgent({ name: 'a', instructions: '', model, leaseTimeoutMs: -1 }),
      () => defineAgent({ name: 'a', instructions: '', model, maxTurn: 3 } as never),
      () => makeTeam({ whenBusy: 'sometimes' as never }),
      () => makeTeam({ leaseTimeoutMs: 0 }),
      () => makeTeam({ roles: 'reviewer' as never }),
      () => makeTeam({ limiterKeys: [] }),
      () => defineAgent({ name: 'a', instructions: '', model, limiterKeys: [''] }),
    ];
    for (const fn of bad)
      expect(fn).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    const t = makeTeam({ roles: [{ name: 'reviewer' }] });
    await expect(t.spawn(agent(), { name: 'a', role: 'Reviewer' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(t.spawn(agent(), { name: 'a', whenBusy: 'x' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(t.agents()).toEqual([]);
    await t.spawn(agent(), { name: 'a' });
    await expect(t.post('nobody', 'hi')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(t.send('a', 'hi', { from: '' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(t.run('a', 'hi', { until: 'forever' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(t.run('a', 'hi', { maxMs: -5 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(t.idle({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(await t.history('a')).toEqual([]);
  });

  it('bounds idle() by its timeout on the team’s clock', async () => {
    const clock = new SimulatedClock();
    const t = makeTeam({ clock });
    await t.spawn(
      defineAgent({
        name: 'slow',
        instructions: '',
        model: scriptedModel({ clock, latencyMs: 10_000, steps: [{ text: 'late' }] }),
      }),
      { name: 'slow' },
    );
    await t.post('slow', 'go');
    const idle = t.idle({ timeoutMs: 1_000 });
    const outcome = idle.then(
      () => 'idle',
      (error: { code: string }) => error.code,
    );
    await clock.advance(1_000);
    expect(await outcome).toBe('ERR_TIMEOUT');
    await clock.advance(9_000);
    await t.idle();
  });
});
