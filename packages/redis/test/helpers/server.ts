import { startRedisServer, type TestRedisServer } from '@troupe/redis/testing';
import { afterAll, beforeAll } from 'vitest';

/**
 * Starts one redis-server for the test file (before all, stopped after all). Each test uses
 * its own team from {@link uniqueTeam}, so tests never see each other's keys.
 */
export function useRedisServer(): { readonly server: TestRedisServer } {
  const holder: { server: TestRedisServer } = {} as { server: TestRedisServer };
  beforeAll(async () => {
    holder.server = await startRedisServer();
  });
  afterAll(async () => {
    await holder.server?.stop();
  });
  return holder;
}

let teams = 0;
/** A team name no other test in this process uses. */
export function uniqueTeam(): string {
  teams += 1;
  return `t${process.pid}-${teams}`;
}
