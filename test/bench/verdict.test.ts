/**
 * The verdict and its exit codes on real runs of the built bin with real Chromium: the loopback
 * conference inside a network namespace this test creates (veth pair 10.99.0.1/24 + 10.99.0.2/24,
 * both ends inside), first clean (exit 0), then with 5 % of UDP dropped on the INPUT hook (exit 99 on
 * a loss threshold, and on a regression against the clean run); a URL on loopback that is not Jitsi
 * or where nothing listens (no participant can join: exit 1), no browser (exit 1);
 * `bench compare --max-regression` on the recorded runs. Needs root.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cluster/exec.js';
import { chromiumBin, cliBin, repoRoot } from '../support/tools.js';
import { vethNamespace } from '../support/veth-netns.js';

const ns = `jk8s-verdict-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'jk8s-verdict-'));
const env = { ...process.env, CI: '1', NO_COLOR: '1', XDG_CACHE_HOME: join(work, 'cache') };
const ip = (...args: string[]) => run('ip', args, { timeoutMs: 15_000 });
let notJitsi: Server | undefined;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built bin, optionally inside the namespace; never throws on a non-zero exit. */
async function cli(args: string[], inNamespace = false): Promise<Result> {
  const [file, argv] = inNamespace ? ['ip', ['netns', 'exec', ns, process.execPath, cliBin, ...args]] : [process.execPath, [cliBin, ...args]];
  try {
    const r = await promisify(execFile)(file, argv, { cwd: work, env, timeout: 150_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** 1 sender → 2 lite receivers in the namespace, 8 s steady (~800 received audio packets). */
const loopbackRun = (out: string, ...extra: string[]) =>
  cli(
    ['bench', '--target', 'loopback', '--listen', '10.99.0.1', '--browser', chromiumBin(), '-p', '3', '--senders', '1', '-d', '8s', '--warmup', '1s', '--cooldown', '0s', '--ramp', '5/s', '--yes', '--out', join(work, out), ...extra],
    true,
  );

const summaryOf = (out: string) => JSON.parse(readFileSync(join(work, out, 'summary.json'), 'utf8'));

beforeAll(async () => {
  const built = join(repoRoot, 'dist/bench/results/thresholds.js');
  if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(repoRoot, 'src/bench/results/thresholds.ts')).mtimeMs) {
    throw new Error('dist/ is missing or older than src/: build first (npm run build)');
  }
  if (process.getuid?.() !== 0) throw new Error('the verdict test needs root (ip netns, nftables); run the tests as root');
  await vethNamespace(ns, ['jk8sa', 'jk8sb'], '10.99.0');
});

afterAll(async () => {
  await ip('netns', 'del', ns).catch(() => {});
  await new Promise<void>((resolve) => (notJitsi ? notJitsi.close(() => resolve()) : resolve()));
  rmSync(work, { recursive: true, force: true });
});

describe('bench verdict on real loopback runs', () => {
  it('a clean run meets the default thresholds and a loss threshold: exit 0, verdict at the top of every output', async () => {
    const r = await loopbackRun('clean', '--threshold', 'audio.loss.pooled<1%', '--threshold', 'join.failed<=0', '--threshold', 'media.stopped<=0');
    expect(r.stderr).toContain('verdict: PASSED: 3 threshold check(s) held');
    expect(r.code).toBe(0);
    const summary = summaryOf('clean');
    expect(Object.keys(summary).slice(0, 2)).toEqual(['schema', 'verdict']);
    expect(summary.verdict).toMatchObject({ passed: true, defaults: false, thresholds: ['audio.loss.pooled<1%', 'join.failed<=0', 'media.stopped<=0'] });
    const [loss, failed, stopped] = summary.verdict.steps[0].results;
    expect(loss.measured).toBeLessThan(1);
    expect(failed.measured).toBe(0);
    expect(stopped.measured).toBe(0);
    // the terminal summary opens with the verdict table, every threshold with its measured value
    const verdictAt = r.stderr.indexOf('verdict:');
    expect(verdictAt).toBeLessThan(r.stderr.indexOf('phase'));
    expect(r.stderr).toMatch(/audio\.loss\.pooled<1% \(steady\)\s+\d+(\.\d+)? %\s+pass/);
    const html = readFileSync(join(work, 'clean', 'report.html'), 'utf8');
    expect(html).toContain('data-verdict="passed"');
    expect(html.indexOf('data-verdict')).toBeLessThan(html.indexOf('Key figures'));
    expect(html).toContain('<code>audio.loss.pooled&lt;1%</code>');
    // the report states the shape of the run, as the terminal did before it started
    expect(r.stderr).toContain('bench: 3 participants = 1 room × 3, 1 sender');
    expect(html).toContain('3 participants = 1 room × 3, 1 sender');
  }, 150_000);

  it('5 % UDP loss injected: a loss threshold fails, exit 99, each failure named with its measured value', async () => {
    await run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
      input: 'table inet jk8s {\n chain input {\n  type filter hook input priority 0;\n  meta l4proto udp numgen random mod 20 0 drop\n }\n}\n',
      timeoutMs: 15_000,
    });
    const r = await loopbackRun('lossy', '--threshold', 'audio.loss.pooled<1%', '--threshold', 'join.failed<=0');
    expect(r.stderr).toMatch(/error: the run did not meet its thresholds:\n {2}audio\.loss\.pooled<1%: measured \d+(\.\d+)? %/);
    expect(r.stderr).toContain('hint: the verdict is at the top of');
    expect(r.code).toBe(99);
    const summary = summaryOf('lossy');
    expect(summary.verdict.passed).toBe(false);
    const [loss, failed] = summary.verdict.steps[0].results;
    expect(loss).toMatchObject({ expression: 'audio.loss.pooled<1%', passed: false });
    // media crosses the drop rule twice (sender → forwarding unit → receiver): 1 − 0.95² ≈ 9.75 %
    expect(loss.measured).toBeGreaterThan(4);
    expect(loss.measured).toBeLessThan(16);
    expect(failed).toMatchObject({ measured: 0, passed: true });
    expect(readFileSync(join(work, 'lossy', 'report.html'), 'utf8')).toContain('data-verdict="failed"');
    console.log(`5 % injected per hop: audio loss pooled ${loss.measured} %`);
  }, 150_000);

  it('--baseline: thresholds held but the run regressed against the clean run: exit 99 naming the figure', async () => {
    const r = await loopbackRun('lossy-vs-clean', '--threshold', 'audio.loss.pooled<30%', '--baseline', join(work, 'clean'), '--max-regression', 'audio.loss.pooled=50%');
    expect(summaryOf('lossy-vs-clean').verdict.passed).toBe(true);
    expect(r.stderr).toContain('baseline: 1 regression(s) beyond audio.loss.pooled=50%');
    expect(r.stderr).toMatch(/regressed against .*clean: audio\.loss\.pooled: \d+(\.\d+)? % → \d+(\.\d+)? %.*allowed 50 %/);
    expect(r.code).toBe(99);
    expect(readFileSync(join(work, 'lossy-vs-clean', 'compare.html'), 'utf8')).toContain('data-regression="failed"');
  }, 150_000);

  it('bench compare --max-regression on the recorded runs: 99 when worse beyond the allowance, 0 against itself', async () => {
    const worse = await cli(['bench', 'compare', join(work, 'clean'), join(work, 'lossy'), '--max-regression', '10%', '--json', '--out', join(work, 'cmp')]);
    expect(worse.code).toBe(99);
    expect(worse.stderr).toMatch(/lossy regressed against .*clean:\n(.*\n)* {2}audio\.loss\.pooled: /);
    const comparison = JSON.parse(worse.stdout);
    expect(Object.keys(comparison).slice(0, 2)).toEqual(['schema', 'regression']);
    expect(comparison.regression.results.find((x: { figure: string }) => x.figure === 'audio.loss.pooled')).toMatchObject({ regressed: true, allowedPct: 10 });
    expect(readFileSync(join(work, 'cmp', 'compare.html'), 'utf8')).toContain('data-regression="failed"');

    const same = await cli(['bench', 'compare', join(work, 'clean'), join(work, 'clean'), '--max-regression', '10%', '--out', join(work, 'cmp-same')]);
    expect(same.stderr).toContain('baseline: no regression beyond 10%');
    expect(same.code).toBe(0);

    const bad = await cli(['bench', 'compare', join(work, 'clean'), join(work, 'lossy'), '--max-regression', '10%,rtt.p9=5%']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: --max-regression: unknown figure "rtt.p9"\n  10%,rtt.p9=5%\n      ^^^^^^');
  }, 60_000);

  it('participants cannot join (a page on loopback that is not Jitsi): exit 1, report kept', async () => {
    notJitsi = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>not jitsi</title><p>nothing to join here</p>');
    });
    await new Promise<void>((resolve) => notJitsi!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(notJitsi.address() as AddressInfo).port}/`;
    const r = await cli(['bench', '--url', url, '--browser', chromiumBin(), '-p', '2', '--senders', '1', '--join-timeout', '5s', '-d', '2s', '--warmup', '0s', '--cooldown', '0s', '--ramp', '5/s', '--yes', '--out', join(work, 'not-jitsi')]);
    expect(r.stderr).toMatch(/error: no participant could join, so nothing was measured \(bench-\d: the page has no Jitsi Meet app/);
    expect(r.stderr).toContain(`hint: check that ${url} is a Jitsi Meet site`);
    expect(r.code).toBe(1);
    const summary = summaryOf('not-jitsi');
    expect(summary.verdict.defaults).toBe(true);
    expect(summary.verdict.steps[0].results[0]).toMatchObject({ expression: 'join.failed<=0', measured: 2, passed: false });
  }, 120_000);

  it('a URL where nothing listens (connection refused): exit 1, not a verdict', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/`;
    const r = await cli(['bench', '--url', url, '--browser', chromiumBin(), '-p', '2', '--senders', '1', '--join-timeout', '5s', '-d', '2s', '--warmup', '0s', '--cooldown', '0s', '--ramp', '5/s', '--yes', '--out', join(work, 'refused')]);
    expect(r.stderr).toMatch(/error: no participant could join, so nothing was measured \(bench-\d: .*ERR_CONNECTION_REFUSED/);
    expect(r.code).toBe(1);
  }, 120_000);

  it('no browser to drive: exit 1 before anything starts', async () => {
    const r = await cli(['bench', '--target', 'loopback', '-p', '2', '--browser', join(work, 'no-such-chrome'), '--out', join(work, 'no-browser')]);
    expect(r.stderr).toContain(`error: --browser ${join(work, 'no-such-chrome')} is not an executable file`);
    expect(r.stderr).toContain('hint:');
    expect(r.code).toBe(1);
  });

  it.each([
    [['--threshold', 'audio.loss.p95<2ms'], 'error: --threshold: audio.loss.p95 is in % (got "ms")\n  audio.loss.p95<2ms\n                  ^^'],
    [['--threshold', 'rtt.p95=>300'], 'error: --threshold: a single "=" is not an operator: use == or <=\n  rtt.p95=>300\n         ^'],
    [['--baseline', '/nonexistent-run'], 'error: --baseline: /nonexistent-run is not a run folder (no samples.jsonl)'],
    [['--max-regression', '10%'], 'error: --max-regression judges a run against --baseline <dir>'],
  ])('%j is a usage error before anything runs (exit 2)', async (args, message) => {
    const r = await cli(['bench', '--target', 'loopback', ...args]);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('hint:');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });
});
