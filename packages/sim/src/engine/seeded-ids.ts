import { createIds, createRng, type IdGenerator } from '@troupe/core';

/** The alphabet of core's seeded ids (nanoid's URL alphabet, in nanoid's order). */
const ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict';
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
const UNDERSCORE = 95;
const MAX_ID_SIZE = 1_024;

/**
 * The same ids as core's `createIds({ seed })`, character for character, made as one string:
 * core's builds each id a character at a time (a new string per character), and a simulated
 * team makes one per message it sends. Arguments core would refuse go to a core generator,
 * which refuses them the same way (before drawing from any rng).
 *
 * @example
 * ```ts
 * seededIds('7:0:ids').next('msg', 16) === createIds({ seed: '7:0:ids' }).next('msg', 16); // true
 * ```
 */
export function seededIds(seed: string): IdGenerator {
  const rng = createRng(seed);
  const codes: number[] = [];
  let refuse: IdGenerator | undefined;
  return {
    next(prefix, size = 21) {
      if (
        (prefix !== undefined && typeof prefix !== 'string') ||
        !(Number.isSafeInteger(size) && size > 0 && size <= MAX_ID_SIZE)
      ) {
        refuse ??= createIds({ seed });
        return refuse.next(prefix, size);
      }
      codes.length = 0;
      if (prefix) {
        for (let i = 0; i < prefix.length; i++) codes.push(prefix.charCodeAt(i));
        codes.push(UNDERSCORE);
      }
      for (let i = 0; i < size; i++) codes.push(CODES[(rng.next() * 64) | 0]!);
      return String.fromCharCode.apply(null, codes);
    },
  };
}
