/**
 * The real test control plane started by control-plane.setup.ts: kube-apiserver, controller-manager,
 * scheduler, etcd and kwok-simulated nodes. Real-cluster tests use `describe.skipIf(!cluster, why)`.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { cliAsync, type CliResult } from './cli.js';
import { testChart } from './chart.js';
import { playCloud, removeVolumes, type Cloud, type CloudOptions } from './cloud.js';
import { helmBin, kubectlBin } from './tools.js';
import { addNode, checkPodRoute } from '../../scripts/cluster/cluster.mjs';
import { CONTROL_PLANE_DIR, CONTROL_PLANE_SKIP } from './control-plane-paths.js';

export interface ControlPlane {
  dir: string;
  kubeconfig: string;
  server: string;
  kubectl: string;
  version: string;
  /** pod IPs: routed into `netns`, where every address of the range is local */
  podCIDR: string;
  netns: string;
  hostIf: string;
  /** the nodes' InternalIP (host end of the veth), where kwok serves the kubelet API */
  nodeIP: string;
}

function load(): { cluster?: ControlPlane; why?: string } {
  const state = join(CONTROL_PLANE_DIR, 'state.json');
  if (existsSync(state)) return { cluster: JSON.parse(readFileSync(state, 'utf8')) as ControlPlane };
  if (existsSync(CONTROL_PLANE_SKIP)) return { why: readFileSync(CONTROL_PLANE_SKIP, 'utf8') };
  return { why: 'no control plane: run the tests through vitest (its global setup starts one)' };
}

const loaded = load();
export const cluster = loaded.cluster;
export const skipReason = loaded.why ?? '';
if (!cluster) console.warn(`real-cluster tests skipped: ${skipReason}`);

export function kubectl(args: string[], input?: string): string {
  if (!cluster) throw new Error(skipReason);
  return execFileSync(cluster.kubectl, ['--kubeconfig', cluster.kubeconfig, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function kubectlJson<T = unknown>(args: string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json'])) as T;
}

/** True once `kind/name` in the namespace is gone (the API server answers NotFound). */
export function isGone(namespace: string, kind: string, name: string): boolean {
  try {
    kubectl(['get', kind, '-n', namespace, name, '-o', 'name']);
    return false;
  } catch (e) {
    return /NotFound/.test(String((e as { stderr?: unknown }).stderr ?? e));
  }
}

/** What the wizard should count, read independently of it: Ready nodes neither cordoned nor tainted NoSchedule/NoExecute. */
export function schedulableNodeCount(): number {
  type Node = { spec: { unschedulable?: boolean; taints?: { effect: string }[] }; status: { conditions?: { type: string; status: string }[] } };
  return kubectlJson<{ items: Node[] }>(['get', 'nodes']).items.filter(
    (n) =>
      !n.spec.unschedulable &&
      !(n.spec.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
      n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

/** Adds a simulated node (kwok marks it Ready). */
export function addTestNode(node: { name: string; cpu?: string; memory?: string; labels?: Record<string, string>; taints?: unknown[] }): void {
  addNode(cluster, node);
}

/** Throws unless traffic to pod IPs stays inside the test's network namespace. */
export function assertPodRoute(): void {
  checkPodRoute(cluster);
}

export interface ReadyPod {
  name: string;
  podIP: string;
  labels: Record<string, string>;
}

/** Waits until `count` pods match `selector` in `namespace`, each Ready with a pod IP. */
export async function waitForReadyPods(namespace: string, selector: string, count: number, timeoutMs = 60_000): Promise<ReadyPod[]> {
  type PodList = {
    items: { metadata: { name: string; labels?: Record<string, string> }; status: { podIP?: string; conditions?: { type: string; status: string }[] } }[];
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = kubectlJson<PodList>(['get', 'pods', '-n', namespace, '-l', selector]).items;
    const ready = items.filter((p) => p.status.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    if (items.length === count && ready.length === count)
      return ready.map((p) => ({ name: p.metadata.name, podIP: p.status.podIP!, labels: p.metadata.labels ?? {} }));
    if (Date.now() > deadline)
      throw new Error(`${count} Ready pods (${selector}) not there within ${timeoutMs / 1000} s: ${items.map((p) => p.metadata.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The STAND-IN bridge (test/support/standin-bridge.mjs; Jitsi cannot run here) serving :8080 at every pod IP in the pod netns. */
export interface StandinBridge {
  stop(): Promise<void>;
  /** forgets every pod IP's drain and shutdown state: call once the pods answered so far are gone (a new pod may reuse an IP) */
  forget(): Promise<void>;
}

/** Starts the stand-in bridge inside the cluster's pod network namespace, after checking the pod route; `loadFile` sets per-pod answers. */
export async function startStandinBridge(loadFile?: string): Promise<StandinBridge> {
  if (!cluster) throw new Error('no control plane');
  assertPodRoute();
  const script = fileURLToPath(new URL('./standin-bridge.mjs', import.meta.url));
  const child = spawn('ip', ['netns', 'exec', cluster.netns, process.execPath, script, '8080', ...(loadFile ? [loadFile] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout, 'data');
  return {
    async forget() {
      const done = new Promise<void>((resolve) => {
        const seen = (d: Buffer) => d.toString().includes('forgot') && (child.stdout.off('data', seen), resolve());
        child.stdout.on('data', seen);
      });
      child.kill('SIGUSR2');
      await done;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

/** kubectl on the test cluster without blocking the event loop (a cloud loop or a stand-in may be serving in this process). */
export async function kubectlAsync(args: string[], input?: string): Promise<string> {
  if (!cluster) throw new Error(skipReason);
  return (await run(kubectlBin(), ['--kubeconfig', cluster.kubeconfig, ...args], { input, timeoutMs: 60_000 })).stdout;
}

/** helm on the test cluster, like kubectlAsync. */
export async function helmAsync(args: string[], input?: string): Promise<string> {
  if (!cluster) throw new Error(skipReason);
  return (await run(helmBin(), ['--kubeconfig', cluster.kubeconfig, ...args], { input, timeoutMs: 5 * 60_000 })).stdout;
}

/** The chart's selector of the bridge pods of `release`; each also carries the chart's `instance: "<i>"`. */
export const bridgeSelector = (release: string) => `app.kubernetes.io/instance=${release},app.kubernetes.io/component=jvb`;

/**
 * Installs `release` of the real chart (test/support/chart.ts) in `namespace` with `values` (default:
 * just a public URL) and `bridges` JVB Deployments, without waiting: kwok makes the pods Ready.
 */
export async function installRelease(
  namespace: string,
  release: string,
  bridges: number,
  values: Record<string, unknown> = { publicURL: 'http://meet.test.invalid' },
): Promise<void> {
  const all = { ...values, jvb: { ...(values.jvb as Record<string, unknown> | undefined), portRangeSize: bridges } };
  await helmAsync(['install', release, testChart(), '--namespace', namespace, '--values', '-'], stringify(all));
}

/**
 * A release of the real chart with `bridges` bridges in a new `namespace`, answered by the stand-in bridge
 * reading `loadFile` (reset to no load): the stand-in, the Ready bridge pods, and the pod of bridge `i`.
 */
export async function standinRelease(
  namespace: string,
  release: string,
  bridges: number,
  loadFile: string,
): Promise<{ bridge: StandinBridge; pods: ReadyPod[]; at: (i: number) => ReadyPod }> {
  writeFileSync(loadFile, '{}');
  const bridge = await startStandinBridge(loadFile);
  kubectl(['create', 'namespace', namespace]);
  await installRelease(namespace, release, bridges);
  const pods = await waitForReadyPods(namespace, bridgeSelector(release), bridges);
  // the chart labels each bridge pod with the index of its Deployment
  const at = (i: number) => pods.find((p) => p.labels.instance === String(i)) ?? assert.fail(`no bridge pod ${i} among ${pods.map((p) => p.name).join(', ')}`);
  return { bridge, pods, at };
}

/** A StorageClass without a provisioner (kwok has none): the claims of its class are bound by the cloud (cloud.ts). */
export const TEST_STORAGE_CLASS = 'test-local';

/** What a file that applies with the built bin and real helm shares: see realClusterWork(). */
export interface RealClusterWork {
  /** a temp folder for this file's configs */
  dir: string;
  /** makes this run's names unique */
  runId: string;
  /** the jitsi-meet chart apply installs (JITSI_K8S_CHART): the real one, from test/support/chart.ts */
  chart: string;
  /** a namespace of this run, deleted with its PVs at the end; with `cloud`, the test plays the cloud for it */
  space(name: string, cloud?: Omit<CloudOptions, 'kubeconfig' | 'namespace'>): string;
  /** the built bin with this cluster, the chart, helm and kubectl */
  jitsiK8s(args: string[], env?: Record<string, string>, timeoutMs?: number): Promise<CliResult>;
  /** what an older jitsi-k8s left in `namespace`: release jitsi of chart 3.4.0 owning the recording and transcript claims (1Gi of TEST_STORAGE_CLASS), no keep policy */
  olderInstall(namespace: string): Promise<void>;
  /** for beforeAll: the stand-in bridge (apply waits until the bridges answer; `loadFile`: its per-pod answers) and the TEST_STORAGE_CLASS */
  setUp(o?: { loadFile?: string }): Promise<void>;
  /** the stand-in of setUp() forgets its bridges' states (StandinBridge.forget) */
  forgetBridges(): Promise<void>;
  /** for afterAll: clouds and bridge stopped, namespaces and their PVs, the StorageClass and the temp folder removed */
  cleanUp(): Promise<void>;
}

export function realClusterWork(name: string): RealClusterWork {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const runId = Date.now().toString(36).slice(-5);
  const chart = testChart();
  const namespaces: string[] = [];
  const clouds: Cloud[] = [];
  let bridge: StandinBridge | undefined;
  return {
    dir,
    runId,
    chart,
    space(prefix, cloud) {
      const ns = `${prefix}-${runId}`;
      namespaces.push(ns);
      if (cloud && cluster) clouds.push(playCloud({ kubeconfig: cluster.kubeconfig, namespace: ns, ...cloud }));
      return ns;
    },
    jitsiK8s: (args, env = {}, timeoutMs = 8 * 60_000) =>
      cliAsync(args, {
        env: { KUBECONFIG: cluster?.kubeconfig, JITSI_K8S_CHART: chart, JITSI_K8S_HELM: helmBin(), JITSI_K8S_KUBECTL: kubectlBin(), ...env },
        timeoutMs,
      }),
    async olderInstall(namespace) {
      const claim = { enabled: true, size: '1Gi', storageClassName: TEST_STORAGE_CLASS };
      const values = {
        publicURL: 'http://meet.test.invalid',
        jibri: { enabled: true, persistence: claim },
        transcriber: { enabled: true, persistence: claim },
      };
      await helmAsync(['upgrade', '--install', 'jitsi', chart, '--namespace', namespace, '--create-namespace', '--values', '-'], stringify(values));
    },
    async setUp(o = {}) {
      if (!cluster) return;
      // the STAND-IN bridge (test/support/standin-bridge.mjs; Jitsi cannot run here) answers /colibri/stats for every pod IP
      bridge = await startStandinBridge(o.loadFile);
      const storageClass = {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: TEST_STORAGE_CLASS },
        provisioner: 'kubernetes.io/no-provisioner',
        volumeBindingMode: 'Immediate',
      };
      await kubectlAsync(['apply', '-f', '-'], stringify(storageClass));
    },
    async forgetBridges() {
      await bridge?.forget();
    },
    async cleanUp() {
      await Promise.all(clouds.map((c) => c.stop()));
      await bridge?.stop();
      if (cluster) {
        for (const ns of namespaces) {
          await kubectlAsync(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
          await removeVolumes(cluster.kubeconfig, ns);
        }
        await kubectlAsync(['delete', 'storageclass', TEST_STORAGE_CLASS, '--ignore-not-found']).catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A ServiceAccount of the test cluster that may only get, list and watch: a command run with its
 * token can read everything and change nothing (the request log a look-alike server would keep).
 */
export function readOnlyUser(name: string): { token: string; remove(): void } {
  const rbac = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'default' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: 'default' }],
    },
  ];
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }));
  // the premise of every "nothing changed" built on this user
  for (const verb of ['create', 'update', 'patch', 'delete']) {
    const args = ['--kubeconfig', cluster!.kubeconfig, 'auth', 'can-i', verb, '*', '--all-namespaces', '--as', `system:serviceaccount:default:${name}`];
    const answer = spawnSync(cluster!.kubectl, args, { encoding: 'utf8' }).stdout.trim();
    if (answer !== 'no') throw new Error(`the read-only user ${name} may ${verb}: ${answer}`);
  }
  const token = kubectl(['create', 'token', name, '--namespace', 'default', '--duration', '1h']).trim();
  return {
    token,
    remove() {
      kubectl(['delete', 'clusterrolebinding,clusterrole', name, '--ignore-not-found']);
      kubectl(['delete', 'serviceaccount', name, '--namespace', 'default', '--ignore-not-found']);
    },
  };
}

/** Writes a kubeconfig with the test cluster as context `context` (with `token`, else the admin's credentials), and `others` pointing elsewhere. */
export function writeKubeconfig(file: string, o: { context: string; token?: string; others?: { name: string; server: string }[]; current?: string }): string {
  const admin = JSON.parse(kubectl(['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: { cluster: Record<string, unknown> }[];
    users: { user: Record<string, unknown> }[];
  };
  const others = o.others ?? [];
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'test', cluster: admin.clusters[0]!.cluster },
        ...others.map((x) => ({ name: x.name, cluster: { server: x.server, 'insecure-skip-tls-verify': true } })),
      ],
      users: [
        { name: 'test', user: o.token ? { token: o.token } : admin.users[0]!.user },
        ...others.map((x) => ({ name: x.name, user: { token: 'nothing' } })),
      ],
      contexts: [
        { name: o.context, context: { cluster: 'test', user: 'test' } },
        ...others.map((x) => ({ name: x.name, context: { cluster: x.name, user: x.name } })),
      ],
      'current-context': o.current ?? o.context,
    }),
    { mode: 0o600 },
  );
  return file;
}

/** True once the API server's discovery lists (or no longer lists) the API group. */
async function waitForApiGroup(group: string, present: boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const groups = (JSON.parse(kubectl(['get', '--raw', '/apis'])) as { groups: { name: string }[] }).groups.map((g) => g.name);
    if (groups.includes(group) === present) return;
    if (Date.now() > deadline) throw new Error(`API group ${group} still ${present ? 'not served' : 'served'} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * cert-manager's Certificate CRD (its schema left open), as its chart installs it: the cert-manager.io
 * API group is then served, which is all the wizard and preflight look for. remove() waits until
 * the group is gone from discovery again.
 */
export async function installCertManagerCrd(): Promise<{ remove(): Promise<void> }> {
  const name = 'certificates.cert-manager.io';
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name },
      spec: {
        group: 'cert-manager.io',
        names: { kind: 'Certificate', plural: 'certificates', singular: 'certificate', listKind: 'CertificateList', shortNames: ['cert', 'certs'] },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    }),
  );
  kubectl(['wait', '--for=condition=Established', `crd/${name}`, '--timeout=60s']);
  await waitForApiGroup('cert-manager.io', true);
  return {
    async remove() {
      kubectl(['delete', 'crd', name, '--ignore-not-found', '--wait=true']);
      await waitForApiGroup('cert-manager.io', false);
    },
  };
}

/** Fails unless the API server serves no cert-manager.io group: the premise of a "no cert-manager" test. */
export async function expectNoCertManager(): Promise<void> {
  await waitForApiGroup('cert-manager.io', false, 1);
}
