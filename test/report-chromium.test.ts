// The HTML report of a real simulation with faults, opened in headless Chromium (playwright-core
// driving Debian's /usr/bin/chromium): what a person sees must match the run's own numbers.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseScenario, runSimulation, type SimulationResult, writeRunOutputs } from '@troupe/sim';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
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
let profile: string;
let result: SimulationResult;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the HTML report test needs Chromium. Install it with \`apt-get install chromium\` (.ci/run does).`,
    );
  }
  dir = await mkdtemp(join(tmpdir(), 'troupe-report-'));
  profile = await mkdtemp(join(tmpdir(), 'troupe-chromium-'));
  result = await runSimulation({ scenario, seed: 21, threads: 0 });
  const files = await writeRunOutputs(dir, result, { description: scenario.description });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(pathToFileURL(files.report).href);
});

afterAll(async () => {
  await context?.close();
  await Promise.all(
    [dir, profile].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })),
  );
});

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

describe('the HTML report in Chromium', () => {
  it('the run it shows injected every kind of fault and saw conflicts', () => {
    const t = result.analysis.totals;
    for (const kind of ['rate_limited', 'server_error', 'timeout', 'crash']) {
      expect(t.faults[kind], kind).toBeGreaterThan(0);
    }
    expect(t.conflicts).toBeGreaterThan(0);
    expect(t.leaseWaits).toBeGreaterThan(0);
  });

  it('shows the scenario, the seed and the event log hash', async () => {
    await expect(page.title()).resolves.toBe('Troupe simulation — report-check');
    expect(await page.locator('h1').innerText()).toBe('report-check');
    expect(await page.getByTestId('seed').innerText()).toBe('21');
    expect(await page.getByTestId('log-hash').innerText()).toBe(result.hash);
    expect(await page.locator('.meta').innerText()).toContain(scenario.description);
  });

  it('draws one timeline row per agent, each with its turns', async () => {
    const rows = page.locator('[data-testid="timeline"] g[data-agent]');
    const agents = await rows.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-agent')));
    expect(agents).toEqual(['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5', 'reviewer-1']);
    for (const agent of agents) {
      const row = page.locator(`g[data-agent="${agent}"]`);
      expect(await row.locator('text.agent').textContent()).toBe(agent);
      expect(await row.locator('rect.span-turn').count(), agent).toBeGreaterThan(0);
      const box = await row.boundingBox();
      expect(box?.width, agent).toBeGreaterThan(500);
    }
    // Workers hold claims; the reviewer may not claim.
    expect(await page.locator('g[data-agent="dev-1"] rect.span-claim').count()).toBeGreaterThan(0);
    expect(await page.locator('g[data-agent="reviewer-1"] rect.span-claim').count()).toBe(0);
    // Lease waits, conflicts and faults appear as marks and spans somewhere on the timeline.
    const timeline = page.getByTestId('timeline');
    expect(await timeline.locator('rect.span-lease').count()).toBeGreaterThan(0);
    expect(await timeline.locator('circle.mark-conflict').count()).toBeGreaterThan(0);
    expect(await timeline.locator('circle.mark-fault').count()).toBe(
      result.analysis.totals.modelFailures,
    );
  });

  it('draws the four charts, each with visible bars', async () => {
    const charts = await page
      .locator('svg[data-chart]')
      .evaluateAll((svgs) => svgs.map((s) => s.getAttribute('data-chart')));
    expect(charts).toEqual(['throughput', 'lease-waits', 'conflicts', 'faults']);
    for (const chart of charts) {
      const svg = page.locator(`svg[data-chart="${chart}"]`);
      const box = await svg.boundingBox();
      expect(box?.width, chart).toBeGreaterThan(300);
      expect(box?.height, chart).toBeGreaterThan(100);
      const heights = await svg
        .locator('rect')
        .evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect().height));
      expect(heights.filter((h) => h >= 1).length, chart).toBeGreaterThan(0);
    }
  });

  it('the totals cards show the run’s numbers', async () => {
    const t = result.analysis.totals;
    const card = (id: string) => page.locator(`[data-total="${id}"] b`).innerText();
    expect(await card('regions')).toBe(`${fmt(t.regionsDone)} / ${fmt(t.regions)}`);
    expect(t.regionsDone).toBe(t.regions);
    expect(await card('agents')).toBe('6');
    expect(await card('model-calls')).toBe(fmt(t.modelCalls));
    expect(await card('model-failures')).toBe(fmt(t.modelFailures));
    expect(await card('conflicts')).toBe(fmt(t.conflicts));
    expect(await card('claims')).toBe(fmt(t.claimsGranted));
    expect(await card('restarts')).toBe(fmt(t.agentRestarts));
    expect(await card('cost')).toBe(`$${t.costUsd.toFixed(2)}`);
  });

  it('lists each injected fault kind with its count', async () => {
    const rows = await page
      .locator('[data-testid="faults"] tbody tr[data-fault]')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
    const expected = Object.entries(result.analysis.totals.faults)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, n]) => [kind, fmt(n)]);
    expect(rows).toEqual(expected);
    expect(rows.map(([kind]) => kind)).toEqual([
      'crash',
      'rate_limited',
      'server_error',
      'timeout',
    ]);
  });

  it('fits the page: nothing wider than the viewport', async () => {
    const overflow = await page
      .locator('html')
      .evaluate((html) => html.scrollWidth - html.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // For a person to look at: the whole page as Chromium drew it.
    const shot = join(tmpdir(), 'troupe-report-chromium.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
  });
});
