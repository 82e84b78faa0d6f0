/** `jitsi-k8s bench` through the built bin (dist/), as a user runs it: exit codes, stdout vs stderr, Ctrl-C. */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumBin, cliBin, repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-cli-'));
const env = { ...process.env, CI: '1', NO_COLOR: '1', XDG_CACHE_HOME: join(work, 'cache') };

beforeAll(() => {
  const built = join(repoRoot, 'dist/commands/bench.js');
  if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(repoRoot, 'src/commands/bench.ts')).mtimeMs) {
    throw new Error('dist/ is missing or older than src/: build first (npx tsc -p .)');
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Live (not zombie) processes whose environment carries the marker. */
function marked(mark: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${d}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(mark)) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}

async function cli(args: string[], cwd = work): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [cliBin, ...args], { cwd, env, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('jitsi-k8s bench (built bin)', () => {
  it.each([
    [['bench', '--participants', '4'], 'error: no Jitsi site to load-test'],
    [['bench', '--target', 'loopback', '--replicas', '1,2'], 'error: --replicas: the loopback conference has no bridges to scale'],
    [['bench', '--target', 'loopback', '--participants', '2', '--rooms', '3'], 'error: --rooms: must be ≤ participants (2) (got 3)'],
    [['bench', '--target', 'loopback', '--duration', 'soon'], 'error: --duration: not a duration such as 20s'],
    [['bench', '--target', 'loopback', '--participants', 'many'], 'error: --participants: not a whole number (got "many")'],
    [['bench', '--target', 'loopback', '--video', '640x'], 'error: --video: not a size such as 640x360@15'],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await cli(args);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('hint:');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('the guard refuses more participants than calibration allows, without --yes', async () => {
    const cacheDir = join(work, 'cache', 'jitsi-k8s');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(
      join(cacheDir, 'calibration.json'),
      JSON.stringify({ version: 1, measuredAt: '2026-11-27T09:00:00Z', cpus: 2, coresPerSender: 0.3, coresPerLiteReceiver: 0.05, steps: [], recommended: {} }),
    );
    const r = await cli(['bench', '--target', 'loopback', '--participants', '40', '--senders', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: 40 participants need about 4.5 cores here');
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('--json: the summary on stdout, progress on stderr; Ctrl-C later exits 130 with samples and report kept', async () => {
    const out = join(work, 'run');
    const mark = `JK8S_CLI_TEST=${process.pid}-${Date.now()}`;
    const child = spawn(process.execPath, [cliBin, 'bench', '--target', 'loopback', '--participants', '2', '--duration', '5m', '--ramp', '10/s', '--warmup', '0s', '--browser', chromiumBin(), '--out', out, '--json'], {
      cwd: work,
      // every process the run starts inherits this marker: afterwards none may be left
      env: { ...env, JK8S_CLI_TEST: mark.split('=')[1] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // interrupt once the steady phase has samples
    const until = Date.now() + 60_000;
    while (Date.now() < until && !(existsSync(join(out, 'samples.jsonl')) && readFileSync(join(out, 'samples.jsonl'), 'utf8').includes('"phase":"steady"'))) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(marked(mark).length).toBeGreaterThan(3); // node + Chromium processes are running
    child.kill('SIGINT');
    const code = await exited;
    const until2 = Date.now() + 5_000;
    while (marked(mark).length && Date.now() < until2) await new Promise((r) => setTimeout(r, 200));
    expect(marked(mark)).toEqual([]);
    expect(stderr).toContain('interrupted');
    expect(code).toBe(130);
    const samples = readFileSync(join(out, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(samples.some((l) => JSON.parse(l).kind === 'participant')).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(existsSync(join(out, 'scenario.json'))).toBe(true);
    // stdout is the summary and nothing else
    const summary = JSON.parse(stdout);
    expect(typeof summary).toBe('object');
    expect(stdout).not.toContain('loopback conference on');

    // the run folder re-renders, and compares with itself; subcommand flags reach the subcommand
    const report = await cli(['bench', 'report', out, '--json']);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toEqual(summary);
    const compare = await cli(['bench', 'compare', out, out, '--out', join(work, 'cmp'), '--json']);
    expect(compare.code).toBe(0);
    expect(typeof JSON.parse(compare.stdout)).toBe('object');
    expect(existsSync(join(work, 'cmp', 'compare.html'))).toBe(true);
    const missing = await cli(['bench', 'report', join(work, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such folder');
  }, 90_000);

  it('bench calibrate --json: the calibration on stdout, stored for the guard', async () => {
    const r = await cli(['bench', 'calibrate', '--steps', '1', '--steady', '3s', '--browser', chromiumBin(), '--out', join(work, 'cal'), '--json']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.steps).toHaveLength(1);
    expect(c.coresPerSender).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(work, 'cache', 'jitsi-k8s', 'calibration.json'), 'utf8'))).toEqual(c);
    expect(existsSync(join(work, 'cal', 'step-1-1-lite', 'samples.jsonl'))).toBe(true);
  }, 60_000);
});
