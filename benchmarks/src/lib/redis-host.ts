/**
 * One host process of the cross-process messaging benchmark (redis-team.bench.ts): it joins a
 * distributed team on Redis, spawns its agents (a zero-latency model that answers at once),
 * prints `ready`, and stays until its stdin closes.
 * argv: <redis port> <team> <host id> <agent names, comma-separated>
 */
import { createTeam, systemClock } from '@troupe/core';
import {
  createRedisBus,
  createRedisDirectory,
  createRedisRateLimiter,
  createRedisSessionStore,
  createRedisSharedState,
} from '@troupe/redis';

const [port, team, hostId, namesText] = process.argv.slice(2);
const options = {
  redis: { host: '127.0.0.1', port: Number(port) },
  clock: systemClock,
  team: team!,
};
const crew = createTeam({
  id: team!,
  clock: systemClock,
  state: createRedisSharedState(options),
  limiter: createRedisRateLimiter({ ...options, rules: [] }),
  bus: createRedisBus(options),
  store: createRedisSessionStore({ redis: options.redis, team: team! }),
  distributed: {
    directory: createRedisDirectory({ ...options, hostTtlMs: 10_000 }),
    hostId: hostId!,
  },
});
const agents = new URL('./redis-agents.js', import.meta.url).href;
for (const name of namesText!.split(','))
  await crew.spawn({ module: agents, export: 'echo' }, { name });
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void crew.close().then(() => process.exit(0));
});
