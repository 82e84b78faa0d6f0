/**
 * readStatus and its human view against the LOOK-ALIKE API server (test/support/fake-apiserver.ts),
 * only for what the real test control plane cannot show: a metrics API (no metrics-server runs
 * there) and kubelet Summary API answers (kwok serves none), pods that crash-loop and restart (kwok
 * runs no containers), and one bridge that does not
 * answer /colibri/stats while another does (the stand-in bridge answers every pod IP). Everything
 * else about status — the release's real Deployments, pods, HPAs, pods/proxy, the built bin with
 * --json, config defaults, --context and --watch + SIGINT — runs on the real API server in
 * test/k8s/observe.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openKube, type Kube } from '../../src/cluster/kube.js';
import { readStatus } from '../../src/cluster/status.js';
import { formatStatus } from '../../src/ui/status.js';
import { colibriStatsBody, emptyState, fakeDeployment, fakeHpa, fakeNode, fakePod, fakePodMetrics, fakeStatefulSet, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';

const NS = 'jitsi';
const JVB0 = 'jitsi-jitsi-meet-jvb-0-6f7c9d-abcde';
const JVB1 = 'jitsi-jitsi-meet-jvb-1-5b8d7f-fghij';
let api: FakeApiServer;
let kubeconfig: string;
let kube: Kube;

function installRelease(ns = NS, release = 'jitsi'): void {
  const s = api.state;
  const prefix = `${release}-jitsi-meet`;
  s.namespaces.push(ns);
  s.deployments.push(
    fakeDeployment({ name: `${prefix}-web`, namespace: ns, release, component: 'web', replicas: 2, ready: 1 }),
    fakeDeployment({ name: `${prefix}-jicofo`, namespace: ns, release, component: 'jicofo' }),
    fakeDeployment({ name: `${prefix}-jvb-0`, namespace: ns, release, component: 'jvb' }),
    fakeDeployment({ name: `${prefix}-jvb-1`, namespace: ns, release, component: 'jvb' }),
  );
  s.statefulsets.push(fakeStatefulSet({ name: `${prefix}-prosody`, namespace: ns, release, component: 'prosody' }));
  s.pods.push(
    fakePod({ name: `${prefix}-web-7d9f-a`, namespace: ns, release, component: 'web', ownerDeployment: `${prefix}-web` }),
    fakePod({ name: `${prefix}-web-7d9f-b`, namespace: ns, release, component: 'web', ready: false, ownerDeployment: `${prefix}-web` }),
    fakePod({ name: `${prefix}-jicofo-7d9f-c`, namespace: ns, release, component: 'jicofo', restarts: 3, ownerDeployment: `${prefix}-jicofo` }),
  );
  const jvb0 = ns === NS ? JVB0 : `${prefix}-jvb-0-7d9f-x`;
  const jvb1 = ns === NS ? JVB1 : `${prefix}-jvb-1-7d9f-y`;
  s.pods.push(
    fakePod({ name: jvb0, namespace: ns, release, component: 'jvb', node: 'node-a', env: { JVB_ADVERTISE_IPS: '203.0.113.7' }, ownerDeployment: `${prefix}-jvb-0` }),
    fakePod({ name: jvb1, namespace: ns, release, component: 'jvb', node: 'node-b', restarts: 1, env: { JVB_ADVERTISE_IPS: '203.0.113.8' }, ownerDeployment: `${prefix}-jvb-1` }),
  );
  // a draining bridge (jitsi-videobridge VideobridgeStatisticsShim.kt: drain, graceful_shutdown, shutting_down are booleans) relaying 4 endpoints of another bridge
  s.colibriStats[`${ns}/${jvb0}`] = {
    ...colibriStatsBody({ stress_level: 0.31, conferences: 4, participants: 22, octo_endpoints: 4, incoming_loss: 0.0125, outgoing_loss: 0.003, bit_rate_download: 8000, bit_rate_upload: 31000 }),
    drain: true,
    graceful_shutdown: false,
    shutting_down: false,
  };
  // jvb1 does not answer /colibri/stats
  s.hpas.push(
    fakeHpa({ name: `${prefix}-jvb-0`, namespace: ns, target: `${prefix}-jvb-0`, min: 1, max: 4, current: 1, desired: 2, cpuTarget: 70, cpuNow: 85 }),
    fakeHpa({ name: 'unrelated', namespace: ns, target: 'something-else', min: 1, max: 2, current: 1 }),
  );
}

beforeAll(async () => {
  api = await startFakeApiServer();
  kubeconfig = api.writeKubeconfig({ contexts: [{ name: 'fake', namespace: 'default' }, { name: 'other' }] });
  kube = openKube({ kubeconfig });
});
afterAll(async () => {
  await api?.close();
});
beforeEach(() => {
  Object.assign(api.state, { ...emptyState(), token: api.state.token });
});

describe('readStatus', () => {
  it('builds one object: chart version, components, bridges with colibri figures, metrics, HPAs of the release', async () => {
    installRelease();
    api.state.apiGroups.push('metrics.k8s.io');
    api.state.podMetrics.push(fakePodMetrics({ name: JVB0, cpu: '1500m', memory: '2200Mi' }));
    const s = await readStatus(kube, { namespace: NS, release: 'jitsi' });
    expect(s).toMatchObject({ context: 'fake', namespace: NS, release: 'jitsi', chart: 'jitsi-meet-3.4.0', chartVersion: '3.4.0', metricsApi: true, cpuSource: 'metrics-api' });
    expect(s.components.map((c) => [c.component, c.ready, c.desired, c.restarts])).toEqual([
      ['web', 1, 2, 0],
      ['prosody', 1, 1, 0],
      ['jicofo', 1, 1, 3],
      ['jvb', 2, 2, 1],
    ]);
    expect(s.components[0]?.notReady.map((p) => p.name)).toEqual(['jitsi-jitsi-meet-web-7d9f-b']);
    expect(s.components.find((c) => c.component === 'jvb')?.workloads).toEqual(['jitsi-jitsi-meet-jvb-0', 'jitsi-jitsi-meet-jvb-1']);
    expect(s.bridges[0]).toEqual({
      pod: JVB0,
      node: 'node-a',
      ready: true,
      restarts: 0,
      advertisedAddress: '203.0.113.7',
      stress: 0.31,
      conferences: 4,
      participants: 22,
      incomingLossPct: 1.25,
      outgoingLossPct: 0.3,
      bitrateDownKbps: 8000,
      bitrateUpKbps: 31000,
      cpuCores: 1.5,
      memoryMiB: 2200,
      state: 'draining',
      localParticipants: 18,
      statsError: undefined,
    });
    expect(s.bridges[1]?.statsError).toMatch(/503.*connection refused/);
    expect(s.autoscalers).toEqual([
      { name: 'jitsi-jitsi-meet-jvb-0', target: 'jitsi-jitsi-meet-jvb-0', min: 1, max: 4, current: 1, desired: 2, cpuTargetPercent: 70, cpuCurrentPercent: 85, engine: 'hpa', metric: 'cpu', metricCurrent: '85', metricTarget: '70' },
    ]);
  });

  it('without the metrics API, bridge CPU/memory come from the kubelet Summary API of their nodes (look-alike answer)', async () => {
    installRelease();
    api.state.nodes.push(fakeNode({ name: 'node-a' }), fakeNode({ name: 'node-b' }));
    api.state.containerUsage.push({ namespace: NS, pod: JVB0, container: 'jitsi-meet', nanoCores: 750_000_000, memoryBytes: 1536 * 1024 ** 2 });
    const s = await readStatus(kube, { namespace: NS, release: 'jitsi' });
    expect(s).toMatchObject({ metricsApi: false, cpuSource: 'kubelet' });
    expect(s.bridges.map((b) => [b.pod, b.cpuCores, b.memoryMiB])).toEqual([
      [JVB0, 0.75, 1536],
      [JVB1, undefined, undefined],
    ]);
    expect(formatStatus(s)).toMatch(/cpu\/mem: from the kubelet Summary API/);
  });

  it('formatStatus shows the components, bridges and autoscalers as tables', async () => {
    installRelease();
    const text = formatStatus(await readStatus(kube, { namespace: NS, release: 'jitsi' }));
    expect(text).toMatch(/^release jitsi · chart jitsi-meet-3.4.0 · namespace jitsi · context fake/);
    expect(text).toMatch(/web\s+1\/2\s+0\s+jitsi-jitsi-meet-web-7d9f-b \(Pending\)/);
    expect(text).toMatch(new RegExp(`${JVB0}\\s+draining\\s+node-a\\s+203.0.113.7\\s+0.31\\s+4\\s+22\\s+1.3/0.3\\s+8000/31000\\s+-\\s+-`));
    expect(text).toMatch(/no \/colibri\/stats/);
    expect(text).toContain('draining: no new conferences, the running ones go on');
    expect(text).toMatch(/cpu\/mem: the metrics API \(metrics-server\) is not installed and the kubelet Summary API cannot be read/);
    expect(text).toMatch(/jitsi-jitsi-meet-jvb-0\s+jitsi-jitsi-meet-jvb-0\s+1→2\s+1-4\s+cpu %\s+85\/70/);
  });

  it('a KEDA ScaledObject: status reads the HPA KEDA keeps, its external metric now and its target', async () => {
    const JVB = 'jitsi-jitsi-meet-jvb-0';
    installRelease();
    api.state.hpas.length = 0;
    api.state.hpas.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: JVB, namespace: NS, labels: { 'scaledobject.keda.sh/name': JVB, 'app.kubernetes.io/managed-by': 'keda-operator' } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: JVB },
        minReplicas: 1,
        maxReplicas: 4,
        metrics: [{ type: 'External', external: { metric: { name: 's0-prometheus', selector: { matchLabels: { 'scaledobject.keda.sh/name': JVB } } }, target: { type: 'AverageValue', averageValue: '600m' } } }],
      },
      status: { currentReplicas: 2, desiredReplicas: 3, currentMetrics: [{ type: 'External', external: { metric: { name: 's0-prometheus' }, current: { averageValue: '850m' } } }] },
    });
    const s = await readStatus(kube, { namespace: NS, release: 'jitsi' });
    expect(s.autoscalers).toEqual([{ name: JVB, target: JVB, min: 1, max: 4, current: 2, desired: 3, engine: 'keda', metric: 's0-prometheus', metricCurrent: '850m', metricTarget: '600m' }]);
    expect(formatStatus(s)).toMatch(new RegExp(`${JVB} \\(KEDA\\)\\s+${JVB}\\s+2→3\\s+1-4\\s+s0-prometheus\\s+850m/600m`));
  });
});
