import type { RunResult, Team } from '@troupe/core';
import { agentCrashed, type World } from './world-reducer.js';

/** Agents with no open region to pick (the board not complete) wait here until one reopens. */
export class Parking {
  #parked: (() => void)[] = [];

  /** Resolves at the next {@link wake}. */
  park(): Promise<void> {
    return new Promise<void>((resolve) => this.#parked.push(resolve));
  }

  /** Lets every parked agent look at the board again (bound: pass it around as a callback). */
  readonly wake = (): void => {
    const waiting = this.#parked;
    this.#parked = [];
    for (const resolve of waiting) resolve();
  };
}

/**
 * Keeps each agent of the team working: sends it the task, and again after each run ends, until
 * the board is done, the agent fails for good, or {@link Drivers.stop} is called. An agent that
 * ran out of turns continues; one that crashed gives its region back and continues once
 * restarted; one that finds no open region parks until a region reopens.
 */
export class Drivers {
  #stopping = false;
  readonly #team: Team;
  readonly #world: World;
  readonly #parking: Parking;

  constructor(team: Team, world: World, parking: Parking) {
    this.#team = team;
    this.#world = world;
    this.#parking = parking;
  }

  /** Drives every named agent; settles when all have stopped (rejects only on a bug). */
  start(names: readonly string[]): Promise<unknown> {
    return Promise.all(names.map((name) => this.#drive(name)));
  }

  /** No driver sends again; parked ones return. */
  stop(): void {
    this.#stopping = true;
    this.#parking.wake();
  }

  async #drive(name: string): Promise<void> {
    const { board } = this.#world;
    let message = 'Refactor the open regions of the codebase.';
    for (;;) {
      if (this.#stopping) return;
      const result: RunResult = await this.#team.send(name, message);
      if (this.#stopping || result.status === 'cancelled') return;
      const info = this.#team.agent(name);
      if (result.status === 'failed') {
        agentCrashed(this.#world, name);
        if (info === undefined || info.state === 'failed') return;
        message = 'You were restarted. Continue with the open regions.';
        continue;
      }
      if (result.status === 'max_turns') {
        message = 'Continue.';
        continue;
      }
      if (board.complete) return;
      if (board.open === 0) await this.#parking.park();
      message = 'More work opened up. Continue.';
    }
  }
}
