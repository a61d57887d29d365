import type { SimEvent } from './events.js';

// `JSON.stringify` of a string: quotes and escapes, exactly as it does inside an object.
const str = JSON.stringify as (value: string) => string;

/** A number as `JSON.stringify` writes it (non-finite numbers are `null`). */
function num(value: number): string {
  return Number.isFinite(value) ? `${value}` : 'null';
}

/**
 * One event-log line: byte for byte what `JSON.stringify(event)` gives for events built with
 * their fields in the order {@link SimEvent} declares (every emitter in the engine does), but
 * written from a template per type, which costs a fraction of the generic serialiser on the
 * simulation's hot path (several lines per model call). Rare types fall back to it.
 * packages/sim/test/log-line.test.ts checks the equality for every type, any strings and numbers.
 *
 * @example
 * ```ts
 * logLine({ t: 0, team: 0, type: 'turn.ended', agent: 'dev-1', turn: 1 });
 * // '{"t":0,"team":0,"type":"turn.ended","agent":"dev-1","turn":1}'
 * ```
 */
export function logLine(event: SimEvent): string {
  const head = `{"t":${num(event.t)},"team":${num(event.team)},"type":`;
  switch (event.type) {
    case 'turn.started':
    case 'turn.ended':
      return `${head}"${event.type}","agent":${str(event.agent)},"turn":${num(event.turn)}}`;
    case 'model.answered':
      return `${head}"model.answered","agent":${str(event.agent)},"latencyMs":${num(event.latencyMs)},"inputTokens":${num(event.inputTokens)},"outputTokens":${num(event.outputTokens)},"costUsd":${num(event.costUsd)}}`;
    case 'claim.granted':
      return `${head}"claim.granted","agent":${str(event.agent)},"resource":${str(event.resource)},"start":${num(event.start)},"end":${num(event.end)}}`;
    case 'claim.conflicted':
      return `${head}"claim.conflicted","agent":${str(event.agent)},"resource":${str(event.resource)},"holder":${str(event.holder)}}`;
    case 'claim.released':
      return `${head}"claim.released","agent":${str(event.agent)},"resource":${str(event.resource)}}`;
    case 'region.done':
      return `${head}"region.done","agent":${str(event.agent)},"resource":${str(event.resource)},"region":${num(event.region)}}`;
    case 'discovery.shared':
    case 'message.posted':
      return `${head}"${event.type}","agent":${str(event.agent)},"topic":${str(event.topic)}}`;
    case 'lease.waited':
      return `${head}"lease.waited","agent":${str(event.agent)},"waitMs":${num(event.waitMs)}}`;
    case 'model.failed':
      return `${head}"model.failed","agent":${str(event.agent)},"code":${str(event.code)},"fault":${str(event.fault)}}`;
    default:
      return JSON.stringify(event);
  }
}
