import { TroupeError } from '@troupe/core';
import { z } from 'zod';
import { readTextFile } from '../read-text.js';

const nonNegative = z.number().finite().nonnegative();
const probability = z.number().finite().min(0).max(1);
const range = z
  .tuple([nonNegative, nonNegative])
  .refine(([min, max]) => min <= max, { message: 'min must not exceed max' });

/** One step of a scripted agent: call tools, answer, or message another agent. */
const stepSchema = z.union([
  z.strictObject({ tool: z.string().min(1), args: z.record(z.string(), z.unknown()).optional() }),
  z.strictObject({ answer: z.string() }),
  z.strictObject({ message: z.string(), to: z.string().min(1) }),
]);

const positiveInt = z.number().int().positive();

/**
 * An agent's context policy, as JSON: core's `context` option less what only code can give (a
 * tokenizer, a summary model, a pin predicate). Summaries are written by the agent's policy model.
 */
const contextSchema = z.strictObject({
  maxInputTokens: positiveInt.optional(),
  reserveOutputTokens: positiveInt.optional(),
  summarize: z
    .union([
      z.boolean(),
      z.strictObject({ maxTokens: positiveInt.optional(), instructions: z.string().optional() }),
    ])
    .optional(),
  pinned: z.strictObject({ first: z.number().int().nonnegative().optional() }).optional(),
  keepRatio: z.number().gt(0).lt(1).optional(),
  promptCache: z.boolean().optional(),
});

/** How an agent's policy model behaves: every field optional, over the scenario's defaults. */
const policySchema = z.strictObject({
  /** Model latency, lognormal with this median and 95th percentile. */
  latencyMs: z
    .strictObject({ median: nonNegative, p95: nonNegative })
    .refine((l) => l.p95 >= l.median, { message: 'p95 must be at least the median' })
    .optional(),
  /**
   * Ignored (kept so older scenarios still parse): a call's input tokens are measured from the
   * request it sends (about 4 characters a token), so the agent's context policy shows in cost.
   */
  inputTokens: range.optional(),
  /** Output tokens per call (a compaction's summary: at most its `maxTokens`). */
  outputTokens: range.optional(),
  /** Turns of a run before the agent answers, drawn per run. */
  answerAfterTurns: range.optional(),
  /** Chance a turn (not the answer) messages another agent instead of calling a tool. */
  messageProbability: probability.optional(),
  /** Which of the agent's tools a turn calls, with weights (default: its own tools, equally). */
  tools: z.record(z.string(), nonNegative).optional(),
  /** Scripted steps, in order, instead of the stochastic policy; the run answers after the last. */
  script: z.array(stepSchema).optional(),
  inputPricePerMTok: nonNegative.optional(),
  outputPricePerMTok: nonNegative.optional(),
  /**
   * The agent's context policy (`defineAgent({ context })`), field by field over the module's:
   * e.g. `{ "maxInputTokens": 8000 }` to see what a bounded prompt costs and how often it
   * compacts. An agent's entry is merged over the default `policy.context`.
   */
  context: contextSchema.optional(),
});

/** A stub for a tool that touches the world: same name and schema, a canned result. */
const stubSchema = z.strictObject({
  result: z.unknown().default('ok'),
  /** Simulated time the call takes. */
  latencyMs: nonNegative.default(0),
  /** Chance the call fails (a tool error the model sees). */
  errorProbability: probability.default(0),
});

/**
 * A scenario for simulating a team module (`troupe sim --team team.mjs --scenario s.json`):
 * the policy models that stand in for the real ones, stubs for tools that touch the world,
 * faults (429, 5xx, timeouts, crashes, backend outages), extra limits and when to stop.
 *
 * @example
 * ```ts
 * const scenario = parseTeamScenario({ name: 'try', policy: { answerAfterTurns: [2, 4] } });
 * ```
 */
export const teamScenarioSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "." or "-"')
    .default('team'),
  description: z.string().default(''),
  seed: z.number().int().nonnegative().default(1),
  /** The first message (default: the module's `task`). */
  task: z.string().optional(),
  /** Who gets it (default: the module's `to`, else its first agent). */
  to: z.string().optional(),
  /** The default policy of every agent. */
  policy: policySchema.prefault({}),
  /** Per-agent policies, by agent name, over `policy`. */
  agents: z.record(z.string(), policySchema).default({}),
  /**
   * More agents (a what-if): each new name is spawned as another copy of an existing agent of
   * the module (same definition and role; in a replay, that agent's recording).
   */
  clones: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** Tools replaced by stubs, by tool name. */
  stubs: z.record(z.string(), stubSchema).default({}),
  /** Limiter rules added to the module's. */
  limits: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        windowMs: z.number().finite().positive().optional(),
        requests: z.number().int().positive().optional(),
        tokens: z.number().int().positive().optional(),
        budgetUsd: z.number().finite().positive().optional(),
      }),
    )
    .default([]),
  faults: z
    .strictObject({
      rateLimited: probability.default(0),
      serverError: probability.default(0),
      timeout: probability.default(0),
      timeoutMs: nonNegative.default(30_000),
      crash: probability.default(0),
      /** Windows of simulated time in which every model call fails with a 5xx. */
      outages: z
        .array(
          z
            .strictObject({ from: nonNegative, to: nonNegative })
            .refine((o) => o.from <= o.to, { message: 'from must not exceed to' }),
        )
        .default([]),
    })
    .refine((f) => f.rateLimited + f.serverError + f.timeout <= 1 + 1e-9, {
      message: 'rateLimited + serverError + timeout must be at most 1 (one roll per attempt)',
    })
    .prefault({}),
  stop: z
    .strictObject({
      maxSimulatedMs: z.number().finite().positive().default(3_600_000),
      maxModelCalls: z.number().int().positive().default(100_000),
    })
    .prefault({}),
});

/** A team scenario as written. */
export type TeamScenarioInput = z.input<typeof teamScenarioSchema>;
/** A validated team scenario, defaults filled in. */
export type TeamScenario = z.output<typeof teamScenarioSchema>;
/** One agent's policy as written in a team scenario. */
export type PolicyInput = z.output<typeof policySchema>;
/** One step of a scripted agent. */
export type ScriptStep = z.output<typeof stepSchema>;

/**
 * Validates a team scenario; `ERR_INVALID_ARGUMENT` lists each problem with its path.
 *
 * @example
 * ```ts
 * const scenario = parseTeamScenario({ policy: { latencyMs: { median: 0, p95: 0 } } });
 * ```
 */
export function parseTeamScenario(input: unknown, source = 'team scenario'): TeamScenario {
  const result = teamScenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`,
  );
  throw new TroupeError('ERR_INVALID_ARGUMENT', `invalid ${source}:\n${problems.join('\n')}`, {
    details: { source },
  });
}

/**
 * Reads and validates a team scenario from a JSON file.
 *
 * @example
 * ```ts
 * const scenario = await loadTeamScenarioFile('scenarios/planner-coders.json');
 * ```
 */
export async function loadTeamScenarioFile(path: string): Promise<TeamScenario> {
  const text = await readTextFile(path, 'scenario file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TroupeError(
      'ERR_INVALID_ARGUMENT',
      `scenario file ${path} is not valid JSON: ${(error as Error).message}`,
      { cause: error, details: { path } },
    );
  }
  return parseTeamScenario(json, `scenario file ${path}`);
}
