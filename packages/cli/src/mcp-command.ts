import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  systemClock,
} from '@troupe/core';
import { createTeamMcpServer, serveMcpHttp, serveMcpStdio } from '@troupe/mcp';
import { closeProviderPools } from '@troupe/providers';
import { intFlag, parse, UsageError } from './args.js';
import { modelFromEnv } from './run-command.js';
import { loadTeamModule, spawnTeamModule } from './team-module.js';

export const mcpUsage = `troupe mcp <team module> [--port N]

  Serves a live team over the Model Context Protocol, so any MCP client can drive it:
  tools list_agents, send_task (gives an agent a task, answers with its result),
  post_message, list_claims and list_discoveries. The module and the model settings are
  those of troupe run. By default it speaks MCP on stdin/stdout (logs go to stderr) and
  stops when stdin closes; with --port it serves Streamable HTTP at
  http://127.0.0.1:<port>/mcp (loopback only; 0 picks a free port, printed on stderr)
  until SIGINT or SIGTERM.`;

/** `troupe mcp`: serves the team until the client goes (stdio) or a signal (HTTP). */
export async function mcpCommand(
  argv: string[],
  io: { err: NodeJS.WritableStream; env: NodeJS.ProcessEnv },
): Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    allowPositionals: true,
    options: { port: { type: 'string' } },
  });
  const [specifier] = positionals;
  if (specifier === undefined || positionals.length > 1)
    throw new UsageError('troupe mcp takes one team module');
  const port = values.port === undefined ? undefined : intFlag('port', values.port, 0);
  if (port !== undefined && port > 65_535) throw new UsageError('--port must be at most 65535');
  const model = modelFromEnv(io.env);
  // Aborted when the command ends: modules close what they opened with it (MCP connections).
  const ended = new AbortController();
  const spec = await loadTeamModule(specifier, { model, clock: systemClock, signal: ended.signal });

  const clock = systemClock;
  const state = createSharedState({ clock });
  const bus = createBus({ clock });
  const team = createTeam({
    clock,
    state,
    limiter: createRateLimiter({ clock, rules: spec.limits ?? [] }),
    bus,
  });
  try {
    const names = await spawnTeamModule(team, spec);
    const newServer = () => createTeamMcpServer({ team, state, bus, name: 'troupe' });
    if (port === undefined) {
      io.err.write(`troupe mcp: serving ${names.join(', ')} over stdio\n`);
      await serveMcpStdio(newServer());
      return 0;
    }
    const http = await serveMcpHttp(newServer, { port });
    io.err.write(`troupe mcp: serving ${names.join(', ')} at ${http.url}\n`);
    await untilSignal();
    await http.close();
    return 0;
  } finally {
    await team.close();
    ended.abort();
    await closeProviderPools();
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
  });
}
