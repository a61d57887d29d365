// Lua scripts as ioredis commands (EVALSHA, falling back to EVAL when the server lost them).
import { TroupeError } from '@troupe/core';
import type { RedisClient } from './options.js';

/** Runs a Lua script through EVALSHA, falling back to EVAL when the server lost it. */
export type ScriptRunner = (
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<unknown>;

type Dynamic = Record<string, (...args: (string | number)[]) => Promise<unknown>>;

/** Defines `lua` on `client` under `name` (ioredis `defineCommand`: EVALSHA with fallback). */
export function defineScript(client: RedisClient, name: string, lua: string): ScriptRunner {
  client.defineCommand(name, { lua });
  const command = (client as unknown as Dynamic)[name];
  if (command === undefined)
    throw new TroupeError('ERR_INTERNAL', `script ${name} was not defined`);
  return (keys, args) => {
    // One argument array, no spread copies: this runs on every admission and claim.
    const all: (string | number)[] = [keys.length];
    for (let i = 0; i < keys.length; i++) all.push(keys[i]!);
    for (let i = 0; i < args.length; i++) all.push(args[i]!);
    return command.apply(client, all);
  };
}
