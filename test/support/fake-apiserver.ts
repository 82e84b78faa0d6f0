/**
 * A LOOK-ALIKE of the Kubernetes API server, not the real thing. The real one runs under the tests
 * (test/k8s/, docs/control-plane.md) and covers whatever it can; this stays for corners it cannot
 * reach: the metrics API and kubelet cAdvisor counters (no metrics-server, kwok serves none), pods
 * that crash-loop or restart (no containers run), a status frozen between two polls, one endpoint
 * failing while the rest answer, and a bridge whose /colibri/stats stays silent. It serves exactly
 * the endpoints jitsi-k8s calls, from an in-memory state the test mutates between calls, over HTTPS on 127.0.0.1
 * (a self-signed certificate made with openssl at start; @kubernetes/client-node 1.4.0 refuses
 * plain http unless insecure-skip-tls-verify is set, so TLS keeps the kubeconfig realistic).
 *
 * Usage:
 *   const api = await startFakeApiServer();                  // random port, bearer token required
 *   api.state.nodes.push(fakeNode({ name: 'n1', cpu: '4', memory: '16Gi' }));
 *   api.state.pods.push(fakePod({ name: 'jitsi-jvb-0-abc', namespace: 'jitsi', component: 'jvb', node: 'n1' }));
 *   api.state.colibriStats['jitsi/jitsi-jvb-0-abc'] = { stress_level: 0.1, conferences: 2, ... };
 *   const kubeconfig = api.writeKubeconfig();                // temp file, contexts 'fake' (current) + 'other'
 *   process.env.KUBECONFIG = kubeconfig   (or spawn the bin with { env: { KUBECONFIG: kubeconfig } })
 *   ... code under test ...
 *   expect(api.requests.map((r) => r.path)).toContain('/api/v1/nodes');
 *   await api.close();
 *
 * State (all plain JSON shaped like the real API): nodes, namespaces, pods, deployments,
 * statefulsets, services, secrets (helm's release storage), configMaps, jobs (+ onJobCreated, so a
 * test can add the Job's pods), podLogs per "ns/pod", hpas, storageClasses, podMetrics; apiGroups (extra discovery groups such
 * as 'metrics.k8s.io', 'cert-manager.io', 'tailscale.com'); colibriStats / health per "ns/pod"
 * (absent → 503 like a pod whose port does not answer); containerUsage (CPU and memory per
 * container, served per node as a LOOK-ALIKE of the kubelet Summary API at
 * `/nodes/<node>/proxy/stats/summary` — kwok v0.8.0, the test control plane's kubelet, has no such
 * endpoint); colibri2 (a handler for any request under
 * `/pods/<pod>:8080/proxy/colibri/v2/...`); faults (force a status for matching requests — 403,
 * 500…). Each request is recorded in `requests` (method, path, query, body).
 */
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';

// ---------- state ----------

// Plain JSON objects (as the API server sends them); tests build them with the helpers below.
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ContainerUsage {
  namespace: string;
  pod: string;
  container: string;
  /** the kubelet's cpu.usageNanoCores; absent before its first housekeeping */
  nanoCores?: number;
  /** memory.workingSetBytes */
  memoryBytes?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: string;
  authorization?: string;
}

export interface ProxyReply {
  status?: number;
  body: unknown;
  contentType?: string;
}

export interface Fault {
  method?: string;
  path: RegExp;
  status: number;
  message?: string;
  /** how many matching requests to fail; unlimited when absent */
  times?: number;
  /** never answer (a hung API server or kubelet); status is then ignored */
  hang?: boolean;
}

export interface FakeClusterState {
  version: Json;
  nodes: Json[];
  namespaces: string[];
  pods: Json[];
  deployments: Json[];
  statefulsets: Json[];
  services: Json[];
  /** Secrets; helm keeps its releases here (type helm.sh/release.v1, labels owner=helm,name,status,version) */
  secrets: Json[];
  configMaps: Json[];
  /** coordination.k8s.io/v1 Leases (a run's lock on a release), with resourceVersion checks on update and delete as the API server does */
  leases: Json[];
  /** batch/v1 Jobs created through the API (the fake runs nothing: tests add the Job's pods themselves) */
  jobs: Json[];
  /** container log text per "namespace/pod" (GET …/pods/<pod>/log) */
  podLogs: Record<string, string>;
  /** called after a Job is created, so a test can add its pods and logs */
  onJobCreated?: (job: Json) => void;
  hpas: Json[];
  storageClasses: Json[];
  podMetrics: Json[];
  /** discovery groups beyond the built-in ones (apps, autoscaling, storage.k8s.io …) */
  apiGroups: string[];
  /** body of /colibri/stats per "namespace/pod"; absent → 503 (port not answering) */
  colibriStats: Record<string, unknown>;
  /** status of /about/health per "namespace/pod"; absent → 200 when colibriStats is set, else 503 */
  health: Record<string, number>;
  containerUsage: ContainerUsage[];
  /** answers any request under /pods/<pod>:8080/proxy/colibri/v2/ */
  colibri2?: (req: { method: string; namespace: string; pod: string; path: string; body: unknown }) => ProxyReply;
  faults: Fault[];
  /** bearer token the server requires; undefined = no auth */
  token?: string;
}

export function emptyState(): FakeClusterState {
  return {
    version: { major: '1', minor: '31', gitVersion: 'v1.31.2', platform: 'linux/amd64' },
    nodes: [],
    namespaces: ['default', 'kube-system'],
    pods: [],
    deployments: [],
    statefulsets: [],
    services: [],
    secrets: [],
    configMaps: [],
    leases: [],
    jobs: [],
    podLogs: {},
    hpas: [],
    storageClasses: [],
    podMetrics: [],
    apiGroups: [],
    colibriStats: {},
    health: {},
    containerUsage: [],
    faults: [],
    token: 'fake-token-for-tests',
  };
}

// ---------- builders (shaped like real API objects) ----------

const chartLabels = (release: string, component: string): Record<string, string> => ({
  'app.kubernetes.io/name': 'jitsi-meet',
  'app.kubernetes.io/instance': release,
  'app.kubernetes.io/component': component,
});

export function fakeNode(o: {
  name: string;
  cpu?: string;
  memory?: string;
  cordoned?: boolean;
  taints?: { key: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'; value?: string }[];
  runtime?: string;
  internalIP?: string;
  externalIP?: string;
  ready?: boolean;
  labels?: Record<string, string>;
}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: o.name, labels: { 'kubernetes.io/hostname': o.name, ...o.labels }, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { unschedulable: o.cordoned ? true : undefined, taints: o.taints },
    status: {
      capacity: { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: '110' },
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: '110' },
      addresses: [
        { type: 'InternalIP', address: o.internalIP ?? '10.0.0.10' },
        ...(o.externalIP ? [{ type: 'ExternalIP', address: o.externalIP }] : []),
        { type: 'Hostname', address: o.name },
      ],
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      nodeInfo: {
        containerRuntimeVersion: o.runtime ?? 'containerd://1.7.22',
        kubeletVersion: 'v1.31.2',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        architecture: 'amd64',
        operatingSystem: 'linux',
        kernelVersion: '6.1.0',
        kubeProxyVersion: 'v1.31.2',
        machineID: 'm',
        systemUUID: 's',
        bootID: 'b',
      },
    },
  };
}

export function fakePod(o: {
  name: string;
  namespace?: string;
  release?: string;
  /** chart component (web, jvb, …); sets the chart's labels */
  component?: string;
  labels?: Record<string, string>;
  node?: string;
  ready?: boolean;
  phase?: string;
  restarts?: number;
  env?: Record<string, string>;
  container?: string;
  podIP?: string;
  ownerDeployment?: string;
}): Json {
  const ready = o.ready ?? true;
  const container = o.container ?? 'jitsi-meet';
  const labels = { ...(o.component ? chartLabels(o.release ?? 'jitsi', o.component) : {}), ...o.labels };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'jitsi',
      labels,
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...(o.ownerDeployment ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${o.ownerDeployment}-7d9f`, uid: 'u', controller: true }] } : {}),
    },
    spec: {
      nodeName: o.node,
      containers: [{ name: container, image: 'jitsi/jvb:stable-11146-2', env: Object.entries(o.env ?? {}).map(([name, value]) => ({ name, value })) }],
    },
    status: {
      phase: o.phase ?? (ready ? 'Running' : 'Pending'),
      podIP: o.podIP ?? '10.244.0.10',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: container, ready, restartCount: o.restarts ?? 0, image: 'jitsi/jvb', imageID: '', started: ready }],
    },
  };
}

function workload(kind: 'Deployment' | 'StatefulSet', o: { name: string; namespace?: string; release?: string; component: string; replicas?: number; ready?: number; chart?: string }): Json {
  const replicas = o.replicas ?? 1;
  const ready = o.ready ?? replicas;
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'jitsi',
      labels: { ...chartLabels(o.release ?? 'jitsi', o.component), 'helm.sh/chart': o.chart ?? 'jitsi-meet-3.4.0', 'app.kubernetes.io/managed-by': 'Helm' },
      generation: 1,
    },
    spec: { replicas, selector: { matchLabels: chartLabels(o.release ?? 'jitsi', o.component) }, template: { metadata: { labels: chartLabels(o.release ?? 'jitsi', o.component) }, spec: { containers: [{ name: 'jitsi-meet', image: 'x' }] } } },
    status: { observedGeneration: 1, replicas, readyReplicas: ready, availableReplicas: ready, updatedReplicas: replicas },
  };
}

export const fakeDeployment = (o: Parameters<typeof workload>[1]): Json => workload('Deployment', o);
export const fakeStatefulSet = (o: Parameters<typeof workload>[1]): Json => ({ ...workload('StatefulSet', o), spec: { ...workload('StatefulSet', o).spec, serviceName: o.name } });

export function fakeStorageClass(o: { name: string; provisioner?: string; isDefault?: boolean }): Json {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: o.name, annotations: o.isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
    provisioner: o.provisioner ?? 'rancher.io/local-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

export function fakeHpa(o: { name: string; namespace?: string; target: string; min: number; max: number; current: number; desired?: number; cpuTarget?: number; cpuNow?: number }): Json {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: o.name, namespace: o.namespace ?? 'jitsi' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.target },
      minReplicas: o.min,
      maxReplicas: o.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: o.cpuTarget ?? 70 } } }],
    },
    status: {
      currentReplicas: o.current,
      desiredReplicas: o.desired ?? o.current,
      currentMetrics: o.cpuNow === undefined ? [] : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: o.cpuNow } } }],
    },
  };
}

export function fakePodMetrics(o: { name: string; namespace?: string; cpu: string; memory: string; container?: string }): Json {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name: o.name, namespace: o.namespace ?? 'jitsi' },
    timestamp: new Date().toISOString(),
    window: '15s',
    containers: [{ name: o.container ?? 'jitsi-meet', usage: { cpu: o.cpu, memory: o.memory } }],
  };
}

/**
 * A /colibri/stats body with the field names a current JVB publishes (a subset of the keys of
 * jitsi-videobridge VideobridgeStatisticsShim.kt, master @89dde6e, 2026); override what a test needs.
 */
export function colibriStatsBody(o: Partial<Record<string, number>> = {}): Record<string, number> {
  return {
    stress_level: 0.05,
    conferences: 0,
    participants: 0,
    endpoints: 0,
    largest_conference: 0,
    incoming_loss: 0,
    outgoing_loss: 0,
    overall_loss: 0,
    endpoints_with_high_outgoing_loss: 0,
    bit_rate_download: 0,
    bit_rate_upload: 0,
    packet_rate_download: 0,
    packet_rate_upload: 0,
    rtt_aggregate: 0,
    total_conferences_created: 0,
    threads: 120,
    ...o,
  } as Record<string, number>;
}

// ---------- selectors ----------

/** Kubernetes label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-separated. */
export function matchesLabelSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((raw) => {
    const t = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = t.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const vals = m[3]!.split(',').map((v) => v.trim());
      const has = m[1]! in l && vals.includes(l[m[1]!]!);
      return m[2] === 'in' ? has : !has;
    }
    if ((m = t.match(/^([^\s!=]+)\s*!=\s*(.*)$/))) return l[m[1]!] !== m[2]!.trim();
    if ((m = t.match(/^([^\s!=]+)\s*==?\s*(.*)$/))) return l[m[1]!] === m[2]!.trim();
    if ((m = t.match(/^!\s*(\S+)$/))) return !(m[1]! in l);
    return t in l;
  });
}

function matchesFieldSelector(obj: Json, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = term.match(/^([^!=]+)(!=|==?)(.*)$/);
    if (!m) return true;
    const value = m[1]!.split('.').reduce<unknown>((o, k) => (o as Json | undefined)?.[k], obj);
    const eq = String(value ?? '') === m[3];
    return m[2] === '!=' ? !eq : eq;
  });
}

// ---------- kubelet Summary API (look-alike) ----------

/**
 * A LOOK-ALIKE of one node's kubelet Summary API answer (stats/v1alpha1 with only_cpu_and_memory):
 * the node's own figures, then every pod with its containers; pods without a usage entry still
 * appear (with no containers), and an extra container in each pod, so readers must pick by name.
 */
export function kubeletSummary(state: FakeClusterState, node: string, now = new Date()): Json {
  const time = now.toISOString();
  const pods = state.pods
    .filter((p) => p.spec?.nodeName === node)
    .map((p) => {
      const ns = p.metadata.namespace as string;
      const name = p.metadata.name as string;
      const containers = state.containerUsage
        .filter((c) => c.namespace === ns && c.pod === name)
        .flatMap((c) => [
          {
            name: c.container,
            startTime: time,
            cpu: { time, ...(c.nanoCores !== undefined ? { usageNanoCores: c.nanoCores } : {}), usageCoreNanoSeconds: 123_456_789_000 },
            memory: { time, ...(c.memoryBytes !== undefined ? { workingSetBytes: c.memoryBytes } : {}), usageBytes: (c.memoryBytes ?? 0) + 4096 },
          },
          { name: `${c.container}-sidecar`, startTime: time, cpu: { time, usageNanoCores: 999_000_000 }, memory: { time, workingSetBytes: 1 } },
        ]);
      return { podRef: { name, namespace: ns, uid: p.metadata.uid ?? `uid-${name}` }, startTime: time, containers, cpu: { time }, memory: { time } };
    });
  return { node: { nodeName: node, startTime: time, cpu: { time, usageNanoCores: 2_500_000_000 }, memory: { time, workingSetBytes: 8 * 1024 ** 3 } }, pods };
}

// ---------- server ----------

const BUILTIN_GROUPS: [string, string][] = [
  ['apps', 'v1'],
  ['autoscaling', 'v2'],
  ['storage.k8s.io', 'v1'],
  ['networking.k8s.io', 'v1'],
  ['apiextensions.k8s.io', 'v1'],
];
const KNOWN_GROUP_VERSIONS: Record<string, string> = {
  'metrics.k8s.io': 'v1beta1',
  'cert-manager.io': 'v1',
  'tailscale.com': 'v1alpha1',
  'monitoring.coreos.com': 'v1',
};

// [plural, Kind, namespaced]
type ResourceSpec = [string, string, boolean];
const CORE_RESOURCES: ResourceSpec[] = [
  ['nodes', 'Node', false],
  ['namespaces', 'Namespace', false],
  ['pods', 'Pod', true],
  ['services', 'Service', true],
];
const GROUP_RESOURCES: Record<string, ResourceSpec[]> = {
  apps: [['deployments', 'Deployment', true], ['statefulsets', 'StatefulSet', true]],
  autoscaling: [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]],
  'storage.k8s.io': [['storageclasses', 'StorageClass', false]],
  'metrics.k8s.io': [['pods', 'PodMetrics', true], ['nodes', 'NodeMetrics', false]],
  'networking.k8s.io': [],
  'apiextensions.k8s.io': [],
};
function resourceList(groupVersion: string, resources: ResourceSpec[]): Json {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.map(([name, kind, namespaced]) => ({ name, singularName: kind.toLowerCase(), namespaced, kind, verbs: ['get', 'list'] })),
  };
}

function status(code: number, message: string, reason: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
const REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'AlreadyExists', 500: 'InternalError', 503: 'ServiceUnavailable' };

export interface FakeApiServer {
  url: string;
  port: number;
  state: FakeClusterState;
  requests: RecordedRequest[];
  /** PEM of the self-signed certificate (the kubeconfig's certificate-authority-data) */
  caPem: string;
  /** Writes a kubeconfig (temp dir) for this server; returns its path. */
  writeKubeconfig(opts?: KubeconfigOptions): string;
  close(): Promise<void>;
}

export interface KubeconfigContext {
  name: string;
  namespace?: string;
  /** token the context's user sends; default: the server's token */
  token?: string;
  /** server URL; default: this fake server (give e.g. https://127.0.0.1:1 for an unreachable cluster) */
  server?: string;
}

export interface KubeconfigOptions {
  contexts?: KubeconfigContext[];
  current?: string;
  dir?: string;
}

export async function startFakeApiServer(initial: Partial<FakeClusterState> = {}): Promise<FakeApiServer> {
  const state: FakeClusterState = { ...emptyState(), ...initial };
  const requests: RecordedRequest[] = [];
  const tlsDir = mkdtempSync(join(tmpdir(), 'fake-apiserver-tls-'));
  const keyFile = join(tlsDir, 'key.pem');
  const certFile = join(tlsDir, 'cert.pem');
  // prettier-ignore
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=fake-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile], { timeoutMs: 20_000 });
  const caPem = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  const kubeconfigDirs: string[] = [tlsDir];

  const server: Server = createHttpsServer({ key, cert: caPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        handle(state, requests, req, res, body);
      } catch (e) {
        send(res, 500, status(500, `fake apiserver: ${(e as Error).message}`, 'InternalError'));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `https://127.0.0.1:${port}`;

  return {
    url,
    port,
    state,
    requests,
    caPem,
    writeKubeconfig(opts: KubeconfigOptions = {}) {
      const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'fake-kubeconfig-'));
      if (!opts.dir) kubeconfigDirs.push(dir);
      const contexts = opts.contexts ?? [{ name: 'fake', namespace: 'jitsi' }, { name: 'other', namespace: 'default' }];
      const doc = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: contexts.map((c) => ({
          name: `${c.name}-cluster`,
          cluster: { server: c.server ?? url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
        })),
        users: contexts.map((c) => ({ name: `${c.name}-user`, user: { token: c.token ?? state.token ?? 'none' } })),
        contexts: contexts.map((c) => ({ name: c.name, context: { cluster: `${c.name}-cluster`, user: `${c.name}-user`, namespace: c.namespace } })),
        'current-context': opts.current ?? contexts[0]?.name,
      };
      const file = join(dir, 'kubeconfig');
      writeFileSync(file, stringify(doc), { mode: 0o600 });
      return file;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          for (const d of kubeconfigDirs) rmSync(d, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

function send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function list(kind: string, apiVersion: string, items: Json[]): Json {
  return { kind, apiVersion, metadata: { resourceVersion: '1' }, items };
}

/** resourceVersions of the Leases this process's look-alike servers wrote */
let leaseVersion = 0;

function handle(state: FakeClusterState, requests: RecordedRequest[], req: IncomingMessage, res: ServerResponse, body: string): void {
  const u = new URL(req.url ?? '/', 'https://fake');
  const method = req.method ?? 'GET';
  const path = decodeURIComponent(u.pathname);
  const query = Object.fromEntries(u.searchParams.entries());
  requests.push({ method, path, query, body, authorization: req.headers.authorization });

  if (state.token !== undefined && req.headers.authorization !== `Bearer ${state.token}`) {
    return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
  }
  const fault = state.faults.find((f) => (f.method ?? method) === method && f.path.test(path) && (f.times === undefined || f.times > 0));
  if (fault) {
    if (fault.times !== undefined) fault.times--;
    if (fault.hang) return; // the socket stays open until the client gives up or close() ends it
    return send(res, fault.status, status(fault.status, fault.message ?? `fake fault on ${path}`, REASONS[fault.status] ?? 'Unknown'));
  }
  const notFound = (what: string, name: string) => send(res, 404, status(404, `${what} "${name}" not found`, 'NotFound'));
  const inNs = (items: Json[], ns: string) => items.filter((i) => i.metadata?.namespace === ns);
  const selected = (items: Json[]) => items.filter((i) => matchesLabelSelector(i.metadata?.labels, query.labelSelector) && matchesFieldSelector(i, query.fieldSelector));
  let m: RegExpMatchArray | null;

  if (method === 'GET' && path === '/version') return send(res, 200, state.version);
  if (method === 'GET' && path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] });
  if (method === 'GET' && path === '/apis') {
    const groups = [...BUILTIN_GROUPS, ...state.apiGroups.map((g): [string, string] => [g, KNOWN_GROUP_VERSIONS[g] ?? 'v1'])];
    return send(res, 200, {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map(([name, version]) => ({ name, versions: [{ groupVersion: `${name}/${version}`, version }], preferredVersion: { groupVersion: `${name}/${version}`, version } })),
    });
  }

  // resource discovery (kubectl needs it; our code uses /apis only)
  if (method === 'GET' && path === '/api/v1') return send(res, 200, resourceList('v1', CORE_RESOURCES));
  if ((m = path.match(/^\/apis\/([^/]+)\/([^/]+)$/)) && method === 'GET') {
    const resources = GROUP_RESOURCES[m[1]!];
    const served = BUILTIN_GROUPS.some(([g]) => g === m![1]) || state.apiGroups.includes(m[1]!);
    if (resources && served) return send(res, 200, resourceList(`${m[1]}/${m[2]}`, resources));
  }

  // access reviews: everything is allowed here (test/cluster-real/ checks denials against real RBAC)
  if (method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
    return send(res, 201, { ...(JSON.parse(body || '{}') as Json), status: { allowed: true } });
  }

  // nodes
  if (method === 'GET' && path === '/api/v1/nodes') return send(res, 200, list('NodeList', 'v1', selected(state.nodes)));
  if ((m = path.match(/^\/api\/v1\/nodes\/([^/]+)\/proxy\/stats\/summary$/)) && method === 'GET') {
    const node = m[1]!;
    if (!state.nodes.some((n) => n.metadata.name === node)) return notFound('nodes', node);
    return send(res, 200, kubeletSummary(state, node));
  }
  if ((m = path.match(/^\/api\/v1\/nodes\/([^/]+)$/)) && method === 'GET') {
    const n = state.nodes.find((x) => x.metadata.name === m![1]);
    return n ? send(res, 200, n) : notFound('nodes', m[1]!);
  }

  // namespaces
  if (path === '/api/v1/namespaces' && method === 'GET') {
    return send(res, 200, list('NamespaceList', 'v1', state.namespaces.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n }, status: { phase: 'Active' } }))));
  }
  if (path === '/api/v1/namespaces' && method === 'POST') {
    const name = (JSON.parse(body || '{}') as Json).metadata?.name as string | undefined;
    if (!name) return send(res, 422, status(422, 'metadata.name: Required value', 'Invalid'));
    if (state.namespaces.includes(name)) return send(res, 409, status(409, `namespaces "${name}" already exists`, 'AlreadyExists'));
    state.namespaces.push(name);
    return send(res, 201, { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });
  }
  if ((m = path.match(/^\/api\/v1\/namespaces\/([^/]+)$/)) && method === 'GET') {
    return state.namespaces.includes(m[1]!) ? send(res, 200, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: m[1] }, status: { phase: 'Active' } }) : notFound('namespaces', m[1]!);
  }

  // pod proxy: /api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/<path>
  if ((m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/(?:https?:)?([^/:]+)(?::(\d+))?\/proxy(\/.*)?$/))) {
    const [, ns, pod, port, rest = '/'] = m as unknown as [string, string, string, string | undefined, string | undefined];
    const p = state.pods.find((x) => x.metadata.name === pod && x.metadata.namespace === ns);
    if (!p) return notFound('pods', pod);
    const key = `${ns}/${pod}`;
    const refused = () => send(res, 503, status(503, `error trying to reach service: dial tcp ${p.status?.podIP ?? '10.244.0.1'}:${port ?? 80}: connect: connection refused`, 'ServiceUnavailable'));
    if (port !== '8080') return refused();
    if (rest.startsWith('/colibri/v2/')) {
      if (!state.colibri2) return send(res, 404, '404 page not found', 'text/plain');
      let parsed: unknown = body;
      try {
        parsed = body ? JSON.parse(body) : undefined;
      } catch {
        /* not JSON: pass the text */
      }
      const r = state.colibri2({ method, namespace: ns, pod, path: rest, body: parsed });
      return send(res, r.status ?? 200, r.body, r.contentType);
    }
    if (method === 'GET' && rest === '/colibri/stats') {
      const stats = state.colibriStats[key];
      return stats === undefined ? refused() : send(res, 200, stats);
    }
    if (method === 'GET' && rest === '/about/health') {
      const code = state.health[key] ?? (state.colibriStats[key] !== undefined ? 200 : undefined);
      return code === undefined ? refused() : send(res, code, code === 200 ? '' : 'unhealthy', 'text/plain');
    }
    return send(res, 404, '404 page not found', 'text/plain');
  }

  // pod logs
  if ((m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/)) && method === 'GET') {
    if (!state.pods.some((x) => x.metadata.name === m![2] && x.metadata.namespace === m![1])) return notFound('pods', m[2]!);
    return send(res, 200, state.podLogs[`${m[1]}/${m[2]}`] ?? '', 'text/plain');
  }

  // Leases: create (409 when there), get, update and delete with the resourceVersion the writer read (409 on a stale one)
  if ((m = path.match(/^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/))) {
    const ns = m[1]!;
    const name = m[2];
    const i = name ? state.leases.findIndex((x) => x.metadata.name === name && x.metadata.namespace === ns) : -1;
    const version = () => String(++leaseVersion);
    if (!name && method === 'POST') {
      const obj = JSON.parse(body || '{}') as Json;
      if (state.leases.some((x) => x.metadata.name === obj.metadata?.name && x.metadata.namespace === ns)) return send(res, 409, status(409, `leases "${obj.metadata?.name}" already exists`, 'AlreadyExists'));
      const stored = { ...obj, metadata: { ...obj.metadata, namespace: ns, resourceVersion: version() } };
      state.leases.push(stored);
      return send(res, 201, stored);
    }
    if (name && i < 0) return notFound('leases.coordination.k8s.io', name);
    if (name && method === 'GET') return send(res, 200, state.leases[i]);
    if (name && method === 'PUT') {
      const obj = JSON.parse(body || '{}') as Json;
      if (obj.metadata?.resourceVersion !== state.leases[i]!.metadata.resourceVersion) return send(res, 409, status(409, 'the object has been modified', 'Conflict'));
      state.leases[i] = { ...obj, metadata: { ...obj.metadata, namespace: ns, resourceVersion: version() } };
      return send(res, 200, state.leases[i]);
    }
    if (name && method === 'DELETE') {
      const want = (JSON.parse(body || '{}') as { preconditions?: { resourceVersion?: string } }).preconditions?.resourceVersion;
      if (want !== undefined && want !== state.leases[i]!.metadata.resourceVersion) return send(res, 409, status(409, 'precondition failed', 'Conflict'));
      const [gone] = state.leases.splice(i, 1);
      return send(res, 200, gone);
    }
  }

  // objects our code creates and deletes: configmaps (core) and batch/v1 jobs
  const created: Record<string, { items: () => Json[]; kind: string; apiVersion: string }> = {
    '/api/v1/configmaps': { items: () => state.configMaps, kind: 'ConfigMap', apiVersion: 'v1' },
    '/apis/batch/v1/jobs': { items: () => state.jobs, kind: 'Job', apiVersion: 'batch/v1' },
  };
  if ((m = path.match(/^(\/api\/v1|\/apis\/batch\/v1)\/namespaces\/([^/]+)\/(configmaps|jobs)(?:\/([^/]+))?$/))) {
    const r = created[`${m[1]}/${m[3]}`];
    if (r) {
      const ns = m[2]!;
      const name = m[4];
      const items = r.items();
      if (!name && method === 'POST') {
        const obj = JSON.parse(body || '{}') as Json;
        const objName = obj.metadata?.name as string | undefined;
        if (!objName) return send(res, 422, status(422, 'metadata.name: Required value', 'Invalid'));
        if (!state.namespaces.includes(ns)) return notFound('namespaces', ns);
        if (items.some((x) => x.metadata.name === objName && x.metadata.namespace === ns)) return send(res, 409, status(409, `${m[3]} "${objName}" already exists`, 'AlreadyExists'));
        const stored = { ...obj, metadata: { ...obj.metadata, namespace: ns, uid: `uid-${objName}` } };
        items.push(stored);
        if (m[3] === 'jobs') state.onJobCreated?.(stored);
        return send(res, 201, stored);
      }
      if (!name && method === 'GET') return send(res, 200, list(`${r.kind}List`, r.apiVersion, selected(inNs(items, ns))));
      if (name) {
        const i = items.findIndex((x) => x.metadata.name === name && x.metadata.namespace === ns);
        if (i < 0) return notFound(m[3]!, name);
        if (method === 'GET') return send(res, 200, items[i]);
        if (method === 'DELETE') {
          const [gone] = items.splice(i, 1);
          // propagationPolicy=Background: the Job's pods go with it
          if (m[3] === 'jobs') state.pods = state.pods.filter((p) => p.metadata.labels?.['job-name'] !== name || p.metadata.namespace !== ns);
          return send(res, 200, gone);
        }
      }
    }
  }

  // core namespaced lists
  const core: Record<string, { items: () => Json[]; kind: string }> = {
    pods: { items: () => state.pods, kind: 'PodList' },
    services: { items: () => state.services, kind: 'ServiceList' },
    secrets: { items: () => state.secrets, kind: 'SecretList' },
  };
  if ((m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/(pods|services|secrets)$/)) && method === 'GET') {
    const r = core[m[2]!]!;
    return send(res, 200, list(r.kind, 'v1', selected(inNs(r.items(), m[1]!))));
  }
  if ((m = path.match(/^\/api\/v1\/(pods|services)$/)) && method === 'GET') {
    const r = core[m[1]!]!;
    return send(res, 200, list(r.kind, 'v1', selected(r.items())));
  }
  if ((m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/(pods|services|secrets)\/([^/]+)$/))) {
    const items = m[2] === 'pods' ? state.pods : m[2] === 'secrets' ? state.secrets : state.services;
    const i = items.findIndex((x) => x.metadata.name === m![3] && x.metadata.namespace === m![1]);
    if (i < 0) return notFound(m[2]!, m[3]!);
    if (method === 'GET') return send(res, 200, items[i]);
    if (method === 'DELETE') {
      const [gone] = items.splice(i, 1);
      return send(res, 200, gone);
    }
  }

  // group resources
  const groups: Record<string, { items: () => Json[]; kind: string; apiVersion: string; requires?: string }> = {
    '/apis/apps/v1/deployments': { items: () => state.deployments, kind: 'DeploymentList', apiVersion: 'apps/v1' },
    '/apis/apps/v1/statefulsets': { items: () => state.statefulsets, kind: 'StatefulSetList', apiVersion: 'apps/v1' },
    '/apis/autoscaling/v2/horizontalpodautoscalers': { items: () => state.hpas, kind: 'HorizontalPodAutoscalerList', apiVersion: 'autoscaling/v2' },
    // metrics-server copies the pod's labels onto its PodMetrics (label selectors work on them)
    '/apis/metrics.k8s.io/v1beta1/pods': { items: () => state.podMetrics.map((m) => ({ ...m, metadata: { ...m.metadata, labels: m.metadata.labels ?? state.pods.find((p) => p.metadata.name === m.metadata.name && p.metadata.namespace === m.metadata.namespace)?.metadata.labels } })), kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', requires: 'metrics.k8s.io' },
  };
  if ((m = path.match(/^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)$/)) && method === 'GET') {
    const g = groups[`/apis/${m[1]}/${m[2]}/${m[4]}`];
    if (g && (!g.requires || state.apiGroups.includes(g.requires))) return send(res, 200, list(g.kind, g.apiVersion, selected(inNs(g.items(), m[3]!))));
  }
  if ((m = path.match(/^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/)) && method === 'GET') {
    const g = groups[`/apis/${m[1]}/${m[2]}/${m[4]}`];
    if (g && (!g.requires || state.apiGroups.includes(g.requires))) {
      const item = g.items().find((x) => x.metadata.name === m![5] && x.metadata.namespace === m![3]);
      return item ? send(res, 200, item) : notFound(m[4]!, m[5]!);
    }
  }
  if (path === '/apis/storage.k8s.io/v1/storageclasses' && method === 'GET') return send(res, 200, list('StorageClassList', 'storage.k8s.io/v1', selected(state.storageClasses)));
  if ((m = path.match(/^\/apis\/storage\.k8s\.io\/v1\/storageclasses\/([^/]+)$/)) && method === 'GET') {
    const sc = state.storageClasses.find((x) => x.metadata.name === m![1]);
    return sc ? send(res, 200, sc) : notFound('storageclasses.storage.k8s.io', m[1]!);
  }

  return send(res, 404, '404 page not found', 'text/plain');
}
