import type { AcquireResult } from '../backend/interfaces.js';
import { isTroupeError, TroupeError } from '../errors.js';
import { sinkWants } from '../events/team-events.js';
import type { AgentRuntime } from './agent-runtime.js';
import { refusedForGood, waitForLease } from './lease.js';
import { cancelLease, type Run } from './run.js';

const GRANTED = Object.freeze({ type: 'LEASE_GRANTED' } as const);

/**
 * The lease side of a turn: one admission path. An in-memory limiter admits synchronously (no
 * await at all); a remote one answered asynchronously once, so later turns go straight to its
 * FIFO `acquire` (one round trip, not a refused try and then a wait). Every wait is bounded
 * (`leaseTimeoutMs`); a spent lifetime budget ends the run at once.
 */
export class LeaseTurn {
  readonly #agent: AgentRuntime;
  /** The limiter answered asynchronously once: later turns go straight to `acquire`. */
  #async = false;

  constructor(agent: AgentRuntime) {
    this.#agent = agent;
  }

  /** Takes a lease for `run`'s next call; the outcome goes to the statechart. */
  request(run: Run, estimate: number): void {
    const agent = this.#agent;
    if (!this.#async) {
      const tried = agent.env.limiter.tryAcquire(agent.limiterKeys, { tokens: estimate });
      if (tried instanceof Promise) {
        this.#async = true;
        void this.#admitted(run, tried, estimate);
        return;
      }
      if (tried.ok) {
        run.lease = tried.lease;
        agent.send(GRANTED);
        return;
      }
      if (refusedForGood(tried)) {
        this.#budgetExhausted(run);
        return;
      }
    }
    void this.#wait(run, estimate);
  }

  async #admitted(run: Run, tried: Promise<AcquireResult>, estimate: number): Promise<void> {
    const agent = this.#agent;
    let first: AcquireResult;
    try {
      first = await tried;
    } catch (error) {
      // A transient fault on the first try: the bounded wait retries it.
      if (
        isTroupeError(error) &&
        (error.code === 'ERR_BACKEND_UNAVAILABLE' || error.code === 'ERR_TIMEOUT')
      ) {
        return this.#wait(run, estimate);
      }
      return agent.failed(run, error);
    }
    if (!agent.current(run)) {
      if (first.ok) cancelLease(first.lease);
      return;
    }
    if (first.ok) {
      run.lease = first.lease;
      agent.send(GRANTED);
    } else if (refusedForGood(first)) this.#budgetExhausted(run);
    else await this.#wait(run, estimate);
  }

  async #wait(run: Run, estimate: number): Promise<void> {
    const agent = this.#agent;
    const env = agent.env;
    const since = env.clock.now();
    let outcome: Awaited<ReturnType<typeof waitForLease>>;
    try {
      outcome = await waitForLease({
        limiter: env.limiter,
        clock: env.clock,
        keys: agent.limiterKeys,
        tokens: estimate,
        timeoutMs: agent.leaseTimeoutMs,
        signal: run.signal,
        random: agent.random,
      });
    } catch (error) {
      return agent.failed(run, error);
    }
    if (!agent.current(run)) {
      if (outcome.ok) cancelLease(outcome.lease);
      return;
    }
    if (outcome.ok) {
      run.lease = outcome.lease;
      // A remote limiter's admission at once takes a round trip, not a wait worth reporting.
      if (env.clock.now() > since && sinkWants(env.events, 'lease.waited')) {
        env.events.emit({
          type: 'lease.waited',
          at: env.clock.now(),
          agent: agent.name,
          runId: run.id,
          waitedMs: env.clock.now() - since,
        });
      }
      agent.send(GRANTED);
      return;
    }
    if (outcome.status === 'stale') return;
    if (outcome.status === 'budget_exhausted') return this.#budgetExhausted(run);
    agent.send({ type: 'END', status: outcome.status, error: outcome.error });
  }

  #budgetExhausted(run: Run): void {
    const agent = this.#agent;
    const events = agent.env.events;
    if (sinkWants(events, 'budget.exhausted')) {
      events.emit({
        type: 'budget.exhausted',
        at: agent.env.clock.now(),
        agent: agent.name,
        runId: run.id,
        keys: agent.limiterKeys,
      });
    }
    agent.send({
      type: 'END',
      status: 'budget_exhausted',
      error: new TroupeError(
        'ERR_BUDGET_EXHAUSTED',
        `the budget of ${agent.limiterKeys.join(', ')} is spent`,
        {
          details: { keys: [...agent.limiterKeys] },
        },
      ),
    });
  }
}
