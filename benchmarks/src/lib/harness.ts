import { Bench } from 'tinybench';

/** One task's timing, in microseconds per operation. */
export interface Measured {
  readonly name: string;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly opsPerSec: number;
  readonly samples: number;
}

export interface MeasureOptions {
  /** Measuring time per task, ms (default 500; `BENCH_TIME_MS` overrides). */
  readonly timeMs?: number;
  /** Warm-up time per task, ms (default 100). */
  readonly warmupMs?: number;
}

const envTime = Number(process.env.BENCH_TIME_MS);

/**
 * Runs every task in one tinybench `Bench` (same process, same run, one after another) and
 * returns their timings by name. Ratios printed from these are measured in the same run.
 */
export async function measure(
  tasks: Record<string, () => unknown>,
  options: MeasureOptions = {},
): Promise<Record<string, Measured>> {
  const bench = new Bench({
    time: Number.isFinite(envTime) && envTime > 0 ? envTime : (options.timeMs ?? 500),
    warmupTime: options.warmupMs ?? 100,
  });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const out: Record<string, Measured> = {};
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') {
      throw new Error(`benchmark task ${task.name} did not complete: ${result.state}`);
    }
    out[task.name] = {
      name: task.name,
      meanUs: result.latency.mean * 1000,
      p50Us: (result.latency.p50 ?? result.latency.mean) * 1000,
      p99Us: result.latency.p99 * 1000,
      opsPerSec: result.throughput.mean,
      samples: result.latency.samples?.length ?? 0,
    };
  }
  return out;
}

/** Prints a section heading. */
export function heading(title: string): void {
  process.stdout.write(`\n## ${title}\n`);
}

/** Prints a timing table row per task. */
export function table(rows: readonly Measured[]): void {
  for (const row of rows) {
    process.stdout.write(
      `  ${row.name.padEnd(48)} ${fmtUs(row.meanUs).padStart(12)}/op  p99 ${fmtUs(row.p99Us).padStart(10)}  ${Math.round(row.opsPerSec).toLocaleString('en-US').padStart(13)} ops/s\n`,
    );
  }
}

/** Formats microseconds with a readable unit. */
export function fmtUs(us: number): string {
  if (us < 1) return `${(us * 1000).toFixed(0)} ns`;
  if (us < 1000) return `${us.toFixed(2)} µs`;
  return `${(us / 1000).toFixed(2)} ms`;
}

export interface Goal {
  /** The ratio must be at most this. */
  readonly max?: number;
  /** The ratio must be at least this. */
  readonly min?: number;
}

/** A goal's outcome, kept for the runner's closing list. */
export interface Verdict {
  readonly label: string;
  readonly ok: boolean;
  /** The measured value against the goal, e.g. `3.10x, goal <= 2x`. */
  readonly detail: string;
}

const verdicts: Verdict[] = [];

function fmtRatio(value: number): string {
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(2)}x`;
}

/**
 * Prints `RATIO <label>: <value>x (goal ...) ok|MISSED`, the line each benchmark is judged by,
 * and remembers it for the closing summary. Without a goal the line is information only and
 * says so: ratios against straw men (a naive version written for the comparison) belong there.
 */
export function ratio(label: string, value: number, goal?: Goal): void {
  let text = `RATIO ${label}: ${fmtRatio(value)}`;
  if (goal) {
    const ok =
      Number.isFinite(value) &&
      (goal.max === undefined || value <= goal.max) &&
      (goal.min === undefined || value >= goal.min);
    const want = [
      goal.min === undefined ? '' : `>= ${goal.min}x`,
      goal.max === undefined ? '' : `<= ${goal.max}x`,
    ]
      .filter(Boolean)
      .join(' and ');
    text += `  (goal ${want}) ${ok ? 'ok' : 'MISSED'}`;
    verdicts.push({ label, ok, detail: `${fmtRatio(value)}, goal ${want}` });
  } else if (!label.includes('informational')) {
    text += '  (informational)';
  }
  process.stdout.write(`${text}\n`);
}

/** Prints a plain informational figure (no goal). */
export function figure(label: string, value: string): void {
  process.stdout.write(`  ${label}: ${value}\n`);
}

/** The verdicts recorded so far (for the runner's summary). */
export function recordedVerdicts(): readonly Verdict[] {
  return verdicts;
}

/** Runs `global.gc` when node was started with `--expose-gc`. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Heap used after a full collection, in bytes. */
export function heapUsed(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}
