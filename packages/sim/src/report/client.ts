// The report page's script, inlined into report.html. Plain ES2017 in a string (no build step,
// no network): it reads the JSON in #report-data and draws the timeline on a canvas, only the
// rows in view (so 10,000 agents cost what 20 do), with zoom, pan, filters, a tooltip, the
// selected agent's detail and a virtualised, sortable per-agent table. Kinds and columns are
// passed in from report-data.ts so both sides agree on the indices.
import { MARK_KINDS, SPAN_KINDS, STAT_COLUMNS } from './report-data.js';

export const COLORS: Readonly<Record<string, string>> = {
  turn: '#4c9a6a',
  tool: '#7a869a',
  lease: '#e59a2f',
  claim: '#3b6fd1',
  conflict: '#d13b3b',
  message: '#8a4fd1',
  discovery: '#1a9aa0',
  fault: '#222222',
  'tool-error': '#e0457b',
  failed: '#b00020',
  restarted: '#2e7d32',
};

const body = `
var D = JSON.parse(document.getElementById('report-data').textContent);
var ROW_H = 22, LABEL_W = 160, MAX_LIST = 200;
var END = Math.max(1, D.end);
var S = { t0: 0, t1: END, query: '', kinds: {}, selected: -1, sortCol: -1, sortDir: -1 };
SPAN_KINDS.concat(MARK_KINDS).forEach(function (k) { S.kinds[k] = true; });
var rows = [];   // agent indices shown in the timeline (filtered)
var order = [];  // the same, in the table's sort order
function $(id) { return document.getElementById(id); }
var scroller = $('tl-scroll'), spacer = $('tl-spacer'), canvas = $('tl-canvas'), axis = $('tl-axis');
var tip = $('tl-tip');

function fmtMs(ms) {
  var a = Math.abs(ms);
  if (a < 1000) return Math.round(ms) + ' ms';
  if (a < 60000) return +(ms / 1000).toFixed(a < 10000 ? 2 : 1) + ' s';
  if (a < 3600000) return +(ms / 60000).toFixed(2) + ' min';
  return +(ms / 3600000).toFixed(2) + ' h';
}
function fmtNum(n) { return Math.round(n).toLocaleString('en-US'); }
function fmtUsd(n) { return '$' + (n < 10 ? n.toFixed(4) : n.toFixed(2)); }
var STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000,
  120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000, 21600000, 43200000, 86400000];
function ticks(t0, t1, n) {
  var raw = (t1 - t0) / n, step = STEPS[STEPS.length - 1];
  for (var i = 0; i < STEPS.length; i++) if (STEPS[i] >= raw) { step = STEPS[i]; break; }
  if (raw > step) step = Math.ceil(raw / 86400000) * 86400000;
  var out = [];
  for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}
function plotW() { return Math.max(10, scroller.clientWidth - LABEL_W); }
function xOf(t) { return LABEL_W + (t - S.t0) / (S.t1 - S.t0) * plotW(); }
function tOf(x) { return S.t0 + (x - LABEL_W) / plotW() * (S.t1 - S.t0); }

function fit(c, w, h) {
  var dpr = window.devicePixelRatio || 1;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
    c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
    c.style.width = w + 'px'; c.style.height = h + 'px';
  }
  var ctx = c.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return ctx;
}

var pending = false;
function redraw() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(function () { pending = false; draw(); });
}

function draw() {
  var w = scroller.clientWidth, h = scroller.clientHeight;
  var ctx = fit(canvas, w, h), top = scroller.scrollTop;
  var first = Math.floor(top / ROW_H), last = Math.min(rows.length, Math.ceil((top + h) / ROW_H));
  var tk = ticks(S.t0, S.t1, Math.max(2, Math.floor(plotW() / 110)));
  ctx.strokeStyle = '#eef0f5';
  tk.forEach(function (t) { var x = Math.round(xOf(t)) + 0.5; ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke(); });
  var spans = 0, marks = 0;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  for (var r = first; r < last; r++) {
    var a = D.agents[rows[r]], y = r * ROW_H - top;
    if (rows[r] === S.selected) { ctx.fillStyle = '#fff4c2'; ctx.fillRect(0, y, w, ROW_H); }
    ctx.save();
    ctx.beginPath(); ctx.rect(LABEL_W, y, w - LABEL_W, ROW_H); ctx.clip();
    var sp = a[2];
    for (var k = 0; k < 4; k++) {
      // Layers: turns, then tools and lease waits inside them, then claims below.
      for (var j = 0; j < sp.length; j += 4) {
        if (sp[j] !== k || !S.kinds[SPAN_KINDS[k]] || sp[j + 2] < S.t0 || sp[j + 1] > S.t1) continue;
        var x0 = xOf(sp[j + 1]), x1 = Math.max(x0 + 1, xOf(sp[j + 2]));
        ctx.fillStyle = COLORS[SPAN_KINDS[k]];
        if (k === 0) ctx.fillRect(x0, y + 3, x1 - x0, 12);
        else if (k === 3) ctx.fillRect(x0, y + 16, x1 - x0, 4);
        else ctx.fillRect(x0, y + 5, x1 - x0, 8);
        spans++;
      }
    }
    var mk = a[3];
    for (var m = 0; m < mk.length; m += 3) {
      var kind = MARK_KINDS[mk[m]];
      if (!S.kinds[kind] || mk[m + 1] < S.t0 || mk[m + 1] > S.t1) continue;
      ctx.fillStyle = COLORS[kind];
      ctx.beginPath(); ctx.arc(xOf(mk[m + 1]), y + 9, 3.5, 0, 6.2832); ctx.fill();
      marks++;
    }
    ctx.restore();
    ctx.fillStyle = '#1d2330';
    ctx.fillText(a[0].length > 22 ? a[0].slice(0, 21) + '…' : a[0], 6, y + ROW_H / 2);
  }
  canvas.setAttribute('data-rows', String(last - first));
  canvas.setAttribute('data-first-row', String(first));
  canvas.setAttribute('data-spans', String(spans));
  canvas.setAttribute('data-marks', String(marks));
  drawAxis(tk);
  showRange();
}
function showRange() {
  $('view-range').textContent = fmtMs(S.t0) + ' – ' + fmtMs(S.t1) + ' (' + fmtMs(S.t1 - S.t0) + ' shown)';
}

function drawAxis(tk) {
  var w = scroller.clientWidth, ctx = fit(axis, w, 26);
  ctx.font = '11px system-ui, sans-serif'; ctx.fillStyle = '#5a6273'; ctx.strokeStyle = '#9aa1b0';
  ctx.textAlign = 'center'; ctx.textBaseline = 'alphabetic';
  ctx.beginPath(); ctx.moveTo(LABEL_W, 25.5); ctx.lineTo(w, 25.5); ctx.stroke();
  tk.forEach(function (t) {
    var x = Math.round(xOf(t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, 19); ctx.lineTo(x, 26); ctx.stroke();
    if (x > LABEL_W + 20 && x < w - 20) ctx.fillText(fmtMs(t), x, 15);
  });
  ctx.textAlign = 'left'; ctx.fillText('agent / simulated time →', 4, 15);
  axis.setAttribute('data-ticks', tk.map(fmtMs).join('|'));
}

function zoom(factor, at) {
  var span = (S.t1 - S.t0) * factor;
  span = Math.max(Math.min(END, 10), Math.min(END, span));
  var center = at === undefined ? (S.t0 + S.t1) / 2 : at;
  var frac = (center - S.t0) / (S.t1 - S.t0);
  setView(center - frac * span, center - frac * span + span);
}
function setView(t0, t1) {
  var span = t1 - t0;
  if (t0 < 0) { t0 = 0; t1 = span; }
  if (t1 > END) { t1 = END; t0 = Math.max(0, END - span); }
  S.t0 = t0; S.t1 = t1;
  // The range text follows at once; the canvas on the next frame.
  showRange();
  redraw();
}

function applyFilter() {
  var q = S.query.toLowerCase();
  rows = [];
  for (var i = 0; i < D.agents.length; i++) if (!q || D.agents[i][0].toLowerCase().indexOf(q) >= 0) rows.push(i);
  spacer.style.height = rows.length * ROW_H + 'px';
  // Short lists get a short box; long ones scroll inside a bounded one (the page stays small).
  document.querySelector('.tl-body').style.height = Math.min(440, Math.max(3, rows.length) * ROW_H + 4) + 'px';
  tScroll.style.height = Math.min(330, Math.max(3, rows.length) * ROW_H + 4) + 'px';
  $('agent-count').textContent = fmtNum(rows.length) + ' of ' + fmtNum(D.agents.length) + ' agents';
  sortTable();
  redraw();
}

// The per-agent table: sortable, virtualised (only the rows in view exist in the DOM).
var tScroll = $('table-scroll'), tSpacer = $('table-spacer'), tBody = $('table-rows');
function sortTable() {
  order = rows.slice();
  var c = S.sortCol, d = S.sortDir;
  if (c >= 0) order.sort(function (a, b) { return (D.agents[a][1][c] - D.agents[b][1][c]) * d || a - b; });
  tSpacer.style.height = order.length * ROW_H + 'px';
  renderTable();
}
function cell(text, cls) { var s = document.createElement('span'); s.textContent = text; if (cls) s.className = cls; return s; }
function renderTable() {
  var top = tScroll.scrollTop, h = tScroll.clientHeight || 320;
  var first = Math.floor(top / ROW_H), last = Math.min(order.length, Math.ceil((top + h) / ROW_H) + 1);
  tBody.textContent = '';
  tBody.style.transform = 'translateY(' + first * ROW_H + 'px)';
  for (var r = first; r < last; r++) {
    var i = order[r], a = D.agents[i], row = document.createElement('div');
    row.className = 'trow' + (i === S.selected ? ' selected' : '');
    row.setAttribute('data-agent', a[0]);
    row.setAttribute('data-index', String(i));
    row.appendChild(cell(a[0], 'name'));
    for (var c = 0; c < STAT_COLUMNS.length; c++) {
      var v = a[1][c], col = STAT_COLUMNS[c];
      row.appendChild(cell(col === 'costUsd' ? fmtUsd(v) : col === 'leaseWaitMs' ? fmtMs(v) : fmtNum(v)));
    }
    tBody.appendChild(row);
  }
}

function select(i) {
  S.selected = i;
  renderTable();
  redraw();
  var panel = $('agent-detail');
  panel.textContent = '';
  if (i < 0) return;
  var a = D.agents[i];
  panel.setAttribute('data-agent', a[0]);
  var h = document.createElement('h3'); h.textContent = a[0]; panel.appendChild(h);
  var dl = document.createElement('dl');
  STAT_COLUMNS.forEach(function (col, c) {
    var v = a[1][c];
    var dt = document.createElement('dt'); dt.textContent = col;
    var dd = document.createElement('dd'); dd.setAttribute('data-stat', col);
    dd.textContent = col === 'costUsd' ? fmtUsd(v) : col === 'leaseWaitMs' ? fmtMs(v) : fmtNum(v);
    dl.appendChild(dt); dl.appendChild(dd);
  });
  panel.appendChild(dl);
  var lists = { turn: [], tool: [], claim: [], lease: [], message: [], discovery: [], problem: [] };
  for (var j = 0; j < a[2].length; j += 4) {
    var k = SPAN_KINDS[a[2][j]];
    lists[k].push(D.labels[a[2][j + 3]] + ': ' + fmtMs(a[2][j + 1]) + ' – ' + fmtMs(a[2][j + 2]) + ' (' + fmtMs(a[2][j + 2] - a[2][j + 1]) + ')');
  }
  for (var m = 0; m < a[3].length; m += 3) {
    var mk = MARK_KINDS[a[3][m]];
    var line = fmtMs(a[3][m + 1]) + ': ' + (mk === 'message' || mk === 'discovery' ? '' : mk + ' ') + D.labels[a[3][m + 2]];
    (mk === 'message' ? lists.message : mk === 'discovery' ? lists.discovery : lists.problem).push(line);
  }
  [['turn', 'Turns'], ['tool', 'Tool calls'], ['message', 'Messages'], ['claim', 'Claims held'],
   ['lease', 'Lease waits'], ['discovery', 'Discoveries'], ['problem', 'Conflicts, faults, failures']].forEach(function (p) {
    var items = lists[p[0]];
    var sec = document.createElement('section'); sec.setAttribute('data-list', p[0]);
    var t = document.createElement('h4'); t.textContent = p[1] + ' (' + fmtNum(items.length) + ')'; sec.appendChild(t);
    var ol = document.createElement('ol');
    items.slice(0, MAX_LIST).forEach(function (text) { var li = document.createElement('li'); li.textContent = text; ol.appendChild(li); });
    if (items.length > MAX_LIST) { var more = document.createElement('li'); more.textContent = '… ' + fmtNum(items.length - MAX_LIST) + ' more'; ol.appendChild(more); }
    sec.appendChild(ol); panel.appendChild(sec);
  });
}

function rowAt(ev) {
  var rect = scroller.getBoundingClientRect();
  var y = ev.clientY - rect.top + scroller.scrollTop, x = ev.clientX - rect.left;
  var r = Math.floor(y / ROW_H);
  return { r: r, x: x, y: y, agent: r >= 0 && r < rows.length ? rows[r] : -1 };
}
function hit(p) {
  if (p.agent < 0 || p.x < LABEL_W) return null;
  var a = D.agents[p.agent], t = tOf(p.x), slack = (S.t1 - S.t0) / plotW() * 4, best = null;
  for (var m = 0; m < a[3].length; m += 3) {
    if (S.kinds[MARK_KINDS[a[3][m]]] && Math.abs(a[3][m + 1] - t) <= slack)
      return MARK_KINDS[a[3][m]] + ' at ' + fmtMs(a[3][m + 1]) + ': ' + D.labels[a[3][m + 2]];
  }
  for (var j = 0; j < a[2].length; j += 4) {
    var k = SPAN_KINDS[a[2][j]];
    if (S.kinds[k] && a[2][j + 1] - slack <= t && t <= a[2][j + 2] + slack && (best === null || a[2][j] > best[0]))
      best = [a[2][j], k + ' · ' + D.labels[a[2][j + 3]] + ': ' + fmtMs(a[2][j + 1]) + ' – ' + fmtMs(a[2][j + 2])];
  }
  return best && best[1];
}

var drag = null;
scroller.addEventListener('scroll', redraw);
scroller.addEventListener('wheel', function (ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) {
    ev.preventDefault();
    zoom(ev.deltaY > 0 ? 1.25 : 0.8, tOf(ev.clientX - scroller.getBoundingClientRect().left));
  } else if (ev.shiftKey) {
    ev.preventDefault();
    var dt = (S.t1 - S.t0) * (ev.deltaY || ev.deltaX) / 1000;
    setView(S.t0 + dt, S.t1 + dt);
  }
}, { passive: false });
scroller.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, t0: S.t0, t1: S.t1, moved: false }; });
window.addEventListener('mousemove', function (ev) {
  if (drag) {
    var dx = ev.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (drag.moved) {
      var dt = -dx / plotW() * (drag.t1 - drag.t0);
      setView(drag.t0 + dt, drag.t1 + dt);
    }
    return;
  }
  if (ev.target !== scroller && !scroller.contains(ev.target)) { tip.hidden = true; return; }
  var text = hit(rowAt(ev));
  tip.hidden = !text;
  if (text) {
    tip.textContent = text;
    var rect = scroller.getBoundingClientRect();
    tip.style.left = Math.min(ev.clientX - rect.left + 12, rect.width - 260) + 'px';
    tip.style.top = ev.clientY - rect.top + 40 + 'px';
  }
});
window.addEventListener('mouseup', function (ev) {
  if (drag && !drag.moved) {
    var p = rowAt(ev);
    if (p.agent >= 0) select(p.agent);
  }
  drag = null;
});
$('zoom-in').addEventListener('click', function () { zoom(0.5); });
$('zoom-out').addEventListener('click', function () { zoom(2); });
$('zoom-reset').addEventListener('click', function () { setView(0, END); });
$('agent-filter').addEventListener('input', function (ev) { S.query = ev.target.value; applyFilter(); });
Array.prototype.forEach.call(document.querySelectorAll('input[data-kind]'), function (box) {
  box.addEventListener('change', function () { S.kinds[box.getAttribute('data-kind')] = box.checked; redraw(); });
});
Array.prototype.forEach.call(document.querySelectorAll('[data-sort]'), function (b) {
  b.addEventListener('click', function () {
    var c = Number(b.getAttribute('data-sort'));
    S.sortDir = S.sortCol === c ? -S.sortDir : -1;
    S.sortCol = c;
    document.querySelectorAll('[data-sort]').forEach(function (o) { o.removeAttribute('aria-sort'); });
    b.setAttribute('aria-sort', S.sortDir < 0 ? 'descending' : 'ascending');
    sortTable();
  });
});
tScroll.addEventListener('scroll', renderTable);
tBody.addEventListener('click', function (ev) {
  var row = ev.target.closest('.trow');
  if (row) select(Number(row.getAttribute('data-index')));
});
window.addEventListener('resize', redraw);
applyFilter();
document.body.setAttribute('data-ready', 'true');
`;

/** The page's script: constants from this module, then the body above, in an IIFE. */
export function clientScript(): string {
  const constants = [
    `var SPAN_KINDS = ${JSON.stringify(SPAN_KINDS)};`,
    `var MARK_KINDS = ${JSON.stringify(MARK_KINDS)};`,
    `var STAT_COLUMNS = ${JSON.stringify(STAT_COLUMNS)};`,
    `var COLORS = ${JSON.stringify(COLORS)};`,
  ].join('\n');
  return `(function () {\n'use strict';\n${constants}\n${body}\n})();`;
}
