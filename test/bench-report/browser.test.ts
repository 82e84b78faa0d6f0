/**
 * report.html and compare.html in a real Chromium, opened from file:// URLs: no console errors, no
 * page errors, no request leaving the file (self-contained), every chart drawn with data paths, and a
 * screenshot for a person to look at. Inputs are SYNTHETIC runs (see synthetic.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import { BASE_FLAGS } from '../../src/bench/browsers.js';
import { compareRuns, writeResults } from '../../src/bench/results/index.js';
import { chromiumBin } from '../support/tools.js';
import { writeSyntheticRun } from './synthetic.js';

const FLAGS = ['--headless=new', ...BASE_FLAGS];

const work = mkdtempSync(join(tmpdir(), 'bench-report-'));
// screenshots stay outside the repo; the path is printed so a person can look at them
const shots = process.env.BENCH_REPORT_SHOTS ?? mkdtempSync(join(tmpdir(), 'bench-report-shots-'));
let browser: Browser;

beforeAll(async () => {
  const puppeteer = (await import('puppeteer-core')).default;
  browser = await puppeteer.launch({ executablePath: chromiumBin(), pipe: true, headless: true, args: FLAGS });
});

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
  console.log(`screenshots in ${shots}`);
});

interface PageCheck {
  errors: string[];
  foreignRequests: string[];
  charts: { id: string; paths: number; nonEmpty: number }[];
  empties: string[];
  text: string;
  injected: { scripts: number; imgs: number; title: string };
}

async function open(file: string, shot: string): Promise<PageCheck> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const foreignRequests: string[] = [];
  try {
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') errors.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${String(e)}`));
    page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()}`));
    page.on('request', (r) => {
      if (r.url() !== pathToFileURL(file).href) foreignRequests.push(r.url());
    });
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const charts = await page.$$eval('svg[data-chart]', (svgs) =>
      svgs.map((svg) => {
        const paths = Array.from(svg.querySelectorAll('path.series'));
        return {
          id: svg.getAttribute('data-chart') ?? '',
          paths: paths.length,
          // a drawn path has a real box, not just a d attribute
          nonEmpty: paths.filter((p) => (p.getAttribute('d') ?? '').length > 4 && (p as SVGGraphicsElement).getBBox().width + (p as SVGGraphicsElement).getBBox().height > 0).length,
        };
      }),
    );
    const empties = await page.$$eval('[data-chart-empty]', (els) => els.map((e) => e.getAttribute('data-chart-empty') ?? ''));
    const text = await page.$eval('body', (b) => b.innerText);
    const injected = await page.evaluate(() => ({ scripts: document.scripts.length, imgs: document.images.length, title: document.title }));
    await page.screenshot({ path: join(shots, shot), fullPage: true });
    // the first chart alone, at full resolution, to check that its text is legible
    const first = await page.$('figure.chart-box');
    if (first) await first.screenshot({ path: join(shots, shot.replace('.png', '-chart.png')) });
    return { errors, foreignRequests, charts, empties, text, injected };
  } finally {
    await page.close();
  }
}

describe('report.html in Chromium', () => {
  it('renders a two-step sweep with every chart drawn', async () => {
    const dir = writeSyntheticRun(join(work, 'sweep'), { bridgeCounts: [1, 2], participants: 6, rooms: 3, failEvery: 5 });
    const { files } = await writeResults(dir);
    const report = files.find((f) => f.endsWith('report.html'))!;
    const page = await open(report, 'report-sweep.png');
    expect(page.errors).toEqual([]);
    expect(page.foreignRequests).toEqual([]);
    const ids = page.charts.map((c) => c.id).sort();
    expect(ids).toEqual(['bridge-cpu', 'bridge-stress', 'client-loss', 'cpu-per-participant', 'load-generator', 'participants', 'rtt']);
    for (const c of page.charts) expect(c.nonEmpty, c.id).toBeGreaterThan(0);
    // one line per bridge pod (jitsi-jvb-0, jitsi-jvb-1), audio and video loss, a bar per bridge count
    expect(page.charts.find((c) => c.id === 'bridge-cpu')!.nonEmpty).toBe(2);
    expect(page.charts.find((c) => c.id === 'client-loss')!.nonEmpty).toBe(2);
    expect(page.charts.find((c) => c.id === 'cpu-per-participant')!.nonEmpty).toBe(2);
    expect(page.empties).toEqual([]);
    expect(page.text).toContain('Why participants did not join');
    expect(page.text).toContain('jitsi-jvb-1');
  });

  it('renders a loopback run and says plainly that no bridge was measured', async () => {
    // the room name is hostile: it must show as text, not run
    const room = '<script>document.title="pwned"</script><img src=x onerror="document.title=1">';
    const dir = writeSyntheticRun(join(work, 'loopback'), { withBridges: false, bridgeCounts: [1], participants: 4, rooms: 1, roomName: () => room });
    const { files, summary } = await writeResults(dir);
    expect(summary.run.bridgeMeasured).toBe(false);
    const page = await open(files.find((f) => f.endsWith('report.html'))!, 'report-loopback.png');
    expect(page.errors).toEqual([]);
    expect(page.foreignRequests).toEqual([]);
    expect(page.text).toMatch(/No bridge measured/);
    expect(page.injected).toEqual({ scripts: 0, imgs: 0, title: 'jitsi-k8s bench — loopback, 4 participants' });
    expect(page.text).toContain(room);
    expect(page.text).toContain('Bridge charts (CPU, CPU per participant, stress) are left out: no bridge was measured in this run.');
    expect(page.empties).toEqual([]);
    const drawn = page.charts.filter((c) => c.nonEmpty > 0).map((c) => c.id).sort();
    expect(drawn).toEqual(['client-loss', 'load-generator', 'participants', 'rtt']);
    expect(page.charts).toHaveLength(4);
  });
});

describe('compare.html in Chromium', () => {
  it('puts two runs side by side with overlaid charts and deltas', async () => {
    const a = writeSyntheticRun(join(work, 'run-a'), { bridgeCounts: [1, 2] });
    const b = writeSyntheticRun(join(work, 'run-b'), { bridgeCounts: [1, 2], cpuScale: 1.5, audioLossEvery: 10, seed: 11 });
    const { files, comparison } = await compareRuns(a, b, join(work, 'cmp'));
    expect(files).toEqual([join(work, 'cmp', 'compare.html')]);
    const page = await open(files[0]!, 'compare.png');
    expect(page.errors).toEqual([]);
    expect(page.foreignRequests).toEqual([]);
    const byId = Object.fromEntries(page.charts.map((c) => [c.id, c.nonEmpty]));
    expect(byId).toEqual({
      'compare-cpu-per-participant': 4,
      'compare-client-loss': 4,
      'compare-bridge-cpu': 2,
      'compare-bridge-stress': 2,
      'compare-participants': 2,
      'compare-rtt': 2,
    });
    const cpp = comparison.figures.find((f) => f.scope === '2 bridges, steady' && f.figure === 'CPU per participant')!;
    expect(cpp.b!).toBeGreaterThan(cpp.a!);
    expect(page.text).toContain('run-a');
    expect(page.text).toContain('run-b');
  });
});
