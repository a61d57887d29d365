import type { Clock } from '../clock.js';
import { abortedError, invalidArgument, TroupeError } from '../errors.js';
import { checkOptionNames } from '../options.js';
import type { Placement } from '../placement/types.js';
import type { Mailboxes } from './mailboxes.js';
import type { Activity } from './messaging.js';
import type { IdleOptions } from './types.js';

/** What quiescence looks at. */
export interface QuiescenceDeps {
  readonly clock: Clock;
  /** Where the team's agents run (its placement, behind sessions with a store). */
  readonly agents: Placement;
  readonly mailboxes: Mailboxes;
  readonly activity: Activity;
  /** Work the placement does not see (a restart under way). */
  busy(): boolean;
  members(): Iterable<string>;
  closed(): boolean;
}

const IDLE_OPTIONS: ReadonlySet<string> = new Set(['timeoutMs', 'signal']);

/**
 * `team.idle()`: the team is idle when every pump has handed over all it read and found nothing
 * newer on the bus, no agent has a run in progress or a message queued, no restart is under way
 * and the placement has nothing in flight. Checked again on every delivery, run end, state
 * change and restart, never by polling.
 */
export class Quiescence {
  readonly #deps: QuiescenceDeps;

  constructor(deps: QuiescenceDeps) {
    this.#deps = deps;
  }

  idle(options: IdleOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null)
      return Promise.reject(invalidArgument('idle options must be an object'));
    try {
      checkOptionNames(options, IDLE_OPTIONS, 'idle');
    } catch (error) {
      return Promise.reject(error);
    }
    const { timeoutMs, signal } = options;
    if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0))
      return Promise.reject(
        invalidArgument('timeoutMs must be a non-negative number', { timeoutMs }),
      );
    if (timeoutMs === undefined && signal === undefined) return this.#wait(undefined);
    const controller = new AbortController();
    const { clock } = this.#deps;
    const timer =
      timeoutMs === undefined
        ? undefined
        : clock.setTimeout(
            () =>
              controller.abort(
                new TroupeError('ERR_TIMEOUT', `the team was not idle within ${timeoutMs} ms`, {
                  details: { timeoutMs },
                }),
              ),
            timeoutMs,
          );
    const onAbort = (): void => controller.abort(abortedError(signal?.reason, 'idle'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return this.#wait(controller.signal).finally(() => {
      if (timer !== undefined) clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  }

  async #wait(signal: AbortSignal | undefined): Promise<void> {
    const { agents, mailboxes, activity } = this.#deps;
    let stop: Promise<never> | undefined;
    if (signal !== undefined) {
      stop = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      stop.catch(() => {});
    }
    for (;;) {
      if (this.#deps.closed()) return;
      const next = activity.next();
      await (stop === undefined ? agents.settled() : Promise.race([agents.settled(), stop]));
      if (this.#quiet()) {
        const drained = mailboxes.drained();
        if ((await (stop === undefined ? drained : Promise.race([drained, stop]))) && this.#quiet())
          return;
      }
      await (stop === undefined ? next : Promise.race([next, stop]));
    }
  }

  #quiet(): boolean {
    const { agents, mailboxes } = this.#deps;
    if (this.#deps.busy() || !mailboxes.caughtUp()) return false;
    for (const name of this.#deps.members()) if (!agents.quiet(name)) return false;
    return true;
  }
}
