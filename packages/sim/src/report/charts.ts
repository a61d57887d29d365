// Hand-written SVG charts for the report: bar charts over time and histograms across teams,
// with "nice" axis ticks (1, 2 or 5 times a power of ten) and units. No charting library: the
// report stays one small self-contained file, and these two shapes are all it draws.
import type { Bucket, TeamRow } from './analyze.js';

export const esc = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** A duration in the largest unit that keeps it readable: `850 ms`, `12.5 s`, `3.2 min`, `1.25 h`. */
export const fmtMs = (ms: number): string => {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 3_600_000).toFixed(2)} h`;
};
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtUsd = (n: number): string => `$${n < 10 ? n.toFixed(3) : n.toFixed(2)}`;

/** Tick values from 0 to at least `max`: about `count` steps of 1, 2 or 5 × 10^k. */
export function niceTicks(max: number, count = 5, integer = false): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let v = 0; v < max + step / 2; v += step) ticks.push(+v.toPrecision(12));
  if (ticks[ticks.length - 1]! < max) ticks.push(+(ticks.length * step).toPrecision(12));
  return ticks;
}

/** Time ticks in whole ms, s, min or h steps, so labels read naturally. */
export function timeTicks(maxMs: number, count = 6): number[] {
  if (!(maxMs > 0)) return [0];
  const steps = [
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000,
    120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000,
    43_200_000, 86_400_000,
  ];
  const raw = maxMs / count;
  const step = steps.find((s) => s >= raw) ?? Math.ceil(raw / 86_400_000) * 86_400_000;
  const ticks: number[] = [];
  for (let t = 0; t <= maxMs; t += step) ticks.push(t);
  return ticks;
}

interface Frame {
  readonly w: number;
  readonly h: number;
  readonly left: number;
  readonly top: number;
  readonly plotW: number;
  readonly plotH: number;
}

const frame = (): Frame => {
  const w = 520;
  const h = 210;
  const left = 62;
  const top = 14;
  return { w, h, left, top, plotW: w - left - 14, plotH: h - top - 40 };
};

/** Y ticks for `max` in `format`'s unit: whole counts, time steps for durations. */
function yTicks(max: number, format: (v: number) => string): number[] {
  if (format === fmtMs) {
    const ticks = timeTicks(max, 4);
    const step = ticks[1] ?? max;
    return ticks[ticks.length - 1]! < max ? [...ticks, ticks.length * step] : ticks;
  }
  return niceTicks(max, 4, format === fmtInt);
}

function yAxis(f: Frame, max: number, format: (v: number) => string): string {
  const ticks = yTicks(max, format);
  const top = ticks[ticks.length - 1]!;
  const y = (v: number) => f.top + f.plotH - (v / top) * f.plotH;
  return ticks
    .map(
      (v) =>
        `<line x1="${f.left}" y1="${y(v).toFixed(1)}" x2="${f.left + f.plotW}" y2="${y(v).toFixed(1)}" class="grid"/><text x="${f.left - 6}" y="${(y(v) + 4).toFixed(1)}" class="tick" text-anchor="end">${esc(format(v))}</text>`,
    )
    .join('');
}

/**
 * Bars over simulated time: one per bucket, a y axis with nice ticks and the unit, an x axis
 * with time ticks.
 */
export function barChart(
  id: string,
  title: string,
  unit: string,
  buckets: readonly Bucket[],
  bucketMs: number,
  value: (b: Bucket) => number,
  color: string,
  format: (v: number) => string = fmtInt,
): string {
  const f = frame();
  const values = buckets.map(value);
  const ticks = yTicks(Math.max(1, ...values), format);
  const top = ticks[ticks.length - 1]!;
  const endMs = Math.max(1, buckets.length * bucketMs);
  const x = (t: number) => f.left + (t / endMs) * f.plotW;
  const bw = f.plotW / Math.max(1, buckets.length);
  const bars = values
    .map((v, i) => {
      const bh = (v / top) * f.plotH;
      return `<rect x="${(f.left + i * bw).toFixed(1)}" y="${(f.top + f.plotH - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${color}"><title>${esc(`${fmtMs(buckets[i]!.t)}–${fmtMs(buckets[i]!.t + bucketMs)}: ${format(v)}${unit ? ` ${unit}` : ''}`)}</title></rect>`;
    })
    .join('');
  const base = f.top + f.plotH;
  const xTicks = timeTicks(endMs, 5)
    .map(
      (t) =>
        `<line x1="${x(t).toFixed(1)}" y1="${base}" x2="${x(t).toFixed(1)}" y2="${base + 4}" class="axis"/><text x="${x(t).toFixed(1)}" y="${base + 16}" class="tick" text-anchor="middle">${esc(fmtMs(t))}</text>`,
    )
    .join('');
  const axes = `<line x1="${f.left}" y1="${base}" x2="${f.left + f.plotW}" y2="${base}" class="axis"/><line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${base}" class="axis"/>`;
  const labels = `<text x="${f.left + f.plotW / 2}" y="${f.h - 4}" class="unit" text-anchor="middle">simulated time</text><text x="12" y="${f.top + f.plotH / 2}" class="unit" text-anchor="middle" transform="rotate(-90 12 ${f.top + f.plotH / 2})">${esc(unit || 'value')}</text>`;
  return `<figure class="chart"><figcaption>${esc(title)} <small>(per ${esc(fmtMs(bucketMs))})</small></figcaption><svg data-chart="${id}" viewBox="0 0 ${f.w} ${f.h}" width="100%" role="img" aria-label="${esc(title)}">${yAxis(f, Math.max(1, ...values), format)}${bars}${axes}${xTicks}${labels}</svg></figure>`;
}

/** What the spread section shows for each team. */
export const SPREAD_METRICS: readonly {
  id: string;
  title: string;
  unit: string;
  value: (r: TeamRow) => number;
  format: (v: number) => string;
}[] = [
  {
    id: 'simulated',
    title: 'Simulated time',
    unit: 'time',
    value: (r) => r.simulatedMs,
    format: fmtMs,
  },
  {
    id: 'model-calls',
    title: 'Model calls',
    unit: 'calls',
    value: (r) => r.modelCalls,
    format: fmtInt,
  },
  { id: 'cost', title: 'Cost', unit: 'USD', value: (r) => r.costUsd, format: fmtUsd },
  {
    id: 'conflicts',
    title: 'Claim conflicts',
    unit: 'conflicts',
    value: (r) => r.conflicts,
    format: fmtInt,
  },
  {
    id: 'faults',
    title: 'Failed model calls',
    unit: 'faults',
    value: (r) => r.faults,
    format: fmtInt,
  },
];

/** The value at quantile `q` of sorted `xs` (nearest rank). */
export const quantile = (xs: readonly number[], q: number): number =>
  xs.length === 0 ? 0 : xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))]!;

/** A histogram of one metric across teams: how many teams fell in each of ~20 bins. */
export function histogram(
  metric: (typeof SPREAD_METRICS)[number],
  rows: readonly TeamRow[],
): string {
  const f = frame();
  const values = rows.map(metric.value);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const binCount = min === max ? 1 : Math.min(20, Math.max(1, values.length));
  const width = (max - min) / binCount || 1;
  const counts = new Array<number>(binCount).fill(0);
  for (const v of values) counts[Math.min(binCount - 1, Math.floor((v - min) / width))]!++;
  const ticks = yTicks(Math.max(1, ...counts), fmtInt);
  const top = ticks[ticks.length - 1]!;
  const bw = f.plotW / binCount;
  const base = f.top + f.plotH;
  const bars = counts
    .map((n, i) => {
      const bh = (n / top) * f.plotH;
      const from = min + i * width;
      return `<rect x="${(f.left + i * bw).toFixed(1)}" y="${(base - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="#3b6fd1" data-count="${n}"><title>${esc(`${metric.format(from)} – ${metric.format(from + width)}: ${fmtInt(n)} team${n === 1 ? '' : 's'}`)}</title></rect>`;
    })
    .join('');
  const xTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((p) => {
      const x = f.left + p * f.plotW;
      const v = min === max ? min : min + p * (max - min);
      return `<line x1="${x.toFixed(1)}" y1="${base}" x2="${x.toFixed(1)}" y2="${base + 4}" class="axis"/><text x="${x.toFixed(1)}" y="${base + 16}" class="tick" text-anchor="${p === 0 ? 'start' : p === 1 ? 'end' : 'middle'}">${esc(metric.format(v))}</text>`;
    })
    .join('');
  const axes = `<line x1="${f.left}" y1="${base}" x2="${f.left + f.plotW}" y2="${base}" class="axis"/><line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${base}" class="axis"/>`;
  const labels = `<text x="${f.left + f.plotW / 2}" y="${f.h - 4}" class="unit" text-anchor="middle">${esc(`${metric.title.toLowerCase()} per team (${metric.unit})`)}</text><text x="12" y="${f.top + f.plotH / 2}" class="unit" text-anchor="middle" transform="rotate(-90 12 ${f.top + f.plotH / 2})">teams</text>`;
  return `<figure class="chart"><figcaption>${esc(metric.title)} across ${fmtInt(rows.length)} teams</figcaption><svg data-spread="${metric.id}" viewBox="0 0 ${f.w} ${f.h}" width="100%" role="img" aria-label="${esc(metric.title)} across teams">${yAxis(f, Math.max(1, ...counts), fmtInt)}${bars}${axes}${xTicks}${labels}</svg></figure>`;
}
