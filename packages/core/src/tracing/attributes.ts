import type { Attributes } from '@opentelemetry/api';
import type { RunStatus } from '../events/team-events.js';

// GenAI semantic conventions (semconv 1.37+ names; `gen_ai.system` kept beside
// `gen_ai.provider.name`, which replaced it, for backends that still read the old one).
export const OPERATION = 'gen_ai.operation.name';
export const AGENT = 'gen_ai.agent.name';
export const TEAM = 'troupe.team.id';
export const RUN = 'troupe.run.id';
export const TURN = 'troupe.turn';
export const INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
/** Run ends that are failures (the others are outcomes the caller chose or expected). */
export const FAILED: ReadonlySet<RunStatus> = new Set([
  'failed',
  'budget_exhausted',
  'rate_limited',
]);

/** `openai:gpt-4o-mini` is provider `openai`, model `gpt-4o-mini`; an id without a prefix is both. */
export function modelAttributes(id: string | undefined): Attributes {
  if (id === undefined) return {};
  const colon = id.indexOf(':');
  const provider = colon > 0 ? id.slice(0, colon) : id;
  const model = colon > 0 ? id.slice(colon + 1) : id;
  return {
    'gen_ai.provider.name': provider,
    'gen_ai.system': provider,
    'gen_ai.request.model': model,
  };
}
