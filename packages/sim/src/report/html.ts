import type { Analysis, TeamRow } from './analyze.js';
import { barChart, esc, fmtInt, fmtMs, histogram, quantile, SPREAD_METRICS } from './charts.js';
import { COLORS, clientScript } from './client.js';
import { MARK_KINDS, reportData, SPAN_KINDS, STAT_COLUMNS, scriptJson } from './report-data.js';
import { STYLES } from './styles.js';

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
  /** The simulation's seed (a live run has none: leave it out). */
  readonly seed?: number;
  /** SHA-256 of the event log, the run's fingerprint. */
  readonly logHash: string;
  /** `'simulation'` (default) or `'live'`: a live run's log read by `troupe report`. */
  readonly source?: 'simulation' | 'live';
}

const STAT_TITLES: Record<(typeof STAT_COLUMNS)[number], string> = {
  turns: 'turns',
  modelCalls: 'model calls',
  inputTokens: 'tokens in',
  outputTokens: 'tokens out',
  costUsd: 'cost',
  toolCalls: 'tool calls',
  toolErrors: 'tool errors',
  messages: 'messages',
  claims: 'claims',
  conflicts: 'conflicts',
  faults: 'faults',
  leaseWaitMs: 'lease wait',
};

function cards(analysis: Analysis, live: boolean): string {
  const t = analysis.totals;
  const list: [string, string, string][] = [
    ['teams', 'Teams', fmtInt(t.teams)],
    ['agents', 'Agents', fmtInt(t.agents)],
    ['simulated', live ? 'Duration' : 'Simulated time', fmtMs(t.simulatedMs)],
    ...(live || t.regions === 0
      ? []
      : [
          ['regions', 'Regions done', `${fmtInt(t.regionsDone)} / ${fmtInt(t.regions)}`] as [
            string,
            string,
            string,
          ],
        ]),
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
  return `<section class="cards">${list.map(([id, label, value]) => `<div class="card" data-total="${id}"><b>${esc(value)}</b><span>${esc(label)}</span></div>`).join('')}</section>`;
}

function timelineSection(analysis: Analysis): string {
  const kinds = [...SPAN_KINDS, ...MARK_KINDS]
    .map(
      (k) =>
        `<label><input type="checkbox" data-kind="${k}" checked><i style="background:${COLORS[k]}"></i>${k}</label>`,
    )
    .join('');
  const team = analysis.totals.teams > 1 ? ` (team ${analysis.detailTeam} in detail)` : '';
  return `<h2>Timeline${team}</h2>
<div class="controls">
<input id="agent-filter" type="search" placeholder="filter agents by name" aria-label="filter agents by name">
<span id="agent-count"></span>
<button id="zoom-in" type="button" title="zoom in">+</button><button id="zoom-out" type="button" title="zoom out">−</button><button id="zoom-reset" type="button">reset</button>
<span id="view-range" data-testid="view-range"></span>
</div>
<div class="kinds" data-testid="kinds">${kinds}</div>
<p class="hint">Drag to pan, ctrl+wheel to zoom, shift+wheel to pan, click a row for the agent's detail.</p>
<div class="timeline" data-testid="timeline">
<canvas id="tl-axis"></canvas>
<div class="tl-body"><canvas id="tl-canvas"></canvas><div id="tl-scroll"><div id="tl-spacer"></div></div><div id="tl-tip" hidden></div></div>
</div>
<div id="agent-detail" data-testid="agent-detail"><p class="hint">Click an agent (timeline or table) to see its turns, tool calls, messages, claims and cost.</p></div>`;
}

function tableSection(): string {
  const head = STAT_COLUMNS.map(
    (c, i) => `<button type="button" data-sort="${i}">${esc(STAT_TITLES[c])}</button>`,
  ).join('');
  return `<h2>Agents: cost and tokens</h2>
<div class="atable" data-testid="agent-table"><div class="thead"><span class="name">agent</span>${head}</div>
<div id="table-scroll"><div id="table-spacer"><div id="table-rows"></div></div></div></div>`;
}

function spreadSection(rows: readonly TeamRow[]): string {
  if (rows.length <= 1) return '';
  const stats = SPREAD_METRICS.map((m) => {
    const sorted = rows.map(m.value).sort((a, b) => a - b);
    const cells = [0, 0.5, 0.95, 1].map((q) => `<td>${esc(m.format(quantile(sorted, q)))}</td>`);
    return `<tr data-metric="${m.id}"><td>${esc(m.title)}</td>${cells.join('')}</tr>`;
  }).join('');
  const finishes = new Map<string, number>();
  for (const r of rows) finishes.set(r.finish, (finishes.get(r.finish) ?? 0) + 1);
  return `<h2>Spread across ${fmtInt(rows.length)} teams</h2>
<table data-testid="spread"><thead><tr><th>per team</th><th>min</th><th>median</th><th>p95</th><th>max</th></tr></thead><tbody>${stats}</tbody></table>
<section class="charts">${SPREAD_METRICS.map((m) => histogram(m, rows)).join('')}</section>`;
}

/**
 * Renders one self-contained HTML file (inline CSS, SVG and script; no network) with the
 * run's totals, an interactive timeline of the detail team's agents (canvas, only the rows in
 * view drawn: zoom, pan, filters by agent and event kind, click for an agent's turns, tool
 * calls, messages, claims and cost), a virtualised per-agent cost and token table, charts over
 * time with ticks and units, and the spread across teams of a multi-team run.
 *
 * @example
 * ```ts
 * const html = renderReport(analyze(events), { scenario: 'refactor-200', seed: 1, logHash });
 * await writeFile('report.html', html);
 * ```
 */
export function renderReport(analysis: Analysis, meta: ReportMeta): string {
  const t = analysis.totals;
  const live = meta.source === 'live';
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
  const seed = meta.seed === undefined ? '' : `seed <b data-testid="seed">${meta.seed}</b> · `;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>Troupe ${live ? 'run' : 'simulation'} — ${esc(meta.scenario)}</title>
<style>${STYLES}</style></head><body>
<h1>${esc(meta.scenario)}</h1>
<p class="meta">${esc(meta.description ?? '')}<br>${live ? '<b>live run</b> · ' : ''}${seed}event log sha256 <code data-testid="log-hash">${esc(meta.logHash)}</code></p>
${cards(analysis, live)}
${timelineSection(analysis)}
${tableSection()}
<h2>Over time${t.teams > 1 ? ` (all ${fmtInt(t.teams)} teams)` : ''}</h2>
<section class="charts">
${barChart('throughput', 'Throughput: model calls', 'calls', analysis.buckets, analysis.bucketMs, (b) => b.modelCalls, COLORS.turn!)}
${barChart('lease-waits', 'Lease waits: total wait', 'wait', analysis.buckets, analysis.bucketMs, (b) => b.leaseWaitMs, COLORS.lease!, fmtMs)}
${barChart('conflicts', 'Claim conflicts', 'conflicts', analysis.buckets, analysis.bucketMs, (b) => b.conflicts, COLORS.conflict!)}
${barChart('faults', 'Injected faults', 'faults', analysis.buckets, analysis.bucketMs, (b) => b.faults, COLORS.fault!)}
</section>
${spreadSection(analysis.perTeam)}
<h2>Faults</h2>
<table data-testid="faults"><thead><tr><th>fault</th><th>count</th></tr></thead><tbody>${faultRows || `<tr><td colspan="2">none ${live ? 'seen' : 'injected'}</td></tr>`}</tbody></table>
<h2>How runs ended</h2>
<table data-testid="finish"><thead><tr><th>reason</th><th>teams</th></tr></thead><tbody>${finishRows}</tbody></table>
<script type="application/json" id="report-data">${scriptJson(reportData(analysis))}</script>
<script>${clientScript()}</script>
</body></html>
`;
}
