/**
 * src/cluster/jvb.ts against the LOOK-ALIKE API server (test/support/fake-apiserver.ts), only for what
 * the real test control plane cannot serve: kubelet Summary API answers through the node proxy (kwok
 * serves none), a forbidden node proxy, the metrics API (no metrics-server), and /colibri/stats
 * answers with fields missing or one bridge silent (the stand-in bridge answers every pod the same
 * way). Discovery by the chart labels and /colibri/stats through the real pods/proxy run on the real
 * API server in test/k8s/observe.test.ts and test/k8s/pods-proxy.test.ts.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { COLIBRI_FIELDS, containerUsage, createJvbSampler, parseColibriAnswer, parseColibriStats, type KubeletSummary } from '../../src/cluster/jvb.js';
import { openKube, type Kube } from '../../src/cluster/kube.js';
import { colibriStatsBody, emptyState, fakeNode, fakePod, fakePodMetrics, kubeletSummary, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';

const NS = 'jitsi';
const JVB0 = 'jitsi-jitsi-meet-jvb-0-6f7c9d-abcde';
const JVB1 = 'jitsi-jitsi-meet-jvb-1-5b8d7f-fghij';
let api: FakeApiServer;
let kube: Kube;

function resetCluster(): void {
  const s = api.state;
  Object.assign(s, { ...emptyState(), token: s.token });
  s.namespaces.push(NS);
  s.nodes.push(fakeNode({ name: 'node-a' }), fakeNode({ name: 'node-b' }));
  s.pods.push(
    fakePod({ name: JVB0, component: 'jvb', node: 'node-a', env: { JVB_ADVERTISE_IPS: '203.0.113.7' } }),
    fakePod({ name: JVB1, component: 'jvb', node: 'node-b', restarts: 2 }),
    fakePod({ name: 'jitsi-jitsi-meet-web-1', component: 'web', node: 'node-a' }),
    // another release's bridge in the same namespace must not be picked up
    fakePod({ name: 'other-jitsi-meet-jvb-0-x', component: 'jvb', release: 'other', node: 'node-a' }),
  );
  // the real field names of /colibri/stats (docs/bench.md)
  s.colibriStats[`${NS}/${JVB0}`] = colibriStatsBody({ stress_level: 0.42, conferences: 3, participants: 17, endpoints: 17, largest_conference: 9, incoming_loss: 0.012, outgoing_loss: 0.004, overall_loss: 0.008, bit_rate_download: 5120, bit_rate_upload: 20480, packet_rate_download: 900, packet_rate_upload: 2600, rtt_aggregate: 38.5 });
  s.colibriStats[`${NS}/${JVB1}`] = colibriStatsBody({ stress_level: 0.05, conferences: 1, participants: 2 });
}

beforeEach(async () => {
  api ??= await startFakeApiServer();
  kube ??= openKube({ kubeconfig: api.writeKubeconfig() });
  resetCluster();
});
afterAll(() => api?.close());

describe('/colibri/stats fields', () => {
  it('parseColibriStats keeps known numeric fields only', () => {
    expect(parseColibriStats({ stress_level: '0.5', conferences: 2, threads: 100, participants: null, junk: 'x' })).toEqual({ stress_level: 0.5, conferences: 2 });
    expect(parseColibriStats('nope')).toEqual({});
  });
});

describe('CPU from the kubelet Summary API (a look-alike answer: kwok serves none)', () => {
  it('reads only the jitsi-meet container of each pod, nano-cores → cores', () => {
    api.state.containerUsage.push({ namespace: NS, pod: JVB0, container: 'jitsi-meet', nanoCores: 1_250_000_000, memoryBytes: 1610612736 });
    const r = containerUsage(kubeletSummary(api.state, 'node-a') as KubeletSummary);
    expect([...r.keys()]).toEqual([`${NS}/${JVB0}`]);
    expect(r.get(`${NS}/${JVB0}`)).toEqual({ cpuCores: 1.25, memoryBytes: 1610612736 });
  });

  it('a container the kubelet has not measured yet has no CPU, not 0', () => {
    api.state.containerUsage.push({ namespace: NS, pod: JVB0, container: 'jitsi-meet' });
    expect(containerUsage(kubeletSummary(api.state, 'node-a') as KubeletSummary).get(`${NS}/${JVB0}`)).toEqual({});
    expect(containerUsage({ node: { nodeName: 'node-a' } }).size).toBe(0);
  });

  it('the sampler reads each node once through the node proxy: cores per bridge, with colibri figures', async () => {
    const s = api.state;
    s.containerUsage.push({ namespace: NS, pod: JVB0, container: 'jitsi-meet', nanoCores: 1_500_000_000, memoryBytes: 2 * 1024 ** 3 }, { namespace: NS, pod: JVB1, container: 'jitsi-meet', nanoCores: 250_000_000 });
    const sampler = createJvbSampler(kube, { namespace: NS, release: 'jitsi' });
    const out = await sampler.sample({ step: 1, bridges: 2, phase: 'steady' }, new AbortController().signal);
    expect(out[0]).toMatchObject({
      kind: 'bridge',
      step: 1,
      bridges: 2,
      phase: 'steady',
      bridge: JVB0,
      node: 'node-a',
      cpuCores: 1.5,
      cpuSource: 'kubelet',
      memoryMiB: 2048,
      stress: 0.42,
      conferences: 3,
      participants: 17,
      incomingLossPct: 1.2,
      outgoingLossPct: 0.4,
      bitrateDownKbps: 5120,
      bitrateUpKbps: 20480,
      packetRateDown: 900,
      packetRateUp: 2600,
      rttMs: 38.5,
    });
    expect(out[1]).toMatchObject({ cpuCores: 0.25, cpuSource: 'kubelet' });
    expect(out[1]?.memoryMiB).toBeUndefined();
    expect(sampler.cpuSourceInfo().source).toBe('kubelet');
    const summaryCalls = api.requests.filter((r) => r.path.endsWith('/proxy/stats/summary'));
    expect(new Set(summaryCalls.map((r) => r.path))).toEqual(new Set(['/api/v1/nodes/node-a/proxy/stats/summary', '/api/v1/nodes/node-b/proxy/stats/summary']));
    expect(summaryCalls.every((r) => r.query.only_cpu_and_memory === 'true')).toBe(true);
  });

  it('falls back to the metrics API when the node proxy is forbidden, and says so', async () => {
    const s = api.state;
    s.faults.push({ path: /\/proxy\/stats\/summary$/, status: 403, message: 'nodes "node-a" is forbidden: cannot get resource "nodes/proxy"' });
    s.apiGroups.push('metrics.k8s.io');
    s.podMetrics.push(fakePodMetrics({ name: JVB0, cpu: '1234567890n', memory: '1536Mi' }), fakePodMetrics({ name: JVB1, cpu: '250m', memory: '1Gi' }));
    const notices: string[] = [];
    // a fresh client: discovery is cached for a minute
    const sampler = createJvbSampler(openKube({ kubeconfig: api.writeKubeconfig() }), { namespace: NS, release: 'jitsi', onNotice: (m) => notices.push(m) });
    const out = await sampler.sample({ step: 0, bridges: 2, phase: 'steady' }, new AbortController().signal);
    expect(out.map((b) => [b.cpuSource, b.memoryMiB])).toEqual([
      ['metrics-api', 1536],
      ['metrics-api', 1024],
    ]);
    expect(out[0]?.cpuCores).toBeCloseTo(1.23456789, 9);
    expect(out[1]?.cpuCores).toBeCloseTo(0.25, 9);
    expect(notices.join('\n')).toMatch(/cannot read the kubelet Summary API.*forbidden.*using the metrics API/s);
    expect(sampler.cpuSourceInfo()).toEqual({ source: 'metrics-api', resolution: 'metrics-server average over its window (15s)' });
  });

  it('every field read is one a current JVB publishes', () => {
    expect(parseColibriAnswer(colibriStatsBody()).missing).toEqual([]);
    expect(COLIBRI_FIELDS).not.toContain('cpu_usage'); // gone from the JVB years ago
  });

  it('a field missing from a live answer is reported once by name and stays absent, never 0', async () => {
    // an older 2.3 build: no stress_level, no conferences
    for (const pod of [JVB0, JVB1]) {
      const body = colibriStatsBody({ participants: 4 });
      delete body.stress_level;
      delete body.conferences;
      api.state.colibriStats[`${NS}/${pod}`] = body;
    }
    const notices: string[] = [];
    const sampler = createJvbSampler(kube, { namespace: NS, release: 'jitsi', cpuSource: 'metrics-api', onNotice: (m) => notices.push(m) });
    const first = await sampler.sample({ step: 0, bridges: 2, phase: 'steady' }, new AbortController().signal);
    await sampler.sample({ step: 0, bridges: 2, phase: 'steady' }, new AbortController().signal);
    const missing = notices.filter((n) => n.startsWith('/colibri/stats has no'));
    expect(missing).toHaveLength(2);
    expect(missing[0]).toMatch(/^\/colibri\/stats has no "stress_level" \(first seen on .*\): that bridge figure stays empty$/);
    expect(missing[1]).toMatch(/"conferences"/);
    for (const b of first) {
      expect(b).not.toHaveProperty('stress');
      expect(b).not.toHaveProperty('conferences');
      expect(b.participants).toBe(4);
    }
  });

  it('a bridge whose port does not answer still gets a record, without colibri figures', async () => {
    delete api.state.colibriStats[`${NS}/${JVB1}`];
    const out = await createJvbSampler(kube, { namespace: NS, release: 'jitsi', cpuSource: 'metrics-api' }).sample({ step: 0, bridges: 2, phase: 'steady' }, new AbortController().signal);
    expect(out[1]).toEqual({ kind: 'bridge', t: expect.any(Number), step: 0, bridges: 2, phase: 'steady', bridge: JVB1, node: 'node-b' });
  });
});
