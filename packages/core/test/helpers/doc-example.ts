// Runs the examples of packages/core/docs/*.md as written, so a page cannot drift from the code.
// An example is plain JavaScript in a ```ts block apart from its imports, which are rebound to
// the modules the test passes in.
import { readFileSync } from 'node:fs';
import { formatWithOptions } from 'node:util';

const AsyncFunction = (async () => {}).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<void>;

/**
 * The first code block of docs/<page> that `pattern` captures (by default the block marked
 * ```ts example), or `undefined` when there is none.
 */
export function docExample(
  page: string,
  pattern = /```ts example\n([\s\S]*?)```/,
): string | undefined {
  const doc = readFileSync(new URL(`../../docs/${page}`, import.meta.url), 'utf8');
  return pattern.exec(doc)?.[1];
}

/**
 * What each `console.log(...)` line states after its last `// ` (an explanation after ` — `
 * is not part of it), in order.
 */
export function statedOutput(code: string): string[] {
  return code
    .split('\n')
    .filter((line) => line.includes('console.log('))
    .map((line) => line.slice(line.lastIndexOf('// ') + 3).replace(/ — .*$/, ''));
}

/**
 * Runs `code` with each `import { … } from '<specifier>';` line bound to `modules[specifier]`
 * and returns what it logged: one line per `console.log` call, formatted as Node prints it on
 * one line, or (`raw`) the first argument of each call as it was.
 */
export async function runExample(
  code: string,
  modules: Readonly<Record<string, unknown>>,
  options: { raw?: boolean } = {},
): Promise<unknown[]> {
  const body = code.replace(
    /^import \{([^}]*)\} from '([^']+)';$/gm,
    (line, names: string, specifier: string) =>
      specifier in modules ? `const {${names}} = modules[${JSON.stringify(specifier)}];` : line,
  );
  const printed: unknown[] = [];
  const log = options.raw
    ? (value: unknown) => printed.push(value)
    : (...args: unknown[]) =>
        printed.push(formatWithOptions({ compact: true, breakLength: Infinity }, ...args));
  await new AsyncFunction('modules', 'console', body)(modules, { log });
  return printed;
}
