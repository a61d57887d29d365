// The context option: validated strictly where it is given, the team's default filled in field
// by field, and the budget from the model's window when none is given.
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  modelWindow,
  SimulatedClock,
  TroupeError,
} from '@troupe/core';
import { describe, expect, it } from 'vitest';
import { contextTeam, honestModel } from './context-helpers.js';

const model = honestModel();
const agent = (context: unknown) =>
  defineAgent({ name: 'a', instructions: '', model, context: context as never });

function refused(make: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    make();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(TroupeError);
  expect((error as TroupeError).code).toBe('ERR_INVALID_ARGUMENT');
  expect((error as TroupeError).message).toMatch(message);
}

describe('context policy options', () => {
  it('refuses bad fields, naming them', () => {
    refused(() => agent('big'), /context must be an object/);
    refused(() => agent({ maxInputToken: 10 }), /unknown option "maxInputToken"/);
    refused(() => agent({ maxInputTokens: 0 }), /context\.maxInputTokens must be a positive/);
    refused(() => agent({ maxInputTokens: 1.5 }), /maxInputTokens/);
    refused(() => agent({ reserveOutputTokens: -1 }), /reserveOutputTokens/);
    refused(() => agent({ keepRatio: 1 }), /keepRatio must be a number between 0 and 1/);
    refused(() => agent({ tokenizer: 'cl100k' }), /tokenizer must be a function/);
    refused(() => agent({ promptCache: 'yes' }), /promptCache must be a boolean/);
    refused(() => agent({ summarize: 'always' }), /summarize must be a boolean or an object/);
    refused(() => agent({ summarize: { modle: model } }), /unknown option "modle"/);
    refused(() => agent({ summarize: { model: {} } }), /summarize\.model must implement Model/);
    refused(() => agent({ summarize: { maxTokens: 0 } }), /summarize\.maxTokens/);
    refused(() => agent({ pinned: { first: -1 } }), /pinned\.first must be a non-negative/);
    refused(() => agent({ pinned: { when: true } }), /pinned\.when must be a function/);
    expect(agent({ maxInputTokens: 8_000, pinned: { first: 1 } }).context).toEqual({
      maxInputTokens: 8_000,
      pinned: { first: 1 },
    });
  });

  it('refuses a bad team default, and functions in one a pool would have to copy', () => {
    const clock = new SimulatedClock();
    const base = {
      clock,
      state: createSharedState({ clock }),
      limiter: createRateLimiter({ clock, rules: [] }),
      bus: createBus({ clock }),
    };
    refused(() => createTeam({ ...base, context: { keepRatio: 2 } }), /context\.keepRatio/);
    refused(
      () =>
        createTeam({
          ...base,
          placement: { pool: { threads: 1 } },
          context: { tokenizer: (text) => text.length },
        }),
      /context\.tokenizer cannot reach pool workers/,
    );
  });

  it("fills the agent's policy from the team default, field by field", async () => {
    const seen = honestModel();
    const { team } = contextTeam(seen.id, {
      context: { maxInputTokens: 1_200, summarize: false },
    });
    await team.spawn(
      defineAgent({ name: 'd', instructions: '', model: seen, context: { pinned: { first: 1 } } }),
      { name: 'ada' },
    );
    for (let i = 1; i <= 60; i++) await team.send('ada', `message ${i} with a few words`);
    await team.close();
    // The team's budget and `summarize: false` hold (no summary call), the agent's pin too.
    expect(seen.calls.every((c) => c.kind === 'agent' && c.tokens <= 1_200)).toBe(true);
    expect(seen.calls.every((c) => c.messages[0]?.content === 'message 1 with a few words')).toBe(
      true,
    );
    expect(seen.calls.at(-1)?.messages[1]?.content).toMatch(/left out/);
  });

  it('knows the windows of common models by id', () => {
    expect(modelWindow('openai:gpt-4o-mini')).toEqual({ window: 128_000, maxOutput: 16_384 });
    expect(modelWindow('gpt-4o-2024-08-06')?.window).toBe(128_000);
    expect(modelWindow('anthropic:claude-sonnet-4-5')?.window).toBe(200_000);
    expect(modelWindow('openrouter:meta-llama/llama-3.1-70b-instruct')?.window).toBe(131_072);
    expect(modelWindow('scripted')).toBeUndefined();
  });
});
