// The interactive HTML report, opened in headless Chromium (playwright-core driving Debian's
// /usr/bin/chromium): what a person sees and does (clicks, filters, zoom, pan, sorting) must
// match the run's own numbers, and a team of 10,000 agents must stay a small, fast page.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  mergeAnalyses,
  parseScenario,
  renderReport,
  runSimulation,
  type SimEvent,
  type SimulationResult,
  TeamAnalyzer,
  writeRunOutputs,
} from '@troupe/sim';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Child processes, worker pools and a browser on a shared 2-core machine: a named bound per test
// rather than the 5 s default.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

// The page's globals, for the functions Playwright runs in the page (this project's types have
// no DOM library).
declare const document: {
  getElementById(
    id: string,
  ): { getAttribute(name: string): string | null; textContent: string | null } | null;
  getElementsByTagName(name: string): { length: number };
  documentElement: { scrollHeight: number };
};

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const scenario = parseScenario({
  name: 'report-check',
  description: 'Five agents, one reviewer, a tight shared limit and every kind of fault.',
  seed: 21,
  workload: { files: 30, regionsPerFile: [2, 4] },
  team: {
    roles: [{ name: 'dev' }, { name: 'reviewer', denyTools: ['claim_region'] }],
    agents: [
      { name: 'dev', role: 'dev', count: 5 },
      { name: 'reviewer', role: 'reviewer', count: 1 },
    ],
  },
  limits: [{ key: 'model', windowMs: 60_000, requests: 40 }],
  faults: { rateLimited: 0.06, serverError: 0.05, timeout: 0.03, timeoutMs: 20_000, crash: 0.02 },
});

let dir: string;
let result: SimulationResult;
let multi: SimulationResult;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function open(path: string): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  p.on('pageerror', (error) => pageErrors.push(String(error)));
  // The file is self-contained: any request beyond the file itself is a bug.
  p.on('request', (request) => {
    if (!request.url().startsWith('file:')) pageErrors.push(`request to ${request.url()}`);
  });
  await p.goto(pathToFileURL(path).href);
  await p.waitForSelector('body[data-ready="true"]');
  return p;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the HTML report test needs Chromium (apt-get install chromium).`,
    );
  }
  dir = await mkdtemp(join(tmpdir(), 'troupe-report-'));
  result = await runSimulation({ scenario, seed: 21, threads: 0 });
  multi = await runSimulation({ scenario, seed: 5, teams: 6, threads: 0 });
  await writeRunOutputs(join(dir, 'one'), result, { description: scenario.description });
  await writeRunOutputs(join(dir, 'many'), multi, { description: scenario.description });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await open(join(dir, 'one', 'report.html'));
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const attr = async (p: Page, selector: string, name: string) =>
  Number(await p.locator(selector).getAttribute(name));

describe('the HTML report in Chromium', () => {
  it('the run it shows injected every kind of fault and saw conflicts', () => {
    const t = result.analysis.totals;
    for (const kind of ['rate_limited', 'server_error', 'timeout', 'crash']) {
      expect(t.faults[kind], kind).toBeGreaterThan(0);
    }
    expect(t.conflicts).toBeGreaterThan(0);
  });

  it('shows the scenario, the seed and the event log hash, with no script errors or requests', async () => {
    await expect(page.title()).resolves.toBe('Troupe simulation — report-check');
    expect(await page.locator('h1').innerText()).toBe('report-check');
    expect(await page.getByTestId('seed').innerText()).toBe('21');
    expect(await page.getByTestId('log-hash').innerText()).toBe(result.hash);
    expect(pageErrors).toEqual([]);
  });

  it('draws one timeline row per agent with its spans and marks', async () => {
    expect(await attr(page, '#tl-canvas', 'data-rows')).toBe(6);
    expect(await attr(page, '#tl-canvas', 'data-spans')).toBeGreaterThan(100);
    expect(await attr(page, '#tl-canvas', 'data-marks')).toBeGreaterThanOrEqual(
      result.analysis.totals.modelFailures,
    );
    // The time axis has several ticks, each with its unit.
    const ticks = (await page.locator('#tl-axis').getAttribute('data-ticks'))!.split('|');
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    for (const tick of ticks) expect(tick).toMatch(/^\d+(\.\d+)? (ms|s|min|h)$/);
  });

  it('zooms in and out with the buttons and with ctrl+wheel, and pans by dragging', async () => {
    const range = () => page.getByTestId('view-range').innerText();
    const full = await range();
    await page.click('#zoom-in');
    await page.click('#zoom-in');
    const zoomed = await range();
    expect(zoomed).not.toBe(full);
    const shown = (text: string) => text.match(/\((.*) shown\)/)![1]!;
    expect(shown(zoomed)).not.toBe(shown(full));
    // Drag the plot to the left: later times come into view, the span shown stays the same.
    const box = (await page.locator('#tl-scroll').boundingBox())!;
    await page.mouse.move(box.x + 700, box.y + 30);
    await page.mouse.down();
    await page.mouse.move(box.x + 400, box.y + 30, { steps: 5 });
    await page.mouse.up();
    const panned = await range();
    expect(panned).not.toBe(zoomed);
    expect(shown(panned)).toBe(shown(zoomed));
    await page.click('#zoom-reset');
    expect(await range()).toBe(full);
    await page.mouse.move(box.x + 600, box.y + 30);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -200);
    await page.keyboard.up('Control');
    await page.waitForFunction(
      (before) => document.getElementById('view-range')!.textContent !== before,
      full,
    );
    await page.click('#zoom-reset');
  });

  it('filters agents by name and event kinds by type', async () => {
    await page.fill('#agent-filter', 'reviewer');
    await page.waitForFunction(
      () => document.getElementById('tl-canvas')!.getAttribute('data-rows') === '1',
    );
    expect(await page.locator('#agent-count').innerText()).toBe('1 of 6 agents');
    expect(await page.locator('#table-rows .trow').count()).toBe(1);
    await page.fill('#agent-filter', '');
    await page.waitForFunction(
      () => document.getElementById('tl-canvas')!.getAttribute('data-rows') === '6',
    );
    const spans = await attr(page, '#tl-canvas', 'data-spans');
    await page.uncheck('input[data-kind="turn"]');
    await page.waitForFunction(
      (n) => Number(document.getElementById('tl-canvas')!.getAttribute('data-spans')) < n,
      spans,
    );
    const marks = await attr(page, '#tl-canvas', 'data-marks');
    await page.uncheck('input[data-kind="fault"]');
    await page.waitForFunction(
      (n) => Number(document.getElementById('tl-canvas')!.getAttribute('data-marks')) < n,
      marks,
    );
    await page.check('input[data-kind="turn"]');
    await page.check('input[data-kind="fault"]');
  });

  it('clicking an agent on the timeline shows its turns, tool calls, claims and cost', async () => {
    const box = (await page.locator('#tl-scroll').boundingBox())!;
    // Row 2 (22 px per row) is dev-2.
    await page.mouse.click(box.x + 60, box.y + 22 * 1 + 10);
    const detail = page.getByTestId('agent-detail');
    await expect.poll(() => detail.getAttribute('data-agent')).toBe('dev-2');
    const stats = result.analysis.agents.find((a) => a.agent === 'dev-2')!;
    expect(await detail.locator('[data-stat="turns"]').innerText()).toBe(fmt(stats.turns));
    expect(await detail.locator('[data-stat="modelCalls"]').innerText()).toBe(
      fmt(stats.modelCalls),
    );
    expect(await detail.locator('[data-stat="costUsd"]').innerText()).toBe(
      `$${stats.costUsd.toFixed(4)}`,
    );
    expect(await detail.locator('[data-list="turn"] h4').innerText()).toBe(
      `Turns (${fmt(stats.turns)})`,
    );
    expect(await detail.locator('[data-list="claim"] h4').innerText()).toMatch(
      /^Claims held \([1-9]/,
    );
  });

  it('the per-agent table sorts by cost, and a click on a row selects the agent', async () => {
    await page.click('[data-sort="4"]');
    const priciest = [...result.analysis.agents].sort((a, b) => b.costUsd - a.costUsd)[0]!;
    const first = page.locator('#table-rows .trow').first();
    expect(await first.getAttribute('data-agent')).toBe(priciest.agent);
    await page.click('[data-sort="4"]');
    const cheapest = [...result.analysis.agents].sort((a, b) => a.costUsd - b.costUsd)[0]!;
    expect(await page.locator('#table-rows .trow').first().getAttribute('data-agent')).toBe(
      cheapest.agent,
    );
    await page.locator('#table-rows .trow[data-agent="reviewer-1"]').click();
    await expect
      .poll(() => page.getByTestId('agent-detail').getAttribute('data-agent'))
      .toBe('reviewer-1');
  });

  it('draws the four charts with bars and y ticks with units', async () => {
    const charts = await page
      .locator('svg[data-chart]')
      .evaluateAll((svgs) => svgs.map((s) => s.getAttribute('data-chart')));
    expect(charts).toEqual(['throughput', 'lease-waits', 'conflicts', 'faults']);
    for (const chart of charts) {
      const svg = page.locator(`svg[data-chart="${chart}"]`);
      const heights = await svg
        .locator('rect')
        .evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect().height));
      expect(heights.filter((h) => h >= 1).length, chart).toBeGreaterThan(0);
      expect(await svg.locator('text.tick').count(), chart).toBeGreaterThanOrEqual(6);
    }
    const waitTicks = await page
      .locator('svg[data-chart="lease-waits"] text.tick')
      .evaluateAll((ts) => ts.map((t) => t.textContent ?? ''));
    expect(waitTicks.some((t) => /\d (s|min)$/.test(t))).toBe(true);
  });

  it('the totals cards and the fault table show the run’s numbers', async () => {
    const t = result.analysis.totals;
    const card = (id: string) => page.locator(`[data-total="${id}"] b`).innerText();
    expect(await card('agents')).toBe('6');
    expect(await card('model-calls')).toBe(fmt(t.modelCalls));
    expect(await card('conflicts')).toBe(fmt(t.conflicts));
    expect(await card('cost')).toBe(`$${t.costUsd.toFixed(2)}`);
    const rows = await page
      .locator('[data-testid="faults"] tbody tr[data-fault]')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-fault')));
    expect(rows).toEqual(['crash', 'rate_limited', 'server_error', 'timeout']);
  });

  it('fits the page: nothing wider than the viewport', async () => {
    const overflow = await page.locator('html').evaluate((h) => h.scrollWidth - h.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(tmpdir(), 'troupe-report-chromium.png'), fullPage: true });
  });
});

describe('a multi-team report', () => {
  it('shows the spread across every team, not only the first', async () => {
    const p = await open(join(dir, 'many', 'report.html'));
    const spread = p.getByTestId('spread');
    const calls = multi.analysis.perTeam.map((t) => t.modelCalls).sort((a, b) => a - b);
    const cells = await spread.locator('tr[data-metric="model-calls"] td').allInnerTexts();
    expect(cells).toEqual([
      'Model calls',
      fmt(calls[0]!),
      expect.any(String),
      expect.any(String),
      fmt(calls[5]!),
    ]);
    // Each histogram counts all six teams.
    for (const id of ['simulated', 'model-calls', 'cost', 'conflicts', 'faults']) {
      const counts = await p
        .locator(`svg[data-spread="${id}"] rect[data-count]`)
        .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-count'))));
      expect(
        counts.reduce((a, b) => a + b, 0),
        id,
      ).toBe(6);
    }
    expect(await p.locator('[data-total="teams"] b').innerText()).toBe('6');
    await p.close();
  });
});

describe('a report of 10,000 agents', () => {
  it('stays a bounded page: only the rows in view exist, filters and clicks still work', async () => {
    // One team of 10,000 agents, each with turns, model calls and a fault now and then.
    const analyzer = new TeamAnalyzer({ timelines: true });
    const agents = Array.from({ length: 10_000 }, (_, i) => `agent-${String(i).padStart(5, '0')}`);
    analyzer.add({
      t: 0,
      team: 0,
      type: 'run.started',
      scenario: 'big',
      seed: 1,
      agents,
      regions: 0,
    });
    for (const [i, agent] of agents.entries()) {
      for (let turn = 1; turn <= 3; turn++) {
        const t = i * 7 + turn * 1_000;
        const events: SimEvent[] = [
          { t, team: 0, type: 'turn.started', agent, turn },
          {
            t: t + 400,
            team: 0,
            type: 'model.answered',
            agent,
            latencyMs: 400,
            inputTokens: 100,
            outputTokens: 10,
            costUsd: 0.001,
          },
          { t: t + 600, team: 0, type: 'turn.ended', agent, turn },
        ];
        for (const e of events) analyzer.add(e);
      }
      if (i % 100 === 0)
        analyzer.add({
          t: i * 7 + 500,
          team: 0,
          type: 'model.failed',
          agent,
          code: 'ERR_TIMEOUT',
          fault: 'timeout',
        });
    }
    const analysis = mergeAnalyses([analyzer.result()]);
    const path = join(dir, 'big.html');
    await writeFile(path, renderReport(analysis, { scenario: 'big', seed: 1, logHash: 'x' }));
    const p = await open(path);
    // Bounded: a few hundred elements and a page a few screens tall, whatever the agents.
    const elements = await p.evaluate(() => document.getElementsByTagName('*').length);
    expect(elements).toBeLessThan(1_500);
    const height = await p.evaluate(() => document.documentElement.scrollHeight);
    expect(height).toBeLessThan(6_000);
    expect(await attr(p, '#tl-canvas', 'data-rows')).toBeLessThanOrEqual(25);
    expect(await p.locator('#table-rows .trow').count()).toBeLessThanOrEqual(25);
    // Scroll to the end of the timeline: the last agents are drawn.
    await p.locator('#tl-scroll').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await p.waitForFunction(
      () => Number(document.getElementById('tl-canvas')!.getAttribute('data-first-row')) > 9_000,
    );
    await p.fill('#agent-filter', 'agent-09999');
    await p.waitForFunction(
      () => document.getElementById('tl-canvas')!.getAttribute('data-rows') === '1',
    );
    await p.locator('#table-rows .trow').first().click();
    await expect
      .poll(() => p.getByTestId('agent-detail').getAttribute('data-agent'))
      .toBe('agent-09999');
    expect(await p.locator('[data-total="agents"] b').innerText()).toBe('10,000');
    expect(pageErrors).toEqual([]);
    await p.close();
  });
});
