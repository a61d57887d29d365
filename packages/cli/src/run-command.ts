import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  type Model,
  systemClock,
} from '@troupe/core';
import { anthropic, closeProviderPools, openaiCompatible } from '@troupe/providers';
import { createRecorder } from '@troupe/sim';
import { parse, UsageError } from './args.js';
import { loadTeamModule, spawnTeamModule } from './team-module.js';

export const runUsage = `troupe run <team module> [--message TEXT] [--to AGENT] [--quiet] [--record DIR]

  Runs a live team against a real model. The module's default export is a function
  ({ model, clock }) => { agents, task?, to?, limits? } where agents are defineAgent()
  definitions (or { definition, name, role }). The model comes from the environment:
    TROUPE_PROVIDER   openai | anthropic (default: anthropic when ANTHROPIC_API_KEY is set)
    TROUPE_MODEL      the model name (required)
    OPENAI_API_KEY, OPENAI_BASE_URL (default https://api.openai.com/v1)
    ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL (default https://api.anthropic.com)
  Events go to stderr, the answer to stdout. Exit 0 when the run completes, 1 otherwise.
  --record DIR records every model exchange and tool result for \`troupe sim --replay DIR\`.`;

export type { TeamModule } from './team-module.js';

/** Builds the model the environment describes; a missing setting is a usage error. */
export function modelFromEnv(env: NodeJS.ProcessEnv): Model {
  const provider = env.TROUPE_PROVIDER ?? (env.ANTHROPIC_API_KEY ? 'anthropic' : 'openai');
  const model = env.TROUPE_MODEL;
  if (!model) throw new UsageError('set TROUPE_MODEL to the model name');
  if (provider === 'anthropic') {
    const apiKey = env.ANTHROPIC_API_KEY;
    if (!apiKey) throw new UsageError('set ANTHROPIC_API_KEY for TROUPE_PROVIDER=anthropic');
    return anthropic({
      apiKey,
      model,
      ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
    });
  }
  if (provider === 'openai') {
    const apiKey = env.OPENAI_API_KEY ?? '';
    const baseURL = env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1';
    if (!apiKey && !env.OPENAI_BASE_URL)
      throw new UsageError('set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)');
    return openaiCompatible({ baseURL, apiKey, model });
  }
  throw new UsageError(`TROUPE_PROVIDER must be openai or anthropic, got "${provider}"`);
}

/** `troupe run`: returns the exit code. */
export async function runCommand(
  argv: string[],
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream; env: NodeJS.ProcessEnv },
): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: {
      message: { type: 'string' },
      to: { type: 'string' },
      quiet: { type: 'boolean' },
      record: { type: 'string' },
    },
  });
  const [specifier] = positionals;
  if (specifier === undefined || positionals.length > 1)
    throw new UsageError('troupe run takes one team module');
  const model = modelFromEnv(io.env);
  // Aborted when the command ends: modules close what they opened with it (MCP connections).
  const ended = new AbortController();
  const loaded = await loadTeamModule(specifier, {
    model,
    clock: systemClock,
    signal: ended.signal,
  });
  // --record DIR: every model exchange and tool result, for `troupe sim --replay DIR`.
  const recorder =
    values.record === undefined
      ? undefined
      : await createRecorder(values.record, { module: specifier });
  const spec = recorder?.wrap(loaded) ?? loaded;
  const message = values.message ?? spec.task;
  if (!message) {
    ended.abort();
    throw new UsageError('give the team a task: --message TEXT, or `task` in the module');
  }

  const clock = systemClock;
  const team = createTeam({
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: spec.limits ?? [] }),
    bus: createBus({ clock }),
  });
  try {
    const names = await spawnTeamModule(team, spec);
    const to = values.to ?? spec.to ?? names[0]!;
    if (!names.includes(to))
      throw new UsageError(`no agent named "${to}" (agents: ${names.join(', ')})`);
    let unsubscribe = () => {};
    if (values.quiet !== true) {
      unsubscribe = team.on('*', (e) => {
        if (e.type === 'agent.state' || e.type === 'events.dropped') return;
        const { type, at, ...rest } = e;
        io.err.write(`${new Date(at).toISOString()} ${type} ${JSON.stringify(rest)}\n`);
      });
    }
    const result = await team.send(to, message);
    // The run's own events end here; a supervisor restart after a failure is noise.
    unsubscribe();
    // A failed run has no answer: stdout stays empty so scripts can tell.
    if (result.text !== '') io.out.write(`${result.text}\n`);
    if (result.status !== 'completed') {
      io.err.write(
        `run ${result.status}${result.error ? `: ${result.error.code} ${result.error.message}` : ''}\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await team.close();
    await recorder?.close({ task: message, to: values.to ?? spec.to });
    ended.abort();
    await closeProviderPools();
  }
}
