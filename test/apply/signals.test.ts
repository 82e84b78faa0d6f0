/**
 * `jitsi-k8s apply` (and `scale`, through the same pipeline) stopped by SIGTERM / SIGHUP / Ctrl-C while helm runs: the built bin against the
 * fake API server (preflight) and the recording helm stand-in (upgrade and rollback need a cluster).
 * The stand-in's second upgrade hangs until signalled, so the signal lands mid helm step.
 * Look-alike API server: preflight here needs the metrics.k8s.io and cert-manager.io API groups, which the real control plane
 * does not serve (status --watch's Ctrl-C runs there in test/k8s/observe.test.ts). Real helm cannot be made to hang mid-step.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeNode, fakeStorageClass, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { processesMarked } from '../support/processes.js';
import { cliBin, kubectlBin, repoRoot } from '../support/tools.js';

const MARK = 'JK8S_APPLY_SIGNAL_TEST';
const standin = join(repoRoot, 'test/support/helm-standin.mjs');
const work = mkdtempSync(join(tmpdir(), 'jk8s-apply-signals-'));
let api: FakeApiServer;
const started: string[] = [];

beforeAll(async () => {
  api = await startFakeApiServer();
  for (let i = 0; i < 4; i++) api.state.nodes.push(fakeNode({ name: `n${i}`, cpu: '8', memory: '32Gi' }));
  api.state.storageClasses.push(fakeStorageClass({ name: 'standard', isDefault: true }));
  // the autoscaler (whose release is the second helm step) needs metrics-server, letsencrypt needs cert-manager
  api.state.apiGroups.push('metrics.k8s.io', 'cert-manager.io');
});
afterEach(() => {
  for (const id of started.splice(0)) for (const pid of processesOf(id)) process.kill(pid, 'SIGKILL');
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

const processesOf = (id: string): number[] => processesMarked(MARK, id);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** apply (or scale, the same pipeline) with the stand-in's second upgrade hanging; resolves once that upgrade runs. */
async function startUntilExtrasUpgrade(id: string, command: string[]) {
  const dir = mkdtempSync(join(work, 'c-'));
  const configPath = join(dir, 'jitsi-k8s.yaml');
  writeFileSync(
    configPath,
    'domain: meet.example.com\nnodes: { count: 4, cpu: 8, memoryGiB: 32 }\ncomponents: { jvb: { replicas: 2, autoscale: { enabled: true, max: 4 } } }\nexposure: { mode: hostPort }\ntls: { mode: letsencrypt, email: ops@example.com }\n',
  );
  const calls = join(dir, 'helm-calls.jsonl');
  writeFileSync(calls, '');
  const child = spawn(process.execPath, [cliBin, ...command, '--yes', '--config', configPath], {
    cwd: dir,
    env: {
      ...process.env,
      CI: '1',
      NO_COLOR: '1',
      KUBECONFIG: api.writeKubeconfig(),
      JITSI_K8S_HELM: standin,
      JITSI_K8S_KUBECTL: kubectlBin(),
      STANDIN_LOG: calls,
      STANDIN_RELEASES: JSON.stringify({ jitsi: { revision: 4, values: { old: true } } }),
      STANDIN_HANG: 'jitsi-extras',
      [MARK]: id,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  const log = () =>
    readFileSync(calls, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { argv: string[]; signal?: string });
  const until = Date.now() + 60_000;
  let ended = false;
  void exited.then(() => (ended = true));
  while (!log().some((c) => c.argv[0] === 'upgrade' && c.argv[2] === 'jitsi-extras')) {
    if (Date.now() > until || ended) throw new Error(`the extras upgrade never started:\n${stderr}`);
    await sleep(100);
  }
  await sleep(300); // the stand-in has set up its handlers
  /** the helm calls after the hanging upgrade: the signal it got, then what ran */
  const after = () => log().slice(log().findIndex((c) => c.argv[0] === 'upgrade' && c.argv[2] === 'jitsi-extras') + 1).map((c) => c.signal ?? c.argv.slice(0, 3).join(' '));
  return { child, exited, after, stderr: () => stderr, configPath };
}

describe('stopping apply during a helm step', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ] as const)('%s: helm is stopped, the release changed earlier is rolled back, no further step runs, exit %i', async (sig, expected) => {
    const id = `${process.pid}-${sig}-${Date.now()}`;
    started.push(id);
    const run = await startUntilExtrasUpgrade(id, ['apply']);
    const requestsBefore = api.requests.length;
    const sentAt = Date.now();
    run.child.kill(sig);
    const { code, at } = await run.exited;
    console.log(`apply stopped by ${sig} during helm upgrade: exit ${code} after ${at - sentAt} ms`);
    expect(code, run.stderr()).toBe(expected);
    expect(at - sentAt).toBeLessThan(10_000);
    // helm got the stop, then only the rollback of the release this run had upgraded ran
    expect(run.after()).toEqual(['SIGTERM', 'rollback jitsi 4']);
    expect(run.stderr()).toContain(`interrupted by ${sig === 'SIGINT' ? 'Ctrl-C (SIGINT)' : sig}: ${standin} upgrade was stopped`);
    expect(api.requests.slice(requestsBefore).filter((r) => r.path.includes('/pods'))).toEqual([]); // wait-bridges never ran
    await sleep(200);
    expect(processesOf(id)).toEqual([]);
  }, 90_000);
});

describe('stopping scale during a helm step', () => {
  it('SIGTERM: helm is stopped, the main release is rolled back, the config file keeps its old count, exit 143', async () => {
    const id = `${process.pid}-scale-${Date.now()}`;
    started.push(id);
    const run = await startUntilExtrasUpgrade(id, ['scale', 'jvb', '3']);
    const configBefore = readFileSync(run.configPath, 'utf8');
    const sentAt = Date.now();
    run.child.kill('SIGTERM');
    const { code, at } = await run.exited;
    console.log(`scale stopped by SIGTERM during helm upgrade: exit ${code} after ${at - sentAt} ms`);
    expect(code, run.stderr()).toBe(143);
    expect(at - sentAt).toBeLessThan(10_000);
    expect(run.after()).toEqual(['SIGTERM', 'rollback jitsi 4']);
    expect(run.stderr()).toContain('interrupted by SIGTERM');
    // the cluster went back to two bridges: so does the file
    expect(readFileSync(run.configPath, 'utf8')).toBe(configBefore);
    expect(run.stderr()).not.toMatch(/scaled jvb/);
    await sleep(200);
    expect(processesOf(id)).toEqual([]);
  }, 90_000);
});

describe('stopping status --watch', () => {
  it('SIGTERM ends the watch at once with exit 143', async () => {
    const id = `${process.pid}-watch-${Date.now()}`;
    started.push(id);
    const child = spawn(process.execPath, [cliBin, 'status', '--watch', '--interval', '1', '--json', '--namespace', 'jitsi', '--release', 'jitsi'], {
      cwd: work,
      env: { ...process.env, CI: '1', NO_COLOR: '1', KUBECONFIG: api.writeKubeconfig(), [MARK]: id },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
    const until = Date.now() + 30_000;
    while (!stderr.includes('watching release') && Date.now() < until) await sleep(100);
    await sleep(2_500); // a few refreshes
    expect(stderr).toContain('watching release jitsi');
    expect(child.exitCode).toBeNull();
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    console.log(`status --watch stopped by SIGTERM: exit ${code} after ${at - sentAt} ms`);
    expect(code, stderr).toBe(143);
    expect(at - sentAt).toBeLessThan(2_000);
    expect(processesOf(id)).toEqual([]);
  }, 60_000);
});
