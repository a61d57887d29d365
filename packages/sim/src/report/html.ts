import type { AgentTimeline, Analysis, Bucket } from './analyze.js';

/**
 * What the report's header says about the run.
 *
 * @example
 * ```ts
 * const meta: ReportMeta = { scenario: 'pair', seed: 7, logHash: result.hash };
 * const html = renderReport(result.analysis, meta);
 * ```
 */
export interface ReportMeta {
  readonly scenario: string;
  readonly description?: string;
  readonly seed: number;
  /** SHA-256 of the event log, the run's fingerprint. */
  readonly logHash: string;
}

const esc = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const fmtMs = (ms: number): string => {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(2)} h`;
};
const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

const COLORS = {
  turn: '#4c9a6a',
  lease: '#e59a2f',
  claim: '#3b6fd1',
  conflict: '#d13b3b',
  message: '#8a4fd1',
  discovery: '#1a9aa0',
  fault: '#222222',
  failed: '#b00020',
  restarted: '#2e7d32',
} as const;

function timelineSvg(timelines: readonly AgentTimeline[], endMs: number): string {
  const labelW = 150;
  const plotW = 900;
  const rowH = 26;
  const top = 24;
  const height = top + timelines.length * rowH + 10;
  const x = (t: number) => labelW + (endMs > 0 ? (t / endMs) * plotW : 0);
  const parts: string[] = [];
  for (let i = 0; i <= 10; i++) {
    const t = (endMs * i) / 10;
    parts.push(
      `<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${height - 10}" class="grid"/>`,
      // The end label is right-aligned so it is not clipped at the edge of the drawing.
      `<text x="${x(t)}" y="${top - 10}" class="tick" text-anchor="${i === 10 ? 'end' : 'middle'}">${esc(fmtMs(t))}</text>`,
    );
  }
  timelines.forEach((tl, row) => {
    const y = top + row * rowH;
    parts.push(`<g data-agent="${esc(tl.agent)}">`);
    parts.push(
      `<text x="${labelW - 8}" y="${y + 16}" class="agent" text-anchor="end">${esc(tl.agent)}</text>`,
    );
    // Turns first, then lease waits inside them, then claims below: later layers stay visible.
    const order = { turn: 0, lease: 1, claim: 2 } as const;
    const spans = [...tl.spans].sort((a, b) => order[a.kind] - order[b.kind] || a.start - b.start);
    for (const s of spans) {
      const w = Math.max(1, x(s.end) - x(s.start));
      const [yy, hh] =
        s.kind === 'claim' ? [y + 18, 5] : s.kind === 'lease' ? [y + 5, 9] : [y + 3, 13];
      parts.push(
        `<rect x="${x(s.start).toFixed(1)}" y="${yy}" width="${w.toFixed(1)}" height="${hh}" fill="${COLORS[s.kind]}" class="span-${s.kind}"><title>${esc(`${s.label}: ${fmtMs(s.start)} – ${fmtMs(s.end)}`)}</title></rect>`,
      );
    }
    for (const m of tl.marks) {
      parts.push(
        `<circle cx="${x(m.t).toFixed(1)}" cy="${y + 9}" r="3.5" fill="${COLORS[m.kind]}" class="mark-${m.kind}"><title>${esc(`${m.kind} at ${fmtMs(m.t)}: ${m.label}`)}</title></circle>`,
      );
    }
    parts.push('</g>');
  });
  return `<svg data-testid="timeline" viewBox="0 0 ${labelW + plotW + 20} ${height}" width="100%" role="img" aria-label="Agent timeline">${parts.join('')}</svg>`;
}

function barChart(
  id: string,
  title: string,
  unit: string,
  buckets: readonly Bucket[],
  bucketMs: number,
  value: (b: Bucket) => number,
  color: string,
  /** Formats a value for the axis and tooltips; `unit` follows it in tooltips when set. */
  format: (v: number) => string = fmtInt,
): string {
  const w = 520;
  const h = 200;
  const left = 56;
  const bottom = 28;
  const plotW = w - left - 10;
  const plotH = h - bottom - 14;
  const values = buckets.map(value);
  const max = Math.max(1, ...values);
  const bw = plotW / Math.max(1, buckets.length);
  const bars = values
    .map((v, i) => {
      const bh = (v / max) * plotH;
      return `<rect x="${(left + i * bw).toFixed(1)}" y="${(14 + plotH - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${color}"><title>${esc(`${fmtMs(buckets[i]!.t)}: ${format(v)}${unit ? ` ${unit}` : ''}`)}</title></rect>`;
    })
    .join('');
  const axis = [
    `<line x1="${left}" y1="${14 + plotH}" x2="${w - 10}" y2="${14 + plotH}" class="axis"/>`,
    `<line x1="${left}" y1="14" x2="${left}" y2="${14 + plotH}" class="axis"/>`,
    `<text x="${left - 6}" y="18" class="tick" text-anchor="end">${esc(format(max))}</text>`,
    `<text x="${left - 6}" y="${14 + plotH}" class="tick" text-anchor="end">0</text>`,
    `<text x="${left}" y="${h - 8}" class="tick">0</text>`,
    `<text x="${w - 10}" y="${h - 8}" class="tick" text-anchor="end">${esc(fmtMs(buckets.length * bucketMs))}</text>`,
  ].join('');
  return `<figure class="chart"><figcaption>${esc(title)} <small>(per ${esc(fmtMs(bucketMs))})</small></figcaption><svg data-chart="${id}" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${esc(title)}">${axis}${bars}</svg></figure>`;
}

/**
 * Renders one self-contained HTML file (inline CSS and SVG, no scripts, no network) with the
 * run's totals, a timeline of the first team's agents and charts of throughput, lease waits
 * and conflicts over time.
 *
 * @example
 * ```ts
 * const html = renderReport(analyze(events), { scenario: 'refactor-200', seed: 1, logHash });
 * await writeFile('report.html', html);
 * ```
 */
export function renderReport(analysis: Analysis, meta: ReportMeta): string {
  const t = analysis.totals;
  const cards: [string, string, string][] = [
    ['teams', 'Teams', fmtInt(t.teams)],
    ['agents', 'Agents', fmtInt(t.agents)],
    ['simulated', 'Simulated time', fmtMs(t.simulatedMs)],
    ['regions', 'Regions done', `${fmtInt(t.regionsDone)} / ${fmtInt(t.regions)}`],
    ['model-calls', 'Model calls', fmtInt(t.modelCalls)],
    ['model-failures', 'Failed calls', fmtInt(t.modelFailures)],
    ['tokens', 'Tokens (in / out)', `${fmtInt(t.inputTokens)} / ${fmtInt(t.outputTokens)}`],
    ['cost', 'Cost', `$${t.costUsd.toFixed(2)}`],
    ['lease-waits', 'Lease waits', `${fmtInt(t.leaseWaits)} (${fmtMs(t.leaseWaitMs)})`],
    ['claims', 'Claims granted', fmtInt(t.claimsGranted)],
    ['conflicts', 'Conflicts', fmtInt(t.conflicts)],
    ['discoveries', 'Discoveries', fmtInt(t.discoveries)],
    ['messages', 'Messages', fmtInt(t.messages)],
    ['restarts', 'Agent restarts', fmtInt(t.agentRestarts)],
    ['failures', 'Agents failed', fmtInt(t.agentFailures)],
  ];
  const faultRows = Object.entries(t.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([kind, n]) =>
        `<tr data-fault="${esc(kind)}"><td>${esc(kind)}</td><td>${fmtInt(n)}</td></tr>`,
    )
    .join('');
  const finishRows = Object.entries(t.finishReasons)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `<tr><td>${esc(reason)}</td><td>${fmtInt(n)}</td></tr>`)
    .join('');
  const legend = (Object.keys(COLORS) as (keyof typeof COLORS)[])
    .map((k) => `<span><i style="background:${COLORS[k]}"></i>${k}</span>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Troupe simulation — ${esc(meta.scenario)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1120px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#5a6273;margin:0 0 16px}.meta code{font-size:12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.card{border:1px solid #dde1ea;border-radius:8px;padding:10px 12px;background:#fafbfd}
.card b{display:block;font-size:18px}.card span{color:#5a6273;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:12px}
.chart{margin:0;border:1px solid #dde1ea;border-radius:8px;padding:8px}.chart figcaption{font-weight:600}
svg text{font:11px system-ui,sans-serif;fill:#5a6273}svg text.agent{fill:#1d2330}
.grid{stroke:#eef0f5}.axis{stroke:#9aa1b0}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:middle}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eef0f5;padding:4px 12px;text-align:left}
</style></head><body>
<h1>${esc(meta.scenario)}</h1>
<p class="meta">${esc(meta.description ?? '')}<br>seed <b data-testid="seed">${meta.seed}</b> · event log sha256 <code data-testid="log-hash">${esc(meta.logHash)}</code></p>
<section class="cards">${cards.map(([id, label, value]) => `<div class="card" data-total="${id}"><b>${esc(value)}</b><span>${esc(label)}</span></div>`).join('')}</section>
<h2>Timeline${t.teams > 1 ? ' (first team)' : ''}</h2>
<div class="legend">${legend}</div>
${timelineSvg(analysis.timelines, t.simulatedMs)}
<h2>Over time</h2>
<section class="charts">
${barChart('throughput', 'Throughput: model calls', 'calls', analysis.buckets, analysis.bucketMs, (b) => b.modelCalls, COLORS.turn)}
${barChart('lease-waits', 'Lease waits: total wait', '', analysis.buckets, analysis.bucketMs, (b) => b.leaseWaitMs, COLORS.lease, fmtMs)}
${barChart('conflicts', 'Claim conflicts', 'conflicts', analysis.buckets, analysis.bucketMs, (b) => b.conflicts, COLORS.conflict)}
${barChart('faults', 'Injected faults', 'faults', analysis.buckets, analysis.bucketMs, (b) => b.faults, COLORS.fault)}
</section>
<h2>Faults</h2>
<table data-testid="faults"><thead><tr><th>fault</th><th>count</th></tr></thead><tbody>${faultRows || '<tr><td colspan="2">none injected</td></tr>'}</tbody></table>
<h2>How runs ended</h2>
<table data-testid="finish"><thead><tr><th>reason</th><th>teams</th></tr></thead><tbody>${finishRows}</tbody></table>
</body></html>
`;
}
