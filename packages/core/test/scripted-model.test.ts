import { type ModelRequest, SimulatedClock } from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';
import * as doubles from '@troupe/core/testing/doubles';
import { describe, expect, it } from 'vitest';

const ask = (content: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: 'user', content }],
  tools: [],
  ...extra,
});

describe('scriptedModel', () => {
  it('is exported without a test runner from testing/doubles', () => {
    expect(doubles.scriptedModel).toBe(scriptedModel);
  });

  it('answers its steps in order, then an empty final answer', async () => {
    const model = scriptedModel({
      steps: [
        { toolCalls: [{ name: 'add', arguments: { a: 1 } }], usage: { inputTokens: 3 } },
        { text: 'done' },
      ],
    });
    const first = await model.generate(ask('hi'));
    expect(first).toMatchObject({
      text: '',
      stopReason: 'tool_calls',
      usage: { inputTokens: 3, outputTokens: 5 },
    });
    expect(first.toolCalls).toEqual([{ id: 'call_0', name: 'add', arguments: { a: 1 } }]);
    expect(await model.generate(ask('hi'))).toMatchObject({
      text: 'done',
      stopReason: 'end',
      toolCalls: [],
    });
    expect(await model.generate(ask('hi'))).toMatchObject({ text: '', stopReason: 'end' });
    expect(model.calls).toBe(3);
  });

  it('tells a script function the turn, the last user message and the last tool results', async () => {
    const seen: unknown[] = [];
    const model = scriptedModel({
      steps: (_request, call) => {
        seen.push({
          index: call.index,
          turn: call.turn,
          lastUser: call.lastUser,
          results: call.toolResults.map((m) => m.content),
        });
        return { text: 'ok' };
      },
    });
    await model.generate({
      tools: [],
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 't', arguments: {} }] },
        { role: 'tool', toolCallId: 'c1', name: 't', content: 'r1' },
      ],
    });
    expect(seen).toEqual([{ index: 0, turn: 1, lastUser: 'first', results: ['r1'] }]);
  });

  it('records every request with the messages as they were at the call', async () => {
    const model = scriptedModel({ steps: [{ text: 'a' }, { text: 'b' }] });
    const messages: ModelRequest['messages'][number][] = [{ role: 'user', content: 'one' }];
    await model.generate({ messages, tools: [] });
    messages.push({ role: 'user', content: 'two' });
    await model.generate({ messages, tools: [] });
    expect(model.requests.map((r) => r.messages.length)).toEqual([1, 2]);
  });

  it('records nothing with record: false', async () => {
    const model = scriptedModel({ steps: [{ text: 'a' }], record: false });
    await model.generate(ask('x'));
    expect(model.requests).toEqual([]);
  });

  it('answers after its latency on the clock', async () => {
    const clock = new SimulatedClock();
    const model = scriptedModel({ steps: [{ text: 'late' }], clock, latencyMs: 250 });
    let answered = false;
    const answer = model.generate(ask('x')).then((r) => {
      answered = true;
      return r;
    });
    await clock.advance(249);
    expect(answered).toBe(false);
    await clock.advance(1);
    expect((await answer).text).toBe('late');
  });

  it('rejects with ERR_ABORTED when aborted during its latency', async () => {
    const clock = new SimulatedClock();
    const model = scriptedModel({ steps: [{ text: 'late' }], clock, latencyMs: 100 });
    const controller = new AbortController();
    const answer = model.generate(ask('x', { signal: controller.signal }));
    controller.abort();
    await expect(answer).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(clock.pending()).toBe(0);
  });

  it('throws injected failures at the given calls', async () => {
    const model = scriptedModel({
      steps: [{ text: 'a' }, { text: 'b' }],
      failures: { at: [1], code: 'ERR_PROVIDER_RATE_LIMITED' },
    });
    await expect(model.generate(ask('x'))).resolves.toMatchObject({ text: 'a' });
    await expect(model.generate(ask('x'))).rejects.toMatchObject({
      code: 'ERR_PROVIDER_RATE_LIMITED',
    });
  });

  it('injects failures with a probability, the same ones for the same seed', async () => {
    const outcomes = async (seed: number) => {
      const model = scriptedModel({
        steps: () => ({ text: 'ok' }),
        failures: { probability: 0.5, seed },
      });
      const out: boolean[] = [];
      for (let i = 0; i < 40; i++)
        out.push(
          await model.generate(ask('x')).then(
            () => true,
            () => false,
          ),
        );
      return out;
    };
    const a = await outcomes(7);
    expect(await outcomes(7)).toEqual(a);
    expect(a.filter(Boolean).length).toBeGreaterThan(5);
    expect(a.filter((ok) => !ok).length).toBeGreaterThan(5);
  });

  it('rejects latency without a clock', () => {
    expect(() => scriptedModel({ steps: [], latencyMs: 10 })).toThrowError(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('streams a step’s deltas, in order and after its latency, to the request’s onDelta', async () => {
    const clock = new SimulatedClock();
    const model = scriptedModel({
      clock,
      latencyMs: 100,
      steps: [
        {
          text: 'hey',
          deltas: [
            { type: 'text', text: 'he' },
            { type: 'text', text: 'y' },
          ],
        },
      ],
    });
    const seen: string[] = [];
    const answer = model.generate(
      ask('hi', {
        onDelta: (d) => seen.push(`${clock.now()}:${d.type === 'text' ? d.text : ''}`),
      }),
    );
    expect(seen).toEqual([]);
    await clock.advance(100);
    expect((await answer).text).toBe('hey');
    expect(seen).toEqual(['100:he', '100:y']);
  });

  it('answers a step with deltas without streaming when the request has no onDelta', async () => {
    const model = scriptedModel({
      steps: [{ text: 'hey', deltas: [{ type: 'text', text: 'x' }] }],
    });
    expect((await model.generate(ask('hi'))).text).toBe('hey');
  });
});
