import type { Rng } from '@troupe/core';
import type { Scenario } from '../scenario.js';

/** One region of a synthetic file: the unit of work an agent claims and refactors. */
export interface Region {
  readonly id: number;
  readonly resource: string;
  readonly start: number;
  readonly end: number;
  /** Model turns of editing it needs once claimed. */
  readonly turns: number;
  status: 'todo' | 'doing' | 'done';
  owner: string | undefined;
}

/**
 * The team's work: every region of the synthetic codebase and who is on it. Picking a random
 * open region, taking it and finishing it are O(1) (open regions sit in an array with
 * swap-remove and a position index).
 */
export class Board {
  readonly regions: Region[] = [];
  readonly #open: number[] = [];
  readonly #pos: number[] = [];
  /** resource -> its regions, in order (1-3 each): no key string to build per lookup. */
  readonly #byResource = new Map<string, Region[]>();
  #done = 0;

  /** Builds the synthetic codebase of `scenario.workload` from `rng`. */
  constructor(scenario: Scenario, rng: Rng) {
    const w = scenario.workload;
    const pick = ([min, max]: readonly [number, number]) =>
      rng.int(Math.round(min), Math.round(max));
    for (let f = 0; f < w.files; f++) {
      const resource = `src/module-${String(f).padStart(4, '0')}.ts`;
      const lines = Math.max(1, pick(w.linesPerFile));
      const count = Math.max(1, Math.min(lines, pick(w.regionsPerFile)));
      const size = Math.floor(lines / count);
      const inFile: Region[] = [];
      this.#byResource.set(resource, inFile);
      for (let r = 0; r < count; r++) {
        const start = r * size + 1;
        const end = r === count - 1 ? lines : (r + 1) * size;
        const id = this.regions.length;
        const region: Region = {
          id,
          resource,
          start,
          end,
          turns: Math.max(1, pick(w.turnsPerRegion)),
          status: 'todo',
          owner: undefined,
        };
        this.regions.push(region);
        inFile.push(region);
        this.#pos.push(this.#open.length);
        this.#open.push(id);
      }
    }
  }

  get open(): number {
    return this.#open.length;
  }

  get done(): number {
    return this.#done;
  }

  get complete(): boolean {
    return this.#done === this.regions.length;
  }

  /** A random open region, or undefined when none is open. */
  pickOpen(rng: Rng): Region | undefined {
    if (this.#open.length === 0) return undefined;
    return this.regions[this.#open[rng.int(0, this.#open.length - 1)]!];
  }

  /** The region a claim names, if it is one of ours. */
  find(resource: string, start: number): Region | undefined {
    const inFile = this.#byResource.get(resource);
    if (inFile === undefined) return undefined;
    for (const region of inFile) if (region.start === start) return region;
    return undefined;
  }

  take(region: Region, agent: string): void {
    if (region.status !== 'todo') return;
    this.#removeOpen(region.id);
    region.status = 'doing';
    region.owner = agent;
  }

  finish(region: Region): void {
    if (region.status !== 'doing') return;
    region.status = 'done';
    this.#done++;
  }

  /** Puts a region its owner abandoned (a crash) back on the board. */
  reopen(region: Region): void {
    if (region.status !== 'doing') return;
    region.status = 'todo';
    region.owner = undefined;
    this.#pos[region.id] = this.#open.length;
    this.#open.push(region.id);
  }

  #removeOpen(id: number): void {
    const at = this.#pos[id]!;
    const last = this.#open.pop()!;
    if (last !== id) {
      this.#open[at] = last;
      this.#pos[last] = at;
    }
  }
}
