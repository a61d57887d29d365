/**
 * Node options for a worker thread started from this process: the parent's `execArgv` without
 * the `@troupe/source` export condition, or `undefined` when there was none to strip. A test
 * runner adds that condition so workspace packages load from TypeScript sources; a worker runs
 * plain Node and must load `dist`.
 *
 * Pass the result only when it is defined: a worker given no `execArgv` inherits the parent's
 * quietly, while Node's `Worker` refuses V8 flags such as `--expose-gc` in an explicit list.
 *
 * @example
 * ```ts
 * const execArgv = workerExecArgv();
 * const worker = new Worker(workerUrl, { ...(execArgv && { execArgv }) });
 * ```
 */
export function workerExecArgv(parent: readonly string[] = process.execArgv): string[] | undefined {
  const args: string[] = [];
  let stripped = false;
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i]!;
    if (arg === '--conditions' || arg === '-C') {
      const value = parent[i + 1];
      i++;
      if (value !== '@troupe/source' && value !== undefined) args.push(arg, value);
      else stripped = true;
      continue;
    }
    if (arg === '--conditions=@troupe/source' || arg === '-C=@troupe/source') {
      stripped = true;
      continue;
    }
    args.push(arg);
  }
  return stripped ? args : undefined;
}
