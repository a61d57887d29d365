import { type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { invalidArgument } from '../errors.js';
import { checkOptionNames } from '../options.js';

/**
 * The instrumentation scope of Troupe's spans (the tracer name a team asks its provider for).
 *
 * @example
 * ```ts
 * const troupeSpans = exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === TRACER_NAME);
 * ```
 */
export const TRACER_NAME = '@troupe/core';

/**
 * How a team traces (the `tracing` option of `createTeam`):
 * - omitted or `true`: the global tracer provider (`trace.setGlobalTracerProvider`, or an SDK's
 *   `register()`) if one is registered when the team is created; with none, tracing is off and
 *   costs nothing (no listener, no event built). Register the SDK before creating teams;
 * - `false`: off, whatever is registered;
 * - `{ tracer }` or `{ tracerProvider }`: that one, whatever is registered globally.
 */
export type TracingOption = boolean | TracingOptions;

/**
 * A tracer or a provider to make one from (scope `@troupe/core`), for `createTeam({ tracing })`.
 */
export interface TracingOptions {
  readonly tracer?: Tracer;
  readonly tracerProvider?: TracerProvider;
}

const NAMES: ReadonlySet<string> = new Set(['tracer', 'tracerProvider']);

// The API keeps a ProxyTracerProvider as the global one whether or not an SDK registered:
// `getDelegateTracer` answers undefined until a real provider is behind it.
interface Delegating {
  getDelegateTracer(name: string): Tracer | undefined;
}

function registeredTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider() as TracerProvider & Partial<Delegating>;
  if (typeof provider.getDelegateTracer !== 'function') return provider.getTracer(TRACER_NAME);
  return provider.getDelegateTracer(TRACER_NAME);
}

function hasMethod(value: unknown, name: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[name] === 'function'
  );
}

/**
 * The tracer a team's `tracing` option means, or undefined for no tracing. Bad input is
 * `ERR_INVALID_ARGUMENT` naming the option.
 */
export function resolveTracer(option: unknown): Tracer | undefined {
  if (option === undefined || option === true) return registeredTracer();
  if (option === false) return undefined;
  if (typeof option !== 'object' || option === null)
    throw invalidArgument('tracing must be a boolean, { tracer } or { tracerProvider }');
  checkOptionNames(option, NAMES, 'tracing');
  const { tracer, tracerProvider } = option as TracingOptions;
  if ((tracer === undefined) === (tracerProvider === undefined))
    throw invalidArgument('tracing needs exactly one of tracer and tracerProvider');
  if (tracer !== undefined) {
    if (!hasMethod(tracer, 'startSpan'))
      throw invalidArgument('tracing.tracer must be an OpenTelemetry Tracer');
    return tracer;
  }
  if (!hasMethod(tracerProvider, 'getTracer'))
    throw invalidArgument('tracing.tracerProvider must be an OpenTelemetry TracerProvider');
  return (tracerProvider as TracerProvider).getTracer(TRACER_NAME);
}
