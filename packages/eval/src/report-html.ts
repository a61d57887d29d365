import type { EvalSummary } from './summary.js';
import type { EvalTask, TaskResult } from './types.js';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const fixed = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const MAX_CELL = 300;
const clip = (text: string) => (text.length > MAX_CELL ? `${text.slice(0, MAX_CELL)}…` : text);

/**
 * `OUT/report.html`: one self-contained page (no scripts, no outside resources) with the
 * summary, each scorer's mean and interval, and a row per task.
 *
 * @example
 * ```ts
 * await writeFile('out/report.html', renderEvalReport(summary, tasks, results));
 * ```
 */
export function renderEvalReport(
  summary: EvalSummary,
  tasks: readonly EvalTask[],
  results: ReadonlyMap<string, TaskResult>,
): string {
  const scorerNames = Object.keys(summary.scorers);
  const scorerRows = scorerNames
    .map((name) => {
      const s = summary.scorers[name]!;
      const width = Math.max(0, Math.min(100, s.mean * 100));
      return `<tr><td>${escapeHtml(name)}</td><td>${fixed(s.mean)}</td><td>[${fixed(s.ci95[0])}, ${fixed(s.ci95[1])}]</td><td>${s.n}</td><td><div class="bar"><span style="width:${width.toFixed(1)}%"></span></div></td></tr>`;
    })
    .join('\n');
  const taskRows = tasks
    .map((task) => {
      const r = results.get(task.id);
      if (!r)
        return `<tr class="notrun"><td>${escapeHtml(task.id)}</td><td>not run</td>${scorerNames.map(() => '<td></td>').join('')}<td></td><td></td><td></td></tr>`;
      const scores = scorerNames
        .map((n) => {
          const s = r.scores[n];
          return s
            ? `<td title="${escapeHtml(s.note ?? '')}">${fixed(s.score, 2)}</td>`
            : '<td></td>';
        })
        .join('');
      const output = typeof r.output === 'string' ? r.output : JSON.stringify(r.output);
      const detail = r.error ? `${r.error.code}: ${r.error.message}` : output;
      return `<tr class="${r.status === 'completed' ? 'ok' : 'bad'}"><td>${escapeHtml(task.id)}</td><td>${escapeHtml(r.status)}</td>${scores}<td>${fixed(r.costUsd, 5)}</td><td>${Math.round(r.latencyMs)}</td><td>${escapeHtml(clip(detail))}</td></tr>`;
    })
    .join('\n');
  const sim = summary.simulation
    ? `<p>Rehearsal on the simulated clock: seed ${summary.simulation.seed}, ${(summary.simulation.durationMs / 1000).toFixed(1)} s simulated, hash <code>${escapeHtml(summary.simulation.hash)}</code>.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(summary.suite)} — troupe eval</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.bad td:nth-child(2){color:#b00}.notrun{color:#999}
.bar{width:120px;height:10px;background:#eee}.bar span{display:block;height:10px;background:#4a8}
</style></head><body>
<h1>${escapeHtml(summary.suite)}</h1>
<p>${summary.tasks} tasks: ${summary.completed} completed, ${summary.failed} failed, ${summary.notRun.length} not run${summary.stoppedBy ? ` (stopped by ${summary.stoppedBy})` : ''}.
Cost $${fixed(summary.costUsd, 4)}, ${summary.tokens.total} tokens in ${summary.requests} requests, ${(summary.leaseWaitMs / 1000).toFixed(1)} s of lease waits.
Latency p50 ${Math.round(summary.latencyMs.p50)} ms, p95 ${Math.round(summary.latencyMs.p95)} ms, p99 ${Math.round(summary.latencyMs.p99)} ms.</p>
${sim}
<h2>Scores</h2>
<table><tr><th>scorer</th><th>mean</th><th>95% CI</th><th>n</th><th></th></tr>
${scorerRows}
</table>
<h2>Tasks</h2>
<table><tr><th>id</th><th>status</th>${scorerNames.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}<th>cost $</th><th>latency ms</th><th>output or error</th></tr>
${taskRows}
</table>
</body></html>
`;
}
