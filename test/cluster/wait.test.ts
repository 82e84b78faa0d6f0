/** src/cluster/wait.ts against the fake API server (contract test) whose readiness changes over time. */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { openKube, type Kube } from '../../src/cluster/kube.js';
import { readWorkloads, waitForBridges, waitForWorkloads, type BridgeReadiness, type WorkloadState } from '../../src/cluster/wait.js';
import { CommandError, InterruptedError } from '../../src/errors.js';
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

const later = (ms: number, change: () => void) => setTimeout(change, ms);
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
    later(150, () => {
      dep('jitsi-jitsi-meet-web').status.readyReplicas = 1;
      setPodReady(pod('jitsi-jitsi-meet-web-7d9f-a'), true);
    });
    later(300, () => {
      dep('jitsi-jitsi-meet-web').status.readyReplicas = 2;
      setPodReady(pod('jitsi-jitsi-meet-web-7d9f-b'), true);
      dep('jitsi-jitsi-meet-jvb-0').status.readyReplicas = 1;
      setPodReady(pod('jitsi-jitsi-meet-jvb-0-7d9f-c'), true);
    });
    const seen: WorkloadState[][] = [];
    const start = Date.now();
    const done = await waitForWorkloads(kube, { namespace: NS, release: 'jitsi', timeoutMs: 5_000, intervalMs: 40, onProgress: (s) => seen.push(s) });
    expect(Date.now() - start).toBeGreaterThanOrEqual(280);
    expect(done.map((w) => [w.kind, w.name, w.ready, w.desired, w.done])).toEqual([
      ['Deployment', 'jitsi-jitsi-meet-jvb-0', 1, 1, true],
      ['StatefulSet', 'jitsi-jitsi-meet-prosody', 1, 1, true],
      ['Deployment', 'jitsi-jitsi-meet-web', 2, 2, true],
    ]);
    expect(done[0]?.restarts).toBe(1);
    expect(done[2]?.pods.map((p) => p.name)).toEqual(['jitsi-jitsi-meet-web-7d9f-a', 'jitsi-jitsi-meet-web-7d9f-b']);
    // progress saw the intermediate states: 0/2, then 1/2, and the crash-looping bridge
    const webReady = seen.map((s) => s.find((w) => w.name === 'jitsi-jitsi-meet-web')!.ready);
    expect(webReady[0]).toBe(0);
    expect(webReady).toContain(1);
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
    expect(Date.now() - start).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toMatch(/timed out after \d+s waiting for: deployment jitsi-jitsi-meet-jicofo 0\/1 ready \(jitsi-jitsi-meet-jicofo-7d9f-z: ImagePullBackOff, 4 restarts\)/);
    expect((err as CommandError).hint).toMatch(/kubectl -n jitsi describe pod/);
  });

  it('waits for named workloads that do not exist yet', async () => {
    later(200, () => api.state.deployments.push(fakeDeployment({ name: 'jitsi-jitsi-meet-jvb-1', component: 'jvb' })));
    const done = await waitForWorkloads(kube, { namespace: NS, release: 'jitsi', names: ['jitsi-jitsi-meet-jvb-1'], timeoutMs: 3_000, intervalMs: 40 });
    expect(done.map((w) => w.name)).toEqual(['jitsi-jitsi-meet-jvb-1']);
  });

  it('stops with InterruptedError when the signal aborts', async () => {
    api.state.deployments.push(fakeDeployment({ name: 'jitsi-jitsi-meet-web', component: 'web', ready: 0 }));
    const ac = new AbortController();
    later(150, () => ac.abort());
    const start = Date.now();
    const err = await waitForWorkloads(kube, { namespace: NS, release: 'jitsi', timeoutMs: 10_000, intervalMs: 1_000, signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(Date.now() - start).toBeLessThan(1_000);
  });
});

describe('waitForBridges', () => {
  const jvb = (i: number, ready: boolean) => fakePod({ name: `jitsi-jitsi-meet-jvb-${i}-7d9f-p${i}`, component: 'jvb', ready, node: `node-${i}` });

  it('waits until n bridges are Ready AND answer /colibri/stats', async () => {
    api.state.pods.push(jvb(0, true), jvb(1, false));
    api.state.colibriStats[`${NS}/jitsi-jitsi-meet-jvb-0-7d9f-p0`] = colibriStatsBody();
    later(150, () => setPodReady(pod('jitsi-jitsi-meet-jvb-1-7d9f-p1'), true)); // Ready, but colibri not up yet
    later(350, () => (api.state.colibriStats[`${NS}/jitsi-jitsi-meet-jvb-1-7d9f-p1`] = colibriStatsBody()));
    const seen: BridgeReadiness[][] = [];
    const start = Date.now();
    const bridges = await waitForBridges(kube, { namespace: NS, release: 'jitsi', count: 2, timeoutMs: 5_000, intervalMs: 40, onProgress: (b) => seen.push(b) });
    expect(seen.at(-1)).toEqual(bridges);
    expect(Date.now() - start).toBeGreaterThanOrEqual(330);
    expect(bridges.map((b) => [b.name, b.ready, b.answering])).toEqual([
      ['jitsi-jitsi-meet-jvb-0-7d9f-p0', true, true],
      ['jitsi-jitsi-meet-jvb-1-7d9f-p1', true, true],
    ]);
    // there was a moment when the second bridge was Ready but not answering
    expect(seen.some((s) => s[1]?.ready && !s[1]?.answering)).toBe(true);
    const proxied = api.requests.filter((r) => r.path.endsWith(':8080/proxy/colibri/stats')).length;
    expect(proxied).toBeGreaterThan(2);
  });

  it('scaling in waits until the surplus bridges are gone', async () => {
    api.state.pods.push(jvb(0, true), jvb(1, true));
    for (const i of [0, 1]) api.state.colibriStats[`${NS}/jitsi-jitsi-meet-jvb-${i}-7d9f-p${i}`] = colibriStatsBody();
    later(200, () => api.state.pods.splice(1, 1));
    const seen: number[] = [];
    const bridges = await waitForBridges(kube, { namespace: NS, release: 'jitsi', count: 1, timeoutMs: 3_000, intervalMs: 40, onProgress: (b) => seen.push(b.length) });
    expect(seen[0]).toBe(2); // both answered at first: not done while the surplus one runs
    expect(bridges.map((b) => b.name)).toEqual(['jitsi-jitsi-meet-jvb-0-7d9f-p0']);
  });

  it('times out with the state of each bridge, hinting at schedulable nodes when pods are missing', async () => {
    api.state.pods.push(jvb(0, true));
    api.state.colibriStats[`${NS}/jitsi-jitsi-meet-jvb-0-7d9f-p0`] = colibriStatsBody();
    const err = await waitForBridges(kube, { namespace: NS, release: 'jitsi', count: 3, timeoutMs: 200, intervalMs: 50 }).catch((e: unknown) => e);
    expect((err as CommandError).message).toMatch(/waiting for 3 bridges: 1 running, 1 ready and answering/);
    expect((err as CommandError).hint).toMatch(/schedulable nodes/);
  });
});
