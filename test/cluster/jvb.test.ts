/**
 * src/cluster/jvb.ts against the LOOK-ALIKE API server (test/support/fake-apiserver.ts), only for what
 * the real test control plane cannot serve: kubelet cAdvisor counters through the node proxy (kwok
 * serves no cAdvisor metrics), a forbidden node proxy, the metrics API (no metrics-server), and
 * /colibri/stats answers with fields missing or one bridge silent (the stand-in bridge answers every
 * pod the same way). Discovery by the chart labels and /colibri/stats through the real pods/proxy run
 * on the real API server in test/k8s/observe.test.ts and test/k8s/pods-proxy.test.ts.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { COLIBRI_FIELDS, cpuRate, createJvbSampler, parseCadvisor, parseColibriAnswer, parseColibriStats } from '../../src/cluster/jvb.js';
import { openKube, type Kube } from '../../src/cluster/kube.js';
import { cadvisorText, colibriStatsBody, emptyState, fakeNode, fakePod, fakePodMetrics, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';

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

describe('CPU from cAdvisor counters', () => {
  it('parses only the jitsi-meet container of each pod (not the pod cgroup, pause, or system lines)', () => {
    api.state.containerCpu.push({ namespace: NS, pod: JVB0, container: 'jitsi-meet', seconds: 123.25, memoryBytes: 1610612736 });
    const text = cadvisorText(api.state, 'node-a', 1_700_000_000_000);
    const r = parseCadvisor(text);
    expect([...r.keys()]).toEqual([`${NS}/${JVB0}`]);
    expect(r.get(`${NS}/${JVB0}`)).toEqual({ cpuSeconds: 123.25, cpuTimestampMs: 1_700_000_000_000, memoryBytes: 1610612736 });
  });

  it('cpuRate: Δseconds / Δt; none for the first reading, the same reading or a restart', () => {
    expect(cpuRate(undefined, { seconds: 5, atMs: 0 })).toBeUndefined();
    expect(cpuRate({ seconds: 100, atMs: 0 }, { seconds: 115, atMs: 10_000 })).toBe(1.5);
    expect(cpuRate({ seconds: 100, atMs: 10_000 }, { seconds: 100, atMs: 10_000 })).toBeUndefined();
    expect(cpuRate({ seconds: 100, atMs: 0 }, { seconds: 3, atMs: 10_000 })).toBeUndefined();
  });

  it('the sampler turns two scrapes through the node proxy into cores per bridge, with colibri figures', async () => {
    const s = api.state;
    s.containerCpu.push({ namespace: NS, pod: JVB0, container: 'jitsi-meet', seconds: 100, memoryBytes: 2 * 1024 ** 3 }, { namespace: NS, pod: JVB1, container: 'jitsi-meet', seconds: 50 });
    s.cadvisorTimeMs = 1_000_000;
    const sampler = createJvbSampler(kube, { namespace: NS, release: 'jitsi' });
    const ac = new AbortController();
    const first = await sampler.sample({ step: 0, bridges: 2, phase: 'warmup' }, ac.signal);
    expect(first.map((b) => b.cpuCores)).toEqual([undefined, undefined]); // one reading is no rate
    expect(first[0]?.memoryMiB).toBe(2048);

    s.containerCpu[0]!.seconds = 115; // 15 core-seconds in 10 s = 1.5 cores
    s.containerCpu[1]!.seconds = 52.5; // 0.25 cores
    s.cadvisorTimeMs = 1_010_000;
    const second = await sampler.sample({ step: 1, bridges: 2, phase: 'steady' }, ac.signal);
    expect(second[0]).toMatchObject({
      kind: 'bridge',
      step: 1,
      bridges: 2,
      phase: 'steady',
      bridge: JVB0,
      node: 'node-a',
      cpuCores: 1.5,
      cpuSource: 'cadvisor',
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
    expect(second[1]?.cpuCores).toBeCloseTo(0.25, 9);
    expect(sampler.cpuSourceInfo().source).toBe('cadvisor');
    const cadvisorCalls = api.requests.filter((r) => r.path.endsWith('/proxy/metrics/cadvisor')).map((r) => r.path);
    expect(new Set(cadvisorCalls)).toEqual(new Set(['/api/v1/nodes/node-a/proxy/metrics/cadvisor', '/api/v1/nodes/node-b/proxy/metrics/cadvisor']));
  });

  it('falls back to the metrics API when the node proxy is forbidden, and says so', async () => {
    const s = api.state;
    s.faults.push({ path: /\/proxy\/metrics\/cadvisor$/, status: 403, message: 'nodes "node-a" is forbidden: cannot get resource "nodes/proxy"' });
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
    expect(notices.join('\n')).toMatch(/cannot read kubelet cAdvisor counters.*forbidden.*using the metrics API/s);
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
