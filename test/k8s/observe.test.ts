/**
 * What apply, status and bench read from a cluster, against the REAL API server: a release of the
 * real jitsi-meet chart installed with real helm (kwok moves its pods to Running/Ready), plus objects made
 * with kubectl. Covers waitForWorkloads, waitForBridges (scale in too), discoverJvbPods and
 * readStatus. /colibri/stats goes through the real pods/proxy to the STAND-IN bridge
 * (test/support/standin-bridge.mjs; Jitsi cannot run here), which answers for every pod IP inside
 * the test's pod network namespace with `stress_level` = last octet of the pod IP / 1000.
 * What this cluster cannot show (crash loops, restarts, the metrics API, cAdvisor, one bridge that
 * stays silent) stays with the look-alike API server in test/cluster/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { discoverJvbPods } from '../../src/cluster/jvb.js';
import { openKube, type Kube } from '../../src/cluster/kube.js';
import { readStatus, type Status } from '../../src/cluster/status.js';
import { waitForBridges, waitForWorkloads } from '../../src/cluster/wait.js';
import { CommandError, InterruptedError } from '../../src/errors.js';
import { run } from '../../src/cluster/exec.js';
import { cluster, kubectl, skipReason, startStandinBridge, type StandinBridge } from '../support/control-plane.js';
import { testChart } from '../support/chart.js';
import { cliAsync } from '../support/cli.js';
import { cliBin, helmBin } from '../support/tools.js';

const ns = `jk8s-observe-${Date.now().toString(36).slice(-5)}`;
const JVB = (i: number) => `jitsi-jitsi-meet-jvb-${i}`;
let bridge: StandinBridge | undefined;
let kube: Kube;
const work = mkdtempSync(join(tmpdir(), 'jk8s-observe-'));

/** A pod of another release in the same namespace, labelled as a bridge: never ours. */
const otherBridge = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'other-jitsi-meet-jvb-0-x', namespace: ns, labels: { 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'other', 'app.kubernetes.io/component': 'jvb' } },
  spec: { containers: [{ name: 'jitsi-meet', image: 'jitsi/jvb:stable' }] },
};

beforeAll(async () => {
  if (!cluster) return;
  bridge = await startStandinBridge();
  kube = openKube({ kubeconfig: cluster.kubeconfig });
  kubectl(['create', 'namespace', ns]);
  kubectl(['apply', '-f', '-'], JSON.stringify(otherBridge));
  // no --wait: waiting is what the code under test does
  const values = { publicURL: 'http://meet.test.invalid', web: { replicaCount: 2 }, jvb: { portRangeSize: 2, publicIPs: ['203.0.113.7'] } };
  await run(helmBin(), ['--kubeconfig', cluster.kubeconfig, 'install', 'jitsi', testChart(), '--namespace', ns, '--values', '-'], { input: stringify(values), timeoutMs: 120_000 });
}, 180_000);

afterAll(async () => {
  await bridge?.stop();
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!cluster)(`reading a release from a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('waitForWorkloads returns once every Deployment and StatefulSet of the release has rolled out, with progress on the way', { timeout: 120_000 }, async () => {
    const seen: number[] = [];
    const done = await waitForWorkloads(kube, { namespace: ns, release: 'jitsi', timeoutMs: 90_000, intervalMs: 300, onProgress: (s) => seen.push(s.filter((w) => w.done).length) });
    expect(done.map((w) => [w.kind, w.name, w.ready, w.desired, w.done])).toEqual([
      ['Deployment', 'jitsi-jitsi-meet-jicofo', 1, 1, true],
      ['Deployment', JVB(0), 1, 1, true],
      ['Deployment', JVB(1), 1, 1, true],
      ['StatefulSet', 'jitsi-jitsi-meet-prosody', 1, 1, true],
      ['Deployment', 'jitsi-jitsi-meet-web', 2, 2, true],
    ]);
    expect(done.find((w) => w.name === 'jitsi-jitsi-meet-web')?.pods).toHaveLength(2);
    expect(done[0]?.chart).toBe('jitsi-meet-3.4.0');
    expect(seen.at(-1)).toBe(5);
  });

  it('discoverJvbPods finds the release’s bridges by the chart labels, with node and advertised address, not another release’s', async () => {
    const pods = await discoverJvbPods(kube, { namespace: ns, release: 'jitsi' });
    expect(pods.map((p) => p.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, ''))).toEqual([JVB(0), JVB(1)]);
    for (const p of pods) {
      expect(p).toMatchObject({ ready: true, restarts: 0, advertiseIPs: ['203.0.113.7'] });
      expect(p.node).toMatch(/^node-\d+$/);
      expect(p.podIP).toBeTruthy();
    }
  });

  it('waitForBridges: both bridges Ready and answering through pods/proxy; scaling one in waits until it is gone', { timeout: 120_000 }, async () => {
    const both = await waitForBridges(kube, { namespace: ns, release: 'jitsi', count: 2, timeoutMs: 60_000, intervalMs: 300 });
    expect(both.map((b) => [b.ready, b.answering])).toEqual([
      [true, true],
      [true, true],
    ]);
    kubectl(['scale', 'deployment', JVB(1), '--namespace', ns, '--replicas', '0']);
    const counts: number[] = [];
    const one = await waitForBridges(kube, { namespace: ns, release: 'jitsi', count: 1, timeoutMs: 60_000, intervalMs: 300, onProgress: (b) => counts.push(b.length) });
    expect(one.map((b) => b.name.startsWith(JVB(0)))).toEqual([true]);
    expect(counts.at(-1)).toBe(1);
  });

  it('waitForBridges times out naming each bridge and hinting at schedulable nodes when bridges are missing', async () => {
    const err = await waitForBridges(kube, { namespace: ns, release: 'jitsi', count: 3, timeoutMs: 500, intervalMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toMatch(/waiting for 3 bridges: 1 running, 1 ready and answering \(jitsi-jitsi-meet-jvb-0-[a-z0-9-]+: ok\)/);
    expect((err as CommandError).hint).toMatch(/schedulable nodes/);
  });

  it('waitForWorkloads times out naming a pod the scheduler cannot place, and why', { timeout: 60_000 }, async () => {
    const labels = { 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'stuck', 'app.kubernetes.io/component': 'jicofo' };
    kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'stuck-jitsi-meet-jicofo', namespace: ns, labels },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { nodeSelector: { 'no-such-label': 'x' }, containers: [{ name: 'jitsi-meet', image: 'jitsi/jicofo:stable' }] } } },
    }));
    const err = await waitForWorkloads(kube, { namespace: ns, release: 'stuck', timeoutMs: 5_000, intervalMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toMatch(/waiting for: deployment stuck-jitsi-meet-jicofo 0\/1 ready \(stuck-jitsi-meet-jicofo-[a-z0-9-]+: Unschedulable\)/);
    expect((err as CommandError).hint).toMatch(new RegExp(`kubectl -n ${ns} describe pod`));
  });

  it('waitForWorkloads waits for a named workload that does not exist yet', { timeout: 60_000 }, async () => {
    const labels = { 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'late', 'app.kubernetes.io/component': 'web' };
    const create = setTimeout(() => {
      kubectl(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'late-jitsi-meet-web', namespace: ns, labels },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'jitsi-meet', image: 'jitsi/web:stable' }] } } },
      }));
    }, 1_000);
    try {
      const done = await waitForWorkloads(kube, { namespace: ns, release: 'late', names: ['late-jitsi-meet-web'], timeoutMs: 30_000, intervalMs: 300 });
      expect(done.map((w) => [w.name, w.done])).toEqual([['late-jitsi-meet-web', true]]);
    } finally {
      clearTimeout(create);
    }
  });

  it('readStatus: chart version, components, bridges with their /colibri/stats figures, no metrics API, the release’s HPAs', { timeout: 60_000 }, async () => {
    kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: JVB(0), namespace: ns, labels: { 'app.kubernetes.io/instance': 'jitsi' } },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: JVB(0) }, minReplicas: 1, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] },
    }));
    const s = await readStatus(kube, { namespace: ns, release: 'jitsi' });
    expect(s).toMatchObject({ namespace: ns, release: 'jitsi', chart: 'jitsi-meet-3.4.0', chartVersion: '3.4.0', metricsApi: false });
    expect(s.components.map((c) => [c.component, c.ready, c.desired, c.restarts])).toEqual([
      ['web', 2, 2, 0],
      ['prosody', 1, 1, 0],
      ['jicofo', 1, 1, 0],
      ['jvb', 1, 1, 0],
    ]);
    expect(s.bridges).toHaveLength(1);
    const b = s.bridges[0]!;
    const pod = (await discoverJvbPods(kube, { namespace: ns, release: 'jitsi' }))[0]!;
    // the stand-in encodes the pod IP it was reached on: proof that pods/proxy dialled this pod
    expect(b).toMatchObject({ pod: pod.name, node: pod.node, ready: true, advertisedAddress: '203.0.113.7', stress: Number(pod.podIP!.split('.').pop()) / 1000, conferences: 1, participants: 3 });
    expect(b.cpuCores).toBeUndefined();
    expect(s.autoscalers).toEqual([expect.objectContaining({ name: JVB(0), target: JVB(0), min: 1, max: 4, cpuTargetPercent: 70 })]);
  });

  it('readStatus of a release that is not there is an error with a hint', async () => {
    await expect(readStatus(kube, { namespace: ns, release: 'absent' })).rejects.toThrow(new RegExp(`no Jitsi release "absent" in namespace ${ns}`));
  });

  it('waitForWorkloads stops with InterruptedError when the signal aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const start = Date.now();
    const err = await waitForWorkloads(kube, { namespace: ns, release: 'stuck', timeoutMs: 60_000, intervalMs: 10_000, signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(Date.now() - start).toBeLessThan(5_000); // the 10 s sleep was cut short
  });
});

/** The built bin, without blocking this process (it reads the same cluster). */
function bin(args: string[], opts: { cwd?: string; onStdout?: (text: string, child: ChildProcess) => void } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { cwd: opts.cwd ?? work, env: { ...process.env, KUBECONFIG: cluster!.kubeconfig, CI: '1', NO_COLOR: '1', HOME: work }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      opts.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!cluster)(`jitsi-k8s status, the built bin against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('--json prints the Status object on stdout', { timeout: 120_000 }, async () => {
    const r = await cliAsync(['status', '--json', '--namespace', ns], { env: { KUBECONFIG: cluster!.kubeconfig, HOME: work }, cwd: work });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Status;
    expect(Object.keys(s).sort()).toEqual(['autoscalers', 'bridges', 'chart', 'chartVersion', 'components', 'context', 'cpuSource', 'leftovers', 'metricsApi', 'namespace', 'release', 'takenAt']);
    // nothing a killed run left in this release
    expect(s.leftovers).toEqual([]);
    expect(s.components.map((c) => c.component)).toEqual(['web', 'prosody', 'jicofo', 'jvb']);
    expect(s.bridges.every((b) => b.ready && typeof b.stress === 'number')).toBe(true);
    expect(new Date(s.takenAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('takes namespace and release from jitsi-k8s.yaml; flags win; a --config that does not exist is a usage error', { timeout: 120_000 }, async () => {
    const cwd = mkdtempSync(join(work, 'cfg-'));
    writeFileSync(join(cwd, 'jitsi-k8s.yaml'), `domain: meet.example.com\ntls:\n  mode: none\ncluster:\n  namespace: ${ns}\n  release: jitsi\n`);
    const r = await bin(['status', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ namespace: ns, release: 'jitsi', chartVersion: '3.4.0' });
    const flagged = await bin(['status', '--json', '--release', 'nope'], { cwd });
    expect(flagged.code).toBe(1);
    expect(flagged.stderr).toMatch(new RegExp(`error: no Jitsi release "nope" in namespace ${ns}`));
    expect(flagged.stderr).toMatch(/hint: check --namespace/);
    expect(flagged.stdout).toBe('');
    const human = await bin(['status'], { cwd });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^release jitsi · chart jitsi-meet-3.4.0/);
    const missing = await bin(['status', '--config', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope.yaml: no such file/);
  });

  it('an unknown --context is a usage error (exit 2) naming the known ones', { timeout: 120_000 }, async () => {
    const r = await bin(['status', '--context', 'prod', '-n', ns]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: kube context "prod" does not exist.*\nhint: known contexts: /);
  });

  it('--watch refreshes until Ctrl-C (SIGINT), then exits 130', { timeout: 120_000 }, async () => {
    let sentAt = 0;
    const r = await bin(['status', '--watch', '--json', '--interval', '1', '-n', ns], {
      onStdout: (text, child) => {
        // two refreshes, then Ctrl-C
        if (!sentAt && text.split('\n').filter(Boolean).length >= 2) {
          sentAt = Date.now();
          child.kill('SIGINT');
        }
      },
    });
    expect(sentAt).toBeGreaterThan(0);
    expect(r.code).toBe(130);
    // Ctrl-C ends the watch promptly, whatever a refresh costs on a loaded machine
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect((JSON.parse(l) as Status).release).toBe('jitsi');
    expect(r.stderr).toMatch(new RegExp(`watching release jitsi in ${ns} every 1s`));
    expect(r.stderr).toMatch(/error: interrupted/);
  });
});
