// The admission script's replies and the numbers built from them.
import { parseKeys } from '@troupe/core/backend';
import { requireKeyName } from '../internal/options.js';
import type { AdmitReply, RawAdmitReply } from './types.js';

/** A number the scripts wrote: 'inf' is +infinity. */
export const num = (text: string): number =>
  text === 'inf' ? Number.POSITIVE_INFINITY : Number(text);

/** A limit as the scripts read it: 'inf' for +infinity. */
export const limitText = (n: number): string => (Number.isFinite(n) ? String(n) : 'inf');

/** The keys of a call, checked as core checks them, and bounded as Redis key parts. */
export function keyNames(keys: string | readonly string[]): readonly string[] {
  const names = parseKeys(keys);
  for (const name of names) requireKeyName(name, 'keys');
  return names;
}

/** The admission script's reply as a list: its compact fast-path answers expanded. */
export function normalReply(raw: RawAdmitReply, id: string): AdmitReply {
  if (raw === 1) return [1, id];
  if (typeof raw === 'string') return [1, id, raw];
  return raw;
}
