/**
 * Node options for a worker thread started from this process: the parent's `execArgv` without
 * the `@troupe/source` export condition. A test runner adds that condition so workspace
 * packages load from TypeScript sources; a worker runs plain Node and must load `dist`.
 *
 * @example
 * ```ts
 * const pool = new Piscina({ filename: workerUrl.href, execArgv: workerExecArgv() });
 * ```
 */
export function workerExecArgv(parent: readonly string[] = process.execArgv): string[] {
  const args: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i]!;
    if (arg === '--conditions' || arg === '-C') {
      const value = parent[i + 1];
      i++;
      if (value !== '@troupe/source' && value !== undefined) args.push(arg, value);
      continue;
    }
    if (arg === '--conditions=@troupe/source' || arg === '-C=@troupe/source') continue;
    args.push(arg);
  }
  return args;
}
