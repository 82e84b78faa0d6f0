/**
 * src/cluster/wait.ts against the LOOK-ALIKE API server (test/support/fake-apiserver.ts), only for
 * states the real test control plane cannot hold still or produce: readiness changed exactly between
 * two polls, a crash-looping pod with restarts and an ImagePullBackOff (kwok runs no containers), a
 * Deployment frozen before its controller observed the new generation, and a Ready bridge whose
 * /colibri/stats does not answer yet (the stand-in bridge answers every pod IP). The rest of
 * waiting — real rollouts, an unschedulable pod, a workload that appears late, Ctrl-C, bridges
 * through pods/proxy, scaling in — runs on the real API server in test/k8s/observe.test.ts.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { openKube, type Kube } from '../../src/cluster/kube.js';
import { readWorkloads, waitForBridges, waitForWorkloads, type BridgeReadiness, type WorkloadState } from '../../src/cluster/wait.js';
import { CommandError } from '../../src/errors.js';
import { colibriStatsBody, emptyState, fakeDeployment, fakePod, fakeStatefulSet, startFakeApiServer, type FakeApiServer, type Json } from '../support/fake-apiserver.js';

const NS = 'jitsi';
let api: FakeApiServer;
let kube: Kube;

beforeEach(async () => {
  api ??= await startFakeApiServer();
  kube ??= openKube({ kubeconfig: api.writeKubeconfig() });
  Object.assign(api.state, { ...emptyState(), token: api.state.token });
  api.state.namespaces.push(NS);
});
afterAll(() => api?.close());

const dep = (name: string) => api.state.deployments.find((d) => d.metadata.name === name)!;
const pod = (name: string) => api.state.pods.find((p) => p.metadata.name === name)!;
function setPodReady(p: Json, ready: boolean, waiting?: string): void {
  p.status.phase = 'Running';
  p.status.conditions = [{ type: 'Ready', status: ready ? 'True' : 'False' }];
  p.status.containerStatuses[0].ready = ready;
  p.status.containerStatuses[0].state = waiting ? { waiting: { reason: waiting } } : { running: {} };
}

describe('waitForWorkloads', () => {
  it('returns once every Deployment and StatefulSet is ready, reporting progress and restarts on the way', async () => {
    api.state.deployments.push(fakeDeployment({ name: 'jitsi-jitsi-meet-web', component: 'web', replicas: 2, ready: 0 }), fakeDeployment({ name: 'jitsi-jitsi-meet-jvb-0', component: 'jvb', replicas: 1, ready: 0 }));
    api.state.statefulsets.push(fakeStatefulSet({ name: 'jitsi-jitsi-meet-prosody', component: 'prosody', replicas: 1, ready: 1 }));
    api.state.pods.push(
      fakePod({ name: 'jitsi-jitsi-meet-web-7d9f-a', component: 'web', ready: false, ownerDeployment: 'jitsi-jitsi-meet-web' }),
      fakePod({ name: 'jitsi-jitsi-meet-web-7d9f-b', component: 'web', ready: false, ownerDeployment: 'jitsi-jitsi-meet-web' }),
      fakePod({ name: 'jitsi-jitsi-meet-jvb-0-7d9f-c', component: 'jvb', ready: false, restarts: 1, ownerDeployment: 'jitsi-jitsi-meet-jvb-0' }),
    );
    setPodReady(pod('jitsi-jitsi-meet-jvb-0-7d9f-c'), false, 'CrashLoopBackOff');
    // the cluster moves on after each poll (deterministic even on a loaded machine): poll 1 sees 0/2 web, poll 2 sees 1/2, poll 3 all ready
    const steps = [
      () => {
        dep('jitsi-jitsi-meet-web').status.readyReplicas = 1;
        setPodReady(pod('jitsi-jitsi-meet-web-7d9f-a'), true);
      },
      () => {
        dep('jitsi-jitsi-meet-web').status.readyReplicas = 2;
        setPodReady(pod('jitsi-jitsi-meet-web-7d9f-b'), true);
        dep('jitsi-jitsi-meet-jvb-0').status.readyReplicas = 1;
        setPodReady(pod('jitsi-jitsi-meet-jvb-0-7d9f-c'), true);
      },
    ];
    const seen: WorkloadState[][] = [];
    const done = await waitForWorkloads(kube, {
      namespace: NS,
      release: 'jitsi',
      timeoutMs: 10_000,
      intervalMs: 40,
      onProgress: (s) => {
        seen.push(s);
        steps.shift()?.();
      },
    });
    expect(seen).toHaveLength(3);
    expect(done.map((w) => [w.kind, w.name, w.ready, w.desired, w.done])).toEqual([
      ['Deployment', 'jitsi-jitsi-meet-jvb-0', 1, 1, true],
      ['StatefulSet', 'jitsi-jitsi-meet-prosody', 1, 1, true],
      ['Deployment', 'jitsi-jitsi-meet-web', 2, 2, true],
    ]);
    expect(done[0]?.restarts).toBe(1);
    expect(done[2]?.pods.map((p) => p.name)).toEqual(['jitsi-jitsi-meet-web-7d9f-a', 'jitsi-jitsi-meet-web-7d9f-b']);
    // progress saw the intermediate states: 0/2, then 1/2, and the crash-looping bridge
    expect(seen.map((s) => s.find((w) => w.name === 'jitsi-jitsi-meet-web')!.ready)).toEqual([0, 1, 2]);
    expect(seen[0]?.find((w) => w.component === 'jvb')?.pods[0]?.reason).toBe('CrashLoopBackOff');
  });

  it('a rollout is not done while the controller has not observed the new generation or old pods remain', async () => {
    const d = fakeDeployment({ name: 'jitsi-jitsi-meet-web', component: 'web', replicas: 1 });
    d.metadata.generation = 2; // spec changed, controller still at 1
    api.state.deployments.push(d);
    expect((await readWorkloads(kube, NS, 'app.kubernetes.io/instance=jitsi'))[0]?.done).toBe(false);
    d.status.observedGeneration = 2;
    d.status.replicas = 2; // one old pod still running
    expect((await readWorkloads(kube, NS, 'app.kubernetes.io/instance=jitsi'))[0]?.done).toBe(false);
    d.status.replicas = 1;
    expect((await readWorkloads(kube, NS, 'app.kubernetes.io/instance=jitsi'))[0]?.done).toBe(true);
  });

  it('times out naming what is not ready and why', async () => {
    api.state.deployments.push(fakeDeployment({ name: 'jitsi-jitsi-meet-jicofo', component: 'jicofo', replicas: 1, ready: 0 }));
    api.state.pods.push(fakePod({ name: 'jitsi-jitsi-meet-jicofo-7d9f-z', component: 'jicofo', ready: false, restarts: 4, ownerDeployment: 'jitsi-jitsi-meet-jicofo' }));
    setPodReady(pod('jitsi-jitsi-meet-jicofo-7d9f-z'), false, 'ImagePullBackOff');
    const start = Date.now();
    const err = await waitForWorkloads(kube, { namespace: NS, release: 'jitsi', timeoutMs: 300, intervalMs: 50 }).catch((e: unknown) => e);
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toMatch(/timed out after \d+s waiting for: deployment jitsi-jitsi-meet-jicofo 0\/1 ready \(jitsi-jitsi-meet-jicofo-7d9f-z: ImagePullBackOff, 4 restarts\)/);
    expect((err as CommandError).hint).toMatch(/kubectl -n jitsi describe pod/);
  });
});

describe('waitForBridges', () => {
  const jvb = (i: number, ready: boolean) => fakePod({ name: `jitsi-jitsi-meet-jvb-${i}-7d9f-p${i}`, component: 'jvb', ready, node: `node-${i}` });

  it('waits until n bridges are Ready AND answer /colibri/stats', async () => {
    api.state.pods.push(jvb(0, true), jvb(1, false));
    api.state.colibriStats[`${NS}/jitsi-jitsi-meet-jvb-0-7d9f-p0`] = colibriStatsBody();
    // after poll 1 the second pod turns Ready (colibri not up yet), after poll 2 it answers
    const steps = [() => setPodReady(pod('jitsi-jitsi-meet-jvb-1-7d9f-p1'), true), () => (api.state.colibriStats[`${NS}/jitsi-jitsi-meet-jvb-1-7d9f-p1`] = colibriStatsBody())];
    const seen: BridgeReadiness[][] = [];
    const bridges = await waitForBridges(kube, {
      namespace: NS,
      release: 'jitsi',
      count: 2,
      timeoutMs: 10_000,
      intervalMs: 40,
      onProgress: (b) => {
        seen.push(b);
        steps.shift()?.();
      },
    });
    expect(seen.at(-1)).toEqual(bridges);
    expect(seen.map((s) => s.map((b) => `${b.ready}/${b.answering}`))).toEqual([
      ['true/true', 'false/false'],
      ['true/true', 'true/false'],
      ['true/true', 'true/true'],
    ]);
    expect(bridges.map((b) => [b.name, b.ready, b.answering])).toEqual([
      ['jitsi-jitsi-meet-jvb-0-7d9f-p0', true, true],
      ['jitsi-jitsi-meet-jvb-1-7d9f-p1', true, true],
    ]);
    const proxied = api.requests.filter((r) => r.path.endsWith(':8080/proxy/colibri/stats')).length;
    expect(proxied).toBeGreaterThan(2);
  });


});
