import { invalidArgument } from './errors.js';

/**
 * Refuses an options object with a name not in `known` (a misspelt option would otherwise be
 * ignored silently), naming it and `where` it was given.
 */
export function checkOptionNames(options: object, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw invalidArgument(`${where}: unknown option "${key}"`, {
        option: key,
        known: [...known],
      });
    }
  }
}
