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
    const err = await waitForWorkloads(kube, { namespace: NS, release: 'jitsi', timeoutMs: 60_000, intervalMs: 10_000, signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(Date.now() - start).toBeLessThan(5_000); // the 10 s sleep was cut short
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

  it('scaling in waits until the surplus bridges are gone', async () => {
    api.state.pods.push(jvb(0, true), jvb(1, true));
    for (const i of [0, 1]) api.state.colibriStats[`${NS}/jitsi-jitsi-meet-jvb-${i}-7d9f-p${i}`] = colibriStatsBody();
    const seen: number[] = [];
    const bridges = await waitForBridges(kube, {
      namespace: NS,
      release: 'jitsi',
      count: 1,
      timeoutMs: 10_000,
      intervalMs: 40,
      onProgress: (b) => {
        seen.push(b.length);
        if (seen.length === 2) api.state.pods.splice(1, 1); // the surplus pod goes after two polls
      },
    });
    expect(seen).toEqual([2, 2, 1]);
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
