import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const benchUsage = `troupe bench [suite ...]

  Runs the benchmark suites of a Troupe checkout (after \`npm run build\`), or those whose
  name contains one of the arguments, e.g. \`troupe bench limiter claims\`.`;

/** Finds benchmarks/dist/run.js in `start` or a folder above it. */
export function findBenchRunner(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'benchmarks', 'dist', 'run.js');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** `troupe bench`: runs the suites in a child process and returns its exit code. */
export async function benchCommand(argv: string[], err: NodeJS.WritableStream): Promise<number> {
  const runner = findBenchRunner(process.cwd());
  if (runner === undefined) {
    err.write(
      'troupe bench: no benchmarks/dist/run.js here or above; run it in a Troupe checkout after `npm run build`\n',
    );
    return 2;
  }
  return new Promise((resolveCode) => {
    const child = spawn(process.execPath, ['--expose-gc', runner, ...argv], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolveCode(code ?? (signal ? 128 : 1)));
  });
}
