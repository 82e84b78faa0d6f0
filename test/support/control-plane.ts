/**
 * The real test control plane started by control-plane.setup.ts: kube-apiserver, controller-manager,
 * scheduler, etcd and kwok-simulated nodes. Real-cluster tests use `describe.skipIf(!cluster, why)`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  type PodList = { items: { metadata: { name: string; labels?: Record<string, string> }; status: { podIP?: string; conditions?: { type: string; status: string }[] } }[] };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = kubectlJson<PodList>(['get', 'pods', '-n', namespace, '-l', selector]).items;
    const ready = items.filter((p) => p.status.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    if (items.length === count && ready.length === count) return ready.map((p) => ({ name: p.metadata.name, podIP: p.status.podIP!, labels: p.metadata.labels ?? {} }));
    if (Date.now() > deadline) throw new Error(`${count} Ready pods (${selector}) not there within ${timeoutMs / 1000} s: ${items.map((p) => p.metadata.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
