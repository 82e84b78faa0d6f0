/**
 * security.networkPolicies against the REAL API server: the extras chart with the policies is installed
 * with real helm (its API-server policy looks up the cluster's addresses at install) beside a release
 * of the real chart; the policies the API server stores are read back and a small evaluator
 * (test/support/netpol-eval.ts) checks a table of flows, source → destination:port, allowed or not.
 * The pod-proxy path is observed, not assumed: a listener in the pod network records the source
 * address of the API server's pods/proxy requests to a bridge pod, and that address must be let in on
 * the bridges' private port (and nowhere else). The test control plane's CNI enforces nothing, so
 * the evaluator is the judge of the stored objects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { renderRelease } from '../../src/render/index.js';
import { chartValues, template } from '../support/chart.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { assertPodRoute, bridgeSelector, cluster, installRelease, kubectl, kubectlJson, skipReason, waitForReadyPods } from '../support/control-plane.js';
import { installExtras } from '../support/extras.js';
import { allowed, type Endpoint, type Labels, type NetworkPolicy } from '../support/netpol-eval.js';

const runId = Date.now().toString(36).slice(-5);
const work = mkdtempSync(join(tmpdir(), 'jk8s-netpol-'));
const namespaces: string[] = [];
let listener: ChildProcess | undefined;
const seen: string[] = [];

afterAll(() => {
  listener?.kill('SIGTERM');
  if (cluster) for (const ns of namespaces) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

const chart = (release: string, component: string): Labels => ({ 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': release, 'app.kubernetes.io/component': component });
const ours = (release: string, component: string): Labels => ({ 'app.kubernetes.io/component': component, 'jitsi-k8s/release': release });
const pod = (namespace: string, labels: Labels, ip = '10.99.0.9'): Endpoint => ({ namespace, labels, ip });
const INTERNET: Endpoint = { ip: '203.0.113.7' };

/** Installs the extras chart of `cfg` (policies on) with real helm; returns the NetworkPolicies the API server stores. */
async function installPolicies(cfg: Config): Promise<NetworkPolicy[]> {
  // monitoring's own objects need the Prometheus operator's CRDs (test/k8s/monitoring.test.ts installs and removes
  // them); here only what the policies let in from the monitoring namespace matters
  await installExtras(cfg, work, { without: ['PodMonitor', 'ServiceMonitor', 'PrometheusRule'] });
  return kubectlJson<{ items: NetworkPolicy[] }>(['get', 'networkpolicies', '-n', cfg.cluster.namespace]).items;
}

function newNamespace(name: string): string {
  const ns = `jk8s-np-${name}-${runId}`;
  kubectl(['create', 'namespace', ns]);
  namespaces.push(ns);
  return ns;
}

/** Records the source address of every connection to port 18080 on any pod IP (the pod network's namespace). */
async function startListener(): Promise<void> {
  const script = "require('node:net').createServer((s) => { console.log(s.remoteAddress.replace(/^::ffff:/, '')); s.end('HTTP/1.1 200 OK\\r\\ncontent-length: 2\\r\\nconnection: close\\r\\n\\r\\nok'); }).listen(18080, () => console.log('listening'))";
  listener = spawn('ip', ['netns', 'exec', cluster!.netns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: listener.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the listener did not start')), 10_000);
    lines.on('line', (l) => {
      if (l === 'listening') {
        clearTimeout(timer);
        resolve();
      } else seen.push(l);
    });
  });
}

describe.skipIf(!cluster)(`NetworkPolicies stored by a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  let ns = '';
  let policies: NetworkPolicy[] = [];
  let apiServerSource = '';
  let cfg: Config;

  beforeAll(async () => {
    if (!cluster) return;
    assertPodRoute();
    ns = newNamespace('lb');
    cfg = config({
      components: { jvb: { replicas: 2 } },
      exposure: { turn: { enabled: true } },
      security: { networkPolicies: 'on' },
      cluster: { namespace: ns, release: 'jitsi' },
      // the Prometheus that scrapes the bridges runs in `monitoring`
      monitoring: { enabled: true, namespace: 'monitoring' },
    });
    await installRelease(ns, 'jitsi', 2);
    policies = await installPolicies(cfg);
    // the pod-proxy path as status, verify, bench and drain use it: GET .../pods/<bridge>:<port>/proxy/
    await startListener();
    const [bridge] = await waitForReadyPods(ns, bridgeSelector('jitsi'), 2);
    expect(kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/${bridge!.name}:18080/proxy/`])).toBe('ok');
    // kubectl ran synchronously: the listener's line arrives once the event loop turns
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(seen.length).toBeGreaterThan(0);
    apiServerSource = seen[0]!;
  }, 120_000);

  it('the API server stores the default deny and one policy per component; the API-server policy holds the looked-up addresses', () => {
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(
      ['coturn', 'default-deny', 'jicofo', 'jvb', 'jvb-from-api-server', 'prosody', 'web'].map((n) => `jitsi-${n}`),
    );
    const fromApi = policies.find((p) => p.metadata.name === 'jitsi-jvb-from-api-server')!;
    const cidrs = fromApi.spec.ingress![0]!.from!.map((f) => f.ipBlock?.cidr);
    // the test control plane: no control-plane node and a loopback advertise address, so every node's InternalIP
    const nodeIPs = kubectlJson<{ items: { status: { addresses: { type: string; address: string }[] } }[] }>(['get', 'nodes']).items.flatMap((n) =>
      n.status.addresses.filter((a) => a.type === 'InternalIP').map((a) => `${a.address}/32`),
    );
    expect(cidrs).toEqual([...new Set(nodeIPs)].sort());
  });

  it('allows exactly the flows of the table, including the observed pod-proxy source', () => {
    const dst = (component: string) => ({ namespace: ns, labels: chart('jitsi', component) });
    const api: Endpoint = { ip: apiServerSource };
    const table: [string, Endpoint, ReturnType<typeof dst>, number, 'TCP' | 'UDP', boolean][] = [
      ['internet → bridge 0 media', INTERNET, dst('jvb'), 10000, 'UDP', true],
      ['internet → bridge 1 media', INTERNET, dst('jvb'), 10001, 'UDP', true],
      ['internet → a port no bridge uses', INTERNET, dst('jvb'), 10002, 'UDP', false],
      ['internet → bridge REST (shutdown endpoint)', INTERNET, dst('jvb'), 8080, 'TCP', false],
      [`API server pod proxy (${apiServerSource}) → bridge REST`, api, dst('jvb'), 8080, 'TCP', true],
      ['API server address → prosody XMPP', api, dst('prosody'), 5222, 'TCP', false],
      ['API server address → jicofo REST', api, dst('jicofo'), 8888, 'TCP', false],
      ['konnectivity agent → bridge REST', pod('kube-system', { 'k8s-app': 'konnectivity-agent' }), dst('jvb'), 8080, 'TCP', true],
      ['other kube-system pod → bridge REST', pod('kube-system', { 'k8s-app': 'kube-dns' }), dst('jvb'), 8080, 'TCP', false],
      ['jicofo → bridge REST', pod(ns, chart('jitsi', 'jicofo')), dst('jvb'), 8080, 'TCP', true],
      ['prosody → bridge REST', pod(ns, chart('jitsi', 'prosody')), dst('jvb'), 8080, 'TCP', true],
      ['web → bridge REST', pod(ns, chart('jitsi', 'web')), dst('jvb'), 8080, 'TCP', false],
      ['web → bridge channel (colibri WebSocket, proxied /colibri-ws/)', pod(ns, chart('jitsi', 'web')), dst('jvb'), 9090, 'TCP', true],
      ['internet → bridge channel port directly', INTERNET, dst('jvb'), 9090, 'TCP', false],
      ['ingress controller → bridge channel port directly', pod('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' }), dst('jvb'), 9090, 'TCP', false],
      ['monitoring → bridge metrics', pod('monitoring', { app: 'prometheus' }), dst('jvb'), 9888, 'TCP', true],
      ['monitoring → jicofo REST/metrics', pod('monitoring', { app: 'prometheus' }), dst('jicofo'), 8888, 'TCP', true],
      ['default namespace pod → jicofo REST', pod('default', { app: 'x' }), dst('jicofo'), 8888, 'TCP', false],
      ['web → jicofo conference-request (proxied by the site)', pod(ns, chart('jitsi', 'web')), dst('jicofo'), 8888, 'TCP', true],
      ['bridge → jicofo REST', pod(ns, chart('jitsi', 'jvb')), dst('jicofo'), 8888, 'TCP', false],
      ['ingress controller → web', pod('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' }), dst('web'), 8000, 'TCP', true],
      ['default namespace pod → web', pod('default', { app: 'x' }), dst('web'), 8000, 'TCP', false],
      ['internet → web (behind the Ingress)', INTERNET, dst('web'), 8000, 'TCP', false],
      ['jicofo → prosody c2s', pod(ns, chart('jitsi', 'jicofo')), dst('prosody'), 5222, 'TCP', true],
      ['bridge → prosody c2s', pod(ns, chart('jitsi', 'jvb')), dst('prosody'), 5222, 'TCP', true],
      ['web → prosody BOSH', pod(ns, chart('jitsi', 'web')), dst('prosody'), 5280, 'TCP', true],
      ['another release in the namespace → prosody', pod(ns, chart('other', 'jicofo')), dst('prosody'), 5222, 'TCP', false],
      ['default namespace pod → prosody', pod('default', { app: 'x' }), dst('prosody'), 5222, 'TCP', false],
      ['internet → TURN udp', INTERNET, dst('coturn'), 3478, 'UDP', true],
      ['internet → TURNS', INTERNET, dst('coturn'), 5349, 'TCP', true],
      ['internet → TURN relay port', INTERNET, dst('coturn'), 50000, 'UDP', false],
      ['bridge → TURN relay port', pod(ns, chart('jitsi', 'jvb')), dst('coturn'), 50123, 'UDP', true],
      ['anything → a pod no component policy names (jibri)', INTERNET, dst('jibri'), 2222, 'TCP', false],
    ];
    const wrong = table.filter(([, src, d, port, proto, want]) => allowed(policies, src, d, port, proto) !== want).map(([what, , , , , want]) => `${what}: want ${want ? 'allowed' : 'denied'}`);
    expect(wrong).toEqual([]);
  });

  it('pangolin: the web only from Newt; hostPort: the keeper reaches the bridges; tls none: the web from anywhere', async () => {
    const pg = newNamespace('pg');
    const pgPolicies = await installPolicies(
      config({ exposure: { mode: 'pangolin', publicIP: '203.0.113.10', pangolin: { endpoint: 'https://pangolin.example.com' } }, security: { networkPolicies: 'on' }, cluster: { namespace: pg, release: 'meet' } }),
    );
    const web = { namespace: pg, labels: chart('meet', 'web') };
    expect(allowed(pgPolicies, pod(pg, ours('meet', 'newt')), web, 8000, 'TCP')).toBe(true);
    expect(allowed(pgPolicies, pod('ingress-nginx', {}), web, 8000, 'TCP')).toBe(false);
    expect(allowed(pgPolicies, INTERNET, web, 8000, 'TCP')).toBe(false);
    expect(allowed(pgPolicies, INTERNET, { namespace: pg, labels: chart('meet', 'jvb') }, 10000, 'UDP')).toBe(true);

    const hp = newNamespace('hp');
    const hpPolicies = await installPolicies(
      config({ nodes: { count: 3 }, exposure: { mode: 'hostPort', publicIP: undefined }, components: { jvb: { replicas: 2 } }, security: { networkPolicies: 'on' }, tls: { mode: 'none' }, cluster: { namespace: hp, release: 'jitsi' } }),
    );
    const jvb = { namespace: hp, labels: chart('jitsi', 'jvb') };
    expect(allowed(hpPolicies, pod(hp, ours('jitsi', 'jvb-cost-keeper')), jvb, 8080, 'TCP')).toBe(true);
    expect(allowed(hpPolicies, pod(hp, ours('jitsi', 'newt')), jvb, 8080, 'TCP')).toBe(false);
    expect(allowed(hpPolicies, INTERNET, jvb, 10000, 'UDP')).toBe(true);
    expect(allowed(hpPolicies, INTERNET, jvb, 10001, 'UDP')).toBe(false);
    expect(allowed(hpPolicies, INTERNET, { namespace: hp, labels: chart('jitsi', 'web') }, 8000, 'TCP')).toBe(true);
  });

  it('off and auto without an enforcing CNI render no policy; the real chart still renders beside them', async () => {
    expect(renderRelease(config({ security: { networkPolicies: 'off' } }), FIXED_SECRETS).extras?.manifests.filter((m) => m.kind === 'NetworkPolicy') ?? []).toEqual([]);
    expect(renderRelease(config({}), FIXED_SECRETS).extras?.manifests.filter((m) => m.kind === 'NetworkPolicy') ?? []).toEqual([]);
    expect(renderRelease(config({}), FIXED_SECRETS, { cniEnforcesPolicies: true }).extras!.manifests.filter((m) => m.kind === 'NetworkPolicy')).toHaveLength(6);
    // the chart's pods carry the labels the policies select
    const objects = await template(chartValues({ components: { jvb: { replicas: 2 } }, exposure: { turn: { enabled: true } }, security: { networkPolicies: 'on' } }));
    const components = objects
      .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
      .map((o) => o.spec.template.metadata.labels as Labels)
      .map((l) => [l['app.kubernetes.io/name'], l['app.kubernetes.io/instance'], l['app.kubernetes.io/component']].join('/'));
    expect(components.sort()).toEqual(['jitsi-meet/jitsi/coturn', 'jitsi-meet/jitsi/jicofo', 'jitsi-meet/jitsi/jvb', 'jitsi-meet/jitsi/jvb', 'jitsi-meet/jitsi/prosody', 'jitsi-meet/jitsi/web']);
    // the bridges' ports the policies open are the chart's container ports
    const jvbPorts = objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.includes('-jvb-')).flatMap((o) => o.spec.template.spec.containers[0].ports.map((p: { containerPort: number; protocol: string }) => `${p.containerPort}/${p.protocol}`));
    expect(jvbPorts.sort()).toEqual(['10000/UDP', '10001/UDP', '8080/TCP', '8080/TCP']);
  });
});
