import { TroupeError } from '@troupe/core';
import { z } from 'zod';
import { readTextFile } from './read-text.js';

const nonNegative = z.number().finite().nonnegative();
const probability = z.number().finite().min(0).max(1);

/** `[min, max]`, both inclusive, `min <= max`. */
const range = z
  .tuple([nonNegative, nonNegative])
  .refine(([min, max]) => min <= max, { message: 'min must not exceed max' });

const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "." or "-"');

const roleSchema = z.strictObject({
  name,
  allowTools: z.array(z.string().min(1)).optional(),
  denyTools: z.array(z.string().min(1)).optional(),
});

const agentGroupSchema = z.strictObject({
  /** Agents are named `${name}-1`, `${name}-2`, ... */
  name,
  role: name.optional(),
  count: z.number().int().min(1).max(10_000).default(1),
  maxTurns: z.number().int().min(1).max(100_000).default(1_000),
});

const ruleSchema = z.strictObject({
  key: z.string().min(1),
  windowMs: z.number().finite().positive().optional(),
  requests: z.number().int().positive().optional(),
  tokens: z.number().int().positive().optional(),
  budgetUsd: z.number().finite().positive().optional(),
});

/**
 * A simulation scenario: the team, what its scripted models do, shared limits, faults and
 * when to stop. Validated with zod; every error names the path of the offending field.
 * {@link parseScenario} wraps it with a `TroupeError`; use the schema itself to compose it into
 * a larger zod schema or to derive a JSON Schema.
 *
 * @example
 * ```ts
 * const checked = scenarioSchema.safeParse(JSON.parse(text));
 * if (!checked.success) console.error(checked.error.issues);
 * ```
 */
export const scenarioSchema = z
  .strictObject({
    name,
    description: z.string().default(''),
    /** Default seed; `--seed` overrides it. */
    seed: z.number().int().nonnegative().default(1),
    /** The synthetic codebase the team works on: each file is a resource with regions. */
    workload: z
      .strictObject({
        files: z.number().int().min(1).max(1_000_000).default(200),
        /** Lines per file, uniform in the range. */
        linesPerFile: range.default([80, 400]),
        /** Regions (functions, say) per file that need work, uniform in the range. */
        regionsPerFile: range.default([1, 3]),
        /** Model turns one region needs: read, edit, test, ... */
        turnsPerRegion: range.default([1, 3]),
      })
      .prefault({}),
    team: z.strictObject({
      roles: z.array(roleSchema).default([]),
      agents: z.array(agentGroupSchema).min(1),
    }),
    /** What the scripted models do and how long they take. */
    behaviour: z
      .strictObject({
        /** Model latency, lognormal with this median and 95th percentile. */
        latencyMs: z
          .strictObject({ median: nonNegative.default(800), p95: nonNegative.default(3_000) })
          .refine((l) => l.p95 >= l.median, { message: 'p95 must be at least the median' })
          .prefault({}),
        inputTokens: range.default([800, 4_000]),
        outputTokens: range.default([100, 800]),
        /** Chance that finishing a region shares a discovery. */
        discoveryProbability: probability.default(0.3),
        /** Chance that finishing a region messages the team. */
        messageProbability: probability.default(0.15),
        /** Price per million tokens, for the budget. */
        inputPricePerMTok: nonNegative.default(3),
        outputPricePerMTok: nonNegative.default(15),
      })
      .prefault({}),
    /** Limiter rules shared by the whole team; every model call takes a lease on every rule key. */
    limits: z.array(ruleSchema).default([]),
    /** Injected faults: 429, 5xx and timeout as chances per attempt, crash per model call. */
    faults: z
      .strictObject({
        rateLimited: probability.default(0),
        serverError: probability.default(0),
        timeout: probability.default(0),
        /** How long a timed-out call hangs before failing. */
        timeoutMs: nonNegative.default(30_000),
        crash: probability.default(0),
      })
      // One roll per attempt picks at most one of the three: their chances must fit in 1
      // (with room for float sums such as 0.1 + 0.2 + 0.7).
      .refine((f) => f.rateLimited + f.serverError + f.timeout <= 1 + 1e-9, {
        message: 'rateLimited + serverError + timeout must be at most 1 (one roll per attempt)',
      })
      .prefault({}),
    stop: z
      .strictObject({
        /** A team stops when every region is done, or at this much simulated time ... */
        maxSimulatedMs: z
          .number()
          .finite()
          .positive()
          .default(24 * 3_600_000),
        /** ... or after this many model calls in the team. */
        maxModelCalls: z.number().int().positive().default(1_000_000),
      })
      .prefault({}),
  })
  .superRefine((scenario, ctx) => {
    const roles = new Set(scenario.team.roles.map((r) => r.name));
    scenario.team.agents.forEach((group, index) => {
      if (group.role !== undefined && !roles.has(group.role)) {
        ctx.addIssue({
          code: 'custom',
          path: ['team', 'agents', index, 'role'],
          message: `unknown role "${group.role}" (roles: ${[...roles].join(', ') || 'none'})`,
        });
      }
    });
    const seen = new Set<string>();
    scenario.team.agents.forEach((group, index) => {
      if (seen.has(group.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['team', 'agents', index, 'name'],
          message: `duplicate agent group "${group.name}"`,
        });
      }
      seen.add(group.name);
    });
  });

/**
 * A scenario as written (defaults optional).
 *
 * @example
 * ```ts
 * const input: ScenarioInput = { name: 'pair', team: { agents: [{ name: 'dev', count: 2 }] } };
 * ```
 */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/**
 * A validated scenario with every default filled in.
 *
 * @example
 * ```ts
 * const scenario: Scenario = parseScenario(input);
 * scenario.faults.timeoutMs; // 30000 unless set
 * ```
 */
export type Scenario = z.output<typeof scenarioSchema>;

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/**
 * Validates a scenario object. Throws `ERR_INVALID_ARGUMENT` listing each problem with its
 * path (`team.agents[0].count: Too small: expected number to be >=1`).
 *
 * @example
 * ```ts
 * const scenario = parseScenario({ name: 'tiny', team: { agents: [{ name: 'dev', count: 2 }] } });
 * scenario.workload.files; // 200 (default)
 * ```
 */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `  ${formatPath(issue.path)}: ${issue.message}`,
  );
  throw new TroupeError('ERR_INVALID_ARGUMENT', `invalid ${source}:\n${problems.join('\n')}`, {
    details: {
      source,
      issues: result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    },
  });
}

/**
 * Reads and validates a scenario from a JSON file.
 *
 * @example
 * ```ts
 * const scenario = await loadScenarioFile('scenarios/refactor-200.json');
 * ```
 */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  const text = await readTextFile(path, 'scenario file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TroupeError(
      'ERR_INVALID_ARGUMENT',
      `scenario file ${path} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
        details: { path },
      },
    );
  }
  return parseScenario(json, `scenario file ${path}`);
}
