/** `jitsi-k8s bench` through the built bin (dist/), as a user runs it: exit codes, stdout vs stderr, Ctrl-C. */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { processesMarked } from '../support/processes.js';
import { chromiumBin, cliBin, repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-cli-'));
const env = { ...process.env, CI: '1', NO_COLOR: '1', XDG_CACHE_HOME: join(work, 'cache') };

beforeAll(() => {
  // the bin runs the bundle
  const built = join(repoRoot, 'dist/cli.cjs');
  if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(repoRoot, 'src/commands/bench.ts')).mtimeMs) {
    throw new Error('the bundle (dist/cli.cjs) is missing or older than src/: build first (npm run build)');
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: string[], cwd = work, extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [cliBin, ...args], { cwd, env: { ...env, ...extraEnv }, timeout: 120_000 });
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
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(
      join(cacheDir, 'calibration.json'),
      JSON.stringify({ version: 1, measuredAt: '2026-11-27T09:00:00Z', cpus: 2, coresPerSender: 0.3, coresPerLiteReceiver: 0.05, steps: [], recommended: {} }),
    );
    try {
      const r = await cli(['bench', '--target', 'loopback', '--participants', '40']);
      expect(r.code).toBe(2);
      // 4 rooms × (2 senders × (0.3 + 0.05 + 0.09) + 8 lite × 2 × 0.05)
      expect(r.stderr).toContain('40 participants need about 6.72 cores');
      expect(r.stderr).toContain('calibration of 2026-11-27');
      expect(r.stderr).toContain('measure this machine again: jitsi-k8s bench calibrate');
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('the exact `bench --target loopback --participants 200 --duration 5s`: shape, estimate, calibrate and --runner k8s, exit 2 within seconds, no browser started', async () => {
    const called = join(work, 'browser-called');
    const recorder = join(work, 'record-browser.sh');
    writeFileSync(recorder, `#!/bin/sh\necho "$*" >> ${called}\nexec ${chromiumBin()} "$@"\n`);
    chmodSync(recorder, 0o755);
    const started = Date.now();
    // the browser is found through PUPPETEER_EXECUTABLE_PATH, so the command stays exactly the user's
    const r = await cli(['bench', '--target', 'loopback', '--participants', '200', '--duration', '5s'], work, { PUPPETEER_EXECUTABLE_PATH: recorder, XDG_CACHE_HOME: join(work, 'uncalibrated') });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bench: 200 participants = 20 rooms × 10, 2 senders each');
    expect(r.stderr).toMatch(/200 participants need about \d+ cores and [\d.]+ GiB to drive \(built-in estimate from bench\/results\/loopback-2026-11-27\.md/);
    expect(r.stderr).toContain('jitsi-k8s bench calibrate');
    expect(r.stderr).toContain('10 load-generator pods × 20 participants (2 rooms each)');
    expect(r.stderr).toContain('jitsi-k8s bench --url https://<your Jitsi site> --participants 200 --duration 5s --runner k8s');
    expect(r.stderr).toContain('error: this machine cannot drive 200 participants (estimate above); no browser was started');
    expect(r.stderr.indexOf('bench: 200 participants =')).toBeLessThan(r.stderr.indexOf('need about'));
    expect(r.stdout).toBe('');
    expect(existsSync(called)).toBe(false);
    // the README shows this session: every line as printed, up to where this machine's own figures start
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const shown = /\n\$ jitsi-k8s bench --target loopback --participants 200 --duration 5s\n([\s\S]*?)\n```/.exec(readme);
    expect(shown, 'the README bench section shows the 200-participant refusal').not.toBeNull();
    const lines = shown![1]!.split('\n');
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) expect(r.stderr).toContain(line.includes('…') ? line.slice(0, line.indexOf('…')) : line);
    await promisify(execFile)(recorder, ['--version']);
    expect(readFileSync(called, 'utf8')).toContain('--version');
  }, 30_000);

  it('on a terminal the same command asks first (util-linux `script` gives it a PTY); "no" refuses with exit 2, no browser started', async () => {
    if (spawnSync('script', ['--version']).status !== 0) throw new Error('util-linux `script` is needed for the PTY test (apt-get install bsdutils)');
    const called = join(work, 'browser-called-tty');
    const recorder = join(work, 'record-browser-tty.sh');
    writeFileSync(recorder, `#!/bin/sh\necho "$*" >> ${called}\nexec ${chromiumBin()} "$@"\n`);
    chmodSync(recorder, 0o755);
    const cmd = [process.execPath, cliBin, 'bench', '--target', 'loopback', '--participants', '200', '--duration', '5s'].map((a) => `'${a}'`).join(' ');
    // no CI in this environment: a terminal without it is a person who can be asked
    const ttyEnv = { PATH: process.env.PATH, HOME: work, NO_COLOR: '1', TERM: 'xterm', COLUMNS: '200', XDG_CACHE_HOME: join(work, 'uncalibrated'), PUPPETEER_EXECUTABLE_PATH: recorder };
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: work, env: ttyEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const until = Date.now() + 20_000;
      while (!screen.includes('run 200 participants on this machine anyway?') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(screen, screen).toContain('run 200 participants on this machine anyway?');
      expect(screen.indexOf('need about')).toBeLessThan(screen.indexOf('anyway?'));
      await new Promise((r) => setTimeout(r, 100)); // the prompt takes raw mode
      child.stdin.write('n\r');
      expect(await exited).toBe(2);
    } finally {
      child.kill('SIGKILL');
    }
    expect(screen).toContain('error: this machine cannot drive 200 participants (estimate above); no browser was started');
    expect(existsSync(called)).toBe(false);
  }, 30_000);

  it('a scenario slightly beyond a lowered capacity: refused without --yes, run with it', async () => {
    const cacheDir = join(work, 'cache', 'jitsi-k8s');
    mkdirSync(cacheDir, { recursive: true });
    // one sender just over the usable share of this machine's cores, whatever their number
    const coresPerSender = cpus().length * 0.75 + 0.01;
    writeFileSync(join(cacheDir, 'calibration.json'), JSON.stringify({ version: 1, measuredAt: '2026-11-29T09:00:00Z', cpus: cpus().length, coresPerSender, coresPerLiteReceiver: 0.01, steps: [], recommended: {} }));
    const launches = join(work, 'launches');
    const recorder = join(work, 'count-browser.sh');
    writeFileSync(recorder, `#!/bin/sh\necho launched >> ${launches}\nexec ${chromiumBin()} "$@"\n`);
    chmodSync(recorder, 0o755);
    const args = ['bench', '--target', 'loopback', '--participants', '2', '--senders', '1', '--duration', '2s', '--warmup', '0s', '--cooldown', '0s', '--ramp', '10/s', '--browser', recorder, '--out', join(work, 'beyond')];
    try {
      const refused = await cli(args);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('this machine cannot drive 2 participants');
      expect(existsSync(launches)).toBe(false);
      const ran = await cli([...args, '--yes']);
      expect(ran.stderr).toContain('bench: 2 participants = 1 room × 2, 1 sender');
      expect(ran.stderr).toContain('warning: this machine cannot drive 2 participants');
      expect(ran.stderr).toMatch(/bench: 2 joined, 0 failed/);
      // it ran to the end: 0, or 99 when the default thresholds judge figures taken on this busy shared machine
      expect([0, 99], ran.stderr).toContain(ran.code);
      expect(readFileSync(launches, 'utf8').trim().split('\n')).toHaveLength(2);
      expect(JSON.parse(readFileSync(join(work, 'beyond', 'scenario.json'), 'utf8')).shape).toBe('2 participants = 1 room × 2, 1 sender');
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('`bench --participants 200 --runner k8s --dry-run` beside a jitsi-k8s.yaml: the plan first, a Job of 10 pods with 10-person rooms', async () => {
    const dir = join(work, 'site');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(repoRoot, 'examples/jitsi-k8s.yaml'), join(dir, 'jitsi-k8s.yaml'));
    // no calibration: pods are sized by the built-in estimate
    const r = await cli(['bench', '--participants', '200', '--runner', 'k8s', '--dry-run'], dir, { XDG_CACHE_HOME: join(dir, 'no-cache') });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('bench: 200 participants = 20 rooms × 10, 2 senders each');
    expect(r.stderr).toContain('bench: 10 load-generator pods × 20 participants (2 rooms each');
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJSON() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    const plan = docs[0]!;
    expect(plan.shards).toHaveLength(10);
    for (const shard of plan.shards) expect(shard).toMatchObject({ participants: 20, senders: 4, rooms: [expect.any(String), expect.any(String)] });
    const job = docs.find((d) => d.kind === 'Job')!;
    expect(job.spec).toMatchObject({ completions: 10, completionMode: 'Indexed' });
    const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
    const spec = JSON.parse(String(Object.values(configMap.data)[0]));
    expect(spec.scenario).toMatchObject({ participants: 200, rooms: 20, senders: 2, url: 'https://meet.example.com' });
    // 20 whole rooms, each in one pod: 200 / 20 = 10 people a room
    const rooms = spec.shards.flatMap((shard: { rooms: string[] }) => shard.rooms);
    expect(new Set(rooms).size).toBe(20);
    expect(rooms).toHaveLength(20);
  });

  it('--json: the summary on stdout, progress on stderr; Ctrl-C later exits 130 with samples and report kept', async () => {
    const out = join(work, 'run');
    const mark = `${process.pid}-${Date.now()}`;
    const child = spawn(process.execPath, [cliBin, 'bench', '--target', 'loopback', '--participants', '2', '--duration', '5m', '--ramp', '10/s', '--warmup', '0s', '--browser', chromiumBin(), '--out', out, '--json'], {
      cwd: work,
      // every process the run starts inherits this marker: afterwards none may be left
      env: { ...env, JK8S_CLI_TEST: mark },
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
    expect(processesMarked('JK8S_CLI_TEST', mark).length).toBeGreaterThan(3); // node + Chromium processes are running
    child.kill('SIGINT');
    const code = await exited;
    const until2 = Date.now() + 5_000;
    while (processesMarked('JK8S_CLI_TEST', mark).length && Date.now() < until2) await new Promise((r) => setTimeout(r, 200));
    expect(processesMarked('JK8S_CLI_TEST', mark)).toEqual([]);
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
