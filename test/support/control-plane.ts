/**
 * The real test control plane started by control-plane.setup.ts: kube-apiserver, controller-manager,
 * scheduler, etcd and kwok-simulated nodes. Real-cluster tests use `describe.skipIf(!cluster, why)`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain ESM script without types
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
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

/** A JVB Deployment as chart 3.4.0 labels it (one pod; kwok runs it), numbered by `jvb-index`. */
export function jvbDeployment(namespace: string, release: string, i: number) {
  const labels = {
    'app.kubernetes.io/name': 'jitsi-meet',
    'app.kubernetes.io/instance': release,
    'app.kubernetes.io/component': 'jvb',
    'jvb-index': String(i),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `${release}-jitsi-meet-jvb-${i}`, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'jitsi-meet', image: 'jitsi/jvb:stable', ports: [{ containerPort: 8080 }] }] } },
    },
  };
}
