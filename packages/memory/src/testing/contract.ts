// The MemoryStore contract: one suite, run against every backend (test/contract.test.ts here;
// any other implementation imports it from @troupe/memory/testing). Its parts, by concern, are
// in contracts/.
import { SimulatedClock } from '@troupe/core';
import { afterEach, describe } from 'vitest';
import type { MemoryStore, MemoryStoreOptions } from '../index.js';
import { entriesContract } from './contracts/entries.js';
import type { ContractContext } from './contracts/fixtures.js';
import { lifecycleContract } from './contracts/lifecycle.js';
import { listContract } from './contracts/list-and-count.js';
import { searchContract } from './contracts/search.js';

/**
 * The {@link MemoryStore} contract as a vitest suite: entries, validation, list and count,
 * ranking, scopes, types, limits, decay, hand-computed scores, lifecycle. `create` gets the
 * options a test wants and returns a fresh, empty store; the suite closes it.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from '@troupe/memory';
 * import { memoryStoreContract } from '@troupe/memory/testing';
 *
 * memoryStoreContract('sqlite', (options) => createSqliteStore(options));
 * ```
 */
export function memoryStoreContract(
  name: string,
  create: (options: MemoryStoreOptions) => MemoryStore,
): void {
  describe(`MemoryStore contract: ${name}`, () => {
    let clock = new SimulatedClock(1_000);
    const open: MemoryStore[] = [];
    const context: ContractContext = {
      create,
      get clock() {
        return clock;
      },
      make(options = {}) {
        clock = options.clock instanceof SimulatedClock ? options.clock : new SimulatedClock(1_000);
        const store = create({ clock, ...options });
        open.push(store);
        return store;
      },
    };
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
    });

    entriesContract(context);
    listContract(context);
    searchContract(context);
    lifecycleContract(context);
  });
}
