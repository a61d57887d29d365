// Where the store's thread programs are: a thread runs plain Node, so always the built file.

/**
 * The URL of the built thread program `file` (e.g. `'writer-worker.js'`): beside this module in
 * `dist`, or, when this module runs from sources (a test runner), in `dist` next to `src`.
 */
export function threadUrl(file: string): URL {
  const fromSources = import.meta.url.endsWith('.ts');
  return new URL(fromSources ? `../dist/${file}` : `./${file}`, import.meta.url);
}
