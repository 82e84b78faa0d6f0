/**
 * The Jitsi target end to end, minus Jitsi: real Chromium joins the loopback conference through
 * Jitsi-style room URLs, while the bridges are sampled through src/cluster/ from the LOOK-ALIKE
 * Kubernetes API server (test/support/fake-apiserver.ts). Why not the real test control plane: the
 * point here is bridge CPU from kubelet cAdvisor counters that move between scrapes, and kwok serves
 * no cAdvisor metrics (nor is there a metrics API to fall back on). Bridge discovery and
 * /colibri/stats through the real pods/proxy are covered in test/k8s/observe.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBridges } from '../../src/bench/cluster-bridges.js';
import { startLoopbackConference } from '../../src/bench/loopback/server.js';
import { runBench } from '../../src/bench/runner.js';
import type { BridgeSample, SampleRecord } from '../../src/bench/samples.js';
import { parseScenario } from '../../src/bench/scenario.js';
import { saveConfig } from '../../src/config/file.js';
import { config } from '../support/config.js';
import { colibriStatsBody, fakeNode, fakePod, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { chromiumBin } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-cb-'));
const pod = 'jitsi-jvb-0-abcde';
let api: FakeApiServer;
let conf: Awaited<ReturnType<typeof startLoopbackConference>>;
const savedKubeconfig = process.env.KUBECONFIG;

beforeAll(async () => {
  api = await startFakeApiServer();
  api.state.nodes.push(fakeNode({ name: 'n1', cpu: '4', memory: '16Gi' }));
  api.state.pods.push(fakePod({ name: pod, namespace: 'jitsi', component: 'jvb', node: 'n1' }));
  api.state.colibriStats[`jitsi/${pod}`] = colibriStatsBody({ stress_level: 0.12, conferences: 1, participants: 2, incoming_loss: 0.01 });
  api.state.containerUsage.push({ namespace: 'jitsi', pod, container: 'jitsi-meet', nanoCores: 500_000_000, memoryBytes: 1024 ** 3 });
  process.env.KUBECONFIG = api.writeKubeconfig();
  conf = await startLoopbackConference();
});
afterAll(async () => {
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  await conf?.close();
  await api?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('bench against a deployment (bridges from the fake API server)', () => {
  it('participant samples from real browsers and bridge samples from /colibri/stats and the kubelet Summary API share one samples.jsonl', async () => {
    const configPath = join(work, 'jitsi-k8s.yaml');
    saveConfig(configPath, config());
    const warnings: string[] = [];
    const bridges = await clusterBridges({ configPath, sweep: false, log: { info: () => {}, warn: (m) => warnings.push(m) } });
    expect(bridges.scaler).toBeUndefined();
    const s = parseScenario({ target: 'jitsi', url: conf.url, browser: chromiumBin(), participants: 2, senders: 1, durationMs: '4s', rampPerSecond: '10/s', warmupMs: '1s', cooldownMs: '1s', outDir: join(work, 'run') });
    const out = await runBench(s, { signal: new AbortController().signal, bridges });
    expect(out).toMatchObject({ joined: 2, failed: 0 });
    const rs = readFileSync(out.samplesFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SampleRecord);
    const b = rs.filter((r): r is BridgeSample => r.kind === 'bridge');
    expect(b.length).toBeGreaterThan(4);
    expect(new Set(b.map((r) => r.phase))).toContain('steady');
    expect(b.every((r) => r.bridge === pod && r.stress === 0.12 && r.conferences === 1)).toBe(true);
    const cores = b.map((r) => r.cpuCores).filter((c): c is number => c !== undefined);
    expect(cores.length).toBe(b.length);
    expect(cores.every((c) => c === 0.5)).toBe(true);
    expect(rs.some((r) => r.kind === 'participant' && r.phase === 'steady')).toBe(true);
    expect(api.requests.some((r) => r.path.includes(`/pods/${pod}:8080/proxy/colibri/stats`))).toBe(true);
  });

  it('without cluster access a plain run measures participants only and says why; a sweep refuses', async () => {
    const configPath = join(work, 'jitsi-k8s.yaml');
    saveConfig(configPath, config());
    const kubeconfig = process.env.KUBECONFIG;
    process.env.KUBECONFIG = join(work, 'no-such-kubeconfig');
    try {
      const warnings: string[] = [];
      expect(await clusterBridges({ configPath, sweep: false, log: { info: () => {}, warn: (m) => warnings.push(m) } })).toEqual({});
      expect(warnings).toEqual([`the bridges are not measured: KUBECONFIG names ${join(work, 'no-such-kubeconfig')}, which does not exist`]);
      await expect(clusterBridges({ configPath, sweep: true, log: { info: () => {}, warn: () => {} } })).rejects.toThrow('which does not exist');
    } finally {
      process.env.KUBECONFIG = kubeconfig;
    }
  });

  it('a sweep needs the secrets file beside the config', async () => {
    const configPath = join(work, 'nosecrets', 'jitsi-k8s.yaml');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(work, 'nosecrets'));
    saveConfig(configPath, config());
    await expect(clusterBridges({ configPath, sweep: true, log: { info: () => {}, warn: () => {} } })).rejects.toThrow('--replicas re-applies the release and needs');
  });
});
