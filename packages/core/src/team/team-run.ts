import type { RunResult } from '../agent/run-result.js';
import type { Clock } from '../clock.js';
import { invalidArgument } from '../errors.js';
import type { EventHub } from '../events/event-hub.js';
import { checkOptionNames } from '../options.js';
import type { Messaging } from './messaging.js';
import type { IdleOptions, MessageOptions, TeamRunOptions, TeamRunResult } from './types.js';

/** What `team.run` works with. */
export interface TeamRunDeps {
  /** `team.send`: how the run's message is sent. */
  send(name: string, message: string, options: MessageOptions): Promise<RunResult>;
  readonly hub: EventHub;
  readonly clock: Clock;
  readonly messaging: Messaging;
  idle(options: IdleOptions): Promise<void>;
}

const RUN_OPTIONS: ReadonlySet<string> = new Set(['from', 'until', 'maxMs', 'maxTurnsTotal']);

function checkRunOptions(options: TeamRunOptions): void {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('run options must be an object');
  checkOptionNames(options, RUN_OPTIONS, 'run');
  const { until, maxMs, maxTurnsTotal } = options;
  if (until !== undefined && until !== 'reply' && until !== 'idle')
    throw invalidArgument("until must be 'reply' or 'idle'", { until });
  if (maxMs !== undefined && !(typeof maxMs === 'number' && maxMs > 0))
    throw invalidArgument('maxMs must be a positive number of milliseconds', { maxMs });
  if (maxTurnsTotal !== undefined && !(Number.isSafeInteger(maxTurnsTotal) && maxTurnsTotal > 0))
    throw invalidArgument('maxTurnsTotal must be a positive integer', { maxTurnsTotal });
}

/**
 * `team.run`: sends the message, then waits for its reply or for the whole team to be idle,
 * whichever `until` asks, within `maxMs` (on the team's clock) and `maxTurnsTotal` model calls
 * across the team. A bound passing leaves the team as it is.
 */
export async function runAndWait(
  deps: TeamRunDeps,
  name: string,
  message: string,
  options: TeamRunOptions = {},
): Promise<TeamRunResult<never>> {
  checkRunOptions(options);
  const { hub, clock, messaging } = deps;
  const until = options.until ?? 'reply';
  let turns = 0;
  let reply: RunResult | undefined;
  const controller = new AbortController();
  let bound: (status: 'timeout' | 'max_turns_total') => void = () => {};
  const bounds = new Promise<'timeout' | 'max_turns_total'>((resolve) => {
    bound = resolve;
  });
  const unsubscribe = hub.on('turn.started', () => {
    turns++;
    if (options.maxTurnsTotal !== undefined && turns >= options.maxTurnsTotal)
      bound('max_turns_total');
  });
  const timer =
    options.maxMs === undefined
      ? undefined
      : clock.setTimeout(() => bound('timeout'), options.maxMs);
  try {
    const sent = deps.send(name, message, options.from === undefined ? {} : { from: options.from });
    const done = sent.then(async (result) => {
      reply = result;
      if (until === 'idle') await deps.idle({ signal: controller.signal });
      return 'completed' as const;
    });
    done.catch(() => {});
    const status = await Promise.race([done, bounds]);
    return {
      status,
      reply: reply as RunResult<never> | undefined,
      answers: Object.fromEntries(messaging.answers),
      turns,
    };
  } finally {
    controller.abort();
    unsubscribe();
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}
