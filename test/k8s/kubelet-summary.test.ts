/**
 * Bridge CPU through the REAL API server's nodes/proxy to the node's kubelet endpoint, which kwok
 * serves at the node IP. kwok v0.8.0 has no Summary API (its server routes are /healthz, /readyz,
 * /livez, /metrics…, the Metric CRD's Prometheus paths under /metrics, logs/exec/attach/port-forward):
 * so this proves the path, the 404 a kubelet without the Summary API gives, and the sampler's and
 * status's fallback. The Summary API answer itself is parsed from a look-alike in test/cluster/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJvbSampler, discoverJvbPods, readContainerUsage } from '../../src/cluster/jvb.js';
import { KubeApiError, nodeProxyPath, openKube, type Kube } from '../../src/cluster/kube.js';
import { assertPodRoute, cluster, installRelease, kubectl, skipReason } from '../support/control-plane.js';

const ns = 'jk8s-summary';
const release = 'jitsi';

beforeAll(async () => {
  if (!cluster) return;
  // the sampler also asks each bridge's pod IP for /colibri/stats: that traffic must stay in the test's namespace
  assertPodRoute();
  kubectl(['create', 'namespace', ns]);
  // one bridge, of a release of the real chart
  await installRelease(ns, release, 1);
});

afterAll(() => {
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

describe.skipIf(!cluster)(`kubelet Summary API through a real API server's nodes/proxy${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('nodes/proxy reaches the kubelet endpoint kwok serves at the node IP', async () => {
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    expect(await kube.getText(nodeProxyPath('node-0', 'healthz'))).toBe('ok');
  });

  it("kwok's kubelet has no /stats/summary: a 404 KubeApiError naming the node", async () => {
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    const err = await readContainerUsage(kube, ['node-0']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(404);
    expect((err as KubeApiError).message).toMatch(/GET \/api\/v1\/nodes\/node-0\/proxy\/stats\/summary\?only_cpu_and_memory=true: not found \(404\)/);
    expect((err as KubeApiError).hint).toMatch(/node node-0 is gone, or its kubelet does not serve the Summary API/);
  });

  it('the bridge sampler says once why the kubelet cannot be read, stops asking it, and reports no CPU source', { timeout: 60_000 }, async () => {
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    const deadline = Date.now() + 30_000;
    while (!(await discoverJvbPods(kube, { namespace: ns, release })).some((p) => p.node) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
    const notices: string[] = [];
    const summaryAsks: string[] = [];
    const counted: Kube = { ...kube, getJson: (path, o) => (path.includes('/stats/summary') && summaryAsks.push(path), kube.getJson(path, o)) };
    const sampler = createJvbSampler(counted, { namespace: ns, release, onNotice: (m) => notices.push(m) });
    const first = await sampler.sample({ step: 0, bridges: 1, phase: 'steady' }, new AbortController().signal);
    expect(first).toHaveLength(1);
    expect(first[0]?.node).toMatch(/^node-\d$/);
    expect(first[0]?.cpuCores).toBeUndefined();
    expect(notices[0]).toMatch(/cannot read the kubelet Summary API \(.*not found \(404\).*\); using the metrics API for bridge CPU/);
    expect(notices[1]).toMatch(/no CPU source for the bridges.*metrics API \(metrics-server\) is not installed/);
    expect(sampler.cpuSourceInfo().source).toBe('none');

    await sampler.sample({ step: 1, bridges: 1, phase: 'steady' }, new AbortController().signal);
    expect(notices).toHaveLength(2);
    expect(summaryAsks).toHaveLength(1); // a 404 is for good: the next samples go straight to the metrics API
  });
});
