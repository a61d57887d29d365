/** The agent of the cross-process messaging benchmark: answers every message at once. */
import { defineAgent, type Model } from '@troupe/core';

const model: Model = {
  id: 'echo',
  generate: async () => ({
    text: 'ok',
    toolCalls: [],
    usage: { inputTokens: 1, outputTokens: 1 },
    stopReason: 'end',
  }),
};

export const echo = ({ name }: { name: string }) =>
  defineAgent({ name, instructions: '', model, maxTurns: 1 });
