import { DEFAULT_MAX_FEEDBACK_PAUSE_MS } from '../backend/limiter-feedback.js';
import { parseRules } from '../backend/limiter-options.js';
import { requireClock, requireDuration, requireRecord } from '../backend/validate.js';
import type { Clock } from '../clock.js';
import { RuleWindow } from './window.js';

const OPTION_NAMES: ReadonlySet<string> = new Set(['clock', 'rules', 'maxFeedbackPauseMs']);

/** Validates `createRateLimiter` options once, naming the offending option. */
export function parseLimiterOptions(options: unknown): {
  clock: Clock;
  windows: RuleWindow[];
  maxFeedbackPauseMs: number;
} {
  const record = requireRecord(options, 'options');
  const clock = requireClock(record.clock);
  const windows = parseRules(record, OPTION_NAMES).map(
    (spec) =>
      new RuleWindow(spec.key, spec.windowMs, spec.maxRequests, spec.maxTokens, spec.maxCost),
  );
  const maxFeedbackPauseMs =
    record.maxFeedbackPauseMs === undefined
      ? DEFAULT_MAX_FEEDBACK_PAUSE_MS
      : requireDuration(record.maxFeedbackPauseMs, 'options.maxFeedbackPauseMs');
  return { clock, windows, maxFeedbackPauseMs };
}
