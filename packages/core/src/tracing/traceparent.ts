import {
  type Context,
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
} from '@opentelemetry/api';

// W3C Trace Context, version 00: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`. Written
// here rather than taken from a propagator: the API's global propagator is a no-op until an SDK
// registers one, and a message's trace context must travel whatever the process registered.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** `spanContext` as a `traceparent` header value; undefined when it is not a valid context. */
export function formatTraceparent(spanContext: SpanContext): string | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** A `traceparent` value as a remote span context; undefined when it is malformed or all zeros. */
export function parseTraceparent(value: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(value);
  if (match === null) return undefined;
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16),
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The context a message's `traceparent` continues (the root context when it has none). */
export function contextOf(value: string | undefined): Context {
  const spanContext = value === undefined ? undefined : parseTraceparent(value);
  return spanContext === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/**
 * The W3C `traceparent` of the span active in `ctx` (default: the active context), or undefined
 * when no valid span is active. Put it on a message you post to an agent's mailbox yourself
 * (`MailEnvelope.trace`) and the run that answers it continues your trace.
 *
 * @example
 * ```ts
 * tracer.startActiveSpan('dispatch', async (span) => {
 *   const body: MailEnvelope = { kind: 'send', id: 'r1', text: 'Summarise the log', trace: traceparent() };
 *   await bus.post(inboxTopic('ada'), { from: 'dispatcher', body });
 *   span.end();
 * });
 * ```
 */
export function traceparent(ctx: Context = context.active()): string | undefined {
  const span = trace.getSpan(ctx);
  return span === undefined ? undefined : formatTraceparent(span.spanContext());
}
