/**
 * /colibri/stats through the REAL API server's pods/proxy. The API server dials the pod IP itself
 * (and refuses loopback), so the control plane routes its pod CIDR into a network namespace where
 * the STAND-IN bridge (test/support/standin-bridge.mjs; Jitsi cannot run here) answers for every
 * pod IP. The bridges are the two JVB Deployments of a release of the real chart (kwok makes their pods
 * Ready). The test checks that route before anything is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKube } from '../../src/cluster/kube.js';
import { discoverJvbPods, readColibriStats } from '../../src/cluster/jvb.js';
import { bridgeSelector, cluster, installRelease, kubectl, kubectlJson, skipReason, startStandinBridge, type StandinBridge } from '../support/control-plane.js';

const ns = 'jk8s-proxy';
const release = 'jitsi';
let bridge: StandinBridge | undefined;


beforeAll(async () => {
  if (!cluster) return;
  bridge = await startStandinBridge();
  kubectl(['create', 'namespace', ns]);
  await installRelease(ns, release, 2);
});

afterAll(async () => {
  await bridge?.stop();
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

describe.skipIf(!cluster)(`pods/proxy to a bridge on a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('discovers the JVB pods of a release and reads each one\'s /colibri/stats at its own pod IP', { timeout: 60_000 }, async () => {
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    let pods = await discoverJvbPods(kube, { namespace: ns, release });
    const deadline = Date.now() + 30_000;
    while ((pods.length < 2 || pods.some((p) => !p.ready || !p.podIP)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      pods = await discoverJvbPods(kube, { namespace: ns, release });
    }
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.podIP!.startsWith(cluster!.podCIDR.replace(/0\/24$/, ''))).toBe(true);
      const stats = await readColibriStats(kube, ns, pod.name);
      // the stand-in encodes the pod IP it was reached on
      expect(stats.stress_level).toBeCloseTo(Number(pod.podIP!.split('.').pop()) / 1000, 6);
      expect(stats.participants).toBe(3);
    }
  });

  it('a pod whose bridge does not answer is a 503 with the API server\'s reason', { timeout: 30_000 }, async () => {
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    const pod = kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'pods', '-n', ns, '-l', `${bridgeSelector(release)},instance=0`]).items[0]!.metadata.name;
    // nothing listens on 9999 in the namespace
    const r = await kube.request('GET', `/api/v1/namespaces/${ns}/pods/${pod}:9999/proxy/colibri/stats`);
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/connection refused/);
  });
});
