/**
 * Read-only cluster facts the wizard uses for defaults: kube contexts, node sizes, storage
 * classes, whether cert-manager is there. Never changes the cluster; an unreachable cluster yields
 * a reason, never a crash.
 * @kubernetes/client-node is loaded with `await import()` so light commands never pay for it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseCpuMilli, parseMemoryMiB } from '../config/sizing.js';
import { interruptSignal } from '../interrupt.js';

export interface KubeContexts {
  contexts: string[];
  current?: string;
  /** the kubeconfig files read */
  files: string[];
}

export interface NodeSize {
  cpu: number;
  memoryGiB: number;
  count: number;
}

export interface NodeFacts {
  total: number;
  /** Ready, not cordoned, no NoSchedule/NoExecute taint */
  schedulable: number;
  /** the most common allocatable size among schedulable nodes (ties: the larger) */
  common?: { cpu: number; memoryGiB: number };
  sizes: NodeSize[];
}

export interface StorageClassFact {
  name: string;
  provisioner: string;
  isDefault: boolean;
}

export interface ClusterFacts {
  context: string;
  nodes: NodeFacts;
  storageClasses: StorageClassFact[];
  /** set when storage classes could not be listed (e.g. RBAC) while nodes could */
  storageClassProblem?: string;
  /** cert-manager's API group is served (its CRDs are installed): what preflight asks of tls.mode letsencrypt; undefined when the API groups could not be read */
  certManager?: boolean;
  /** set when the API groups could not be read while nodes could */
  apiGroupsProblem?: string;
  /** the Prometheus operator's CRDs are installed: its Prometheus objects, each with the labels it selects ServiceMonitors by (undefined: selects by expressions) */
  prometheusOperator?: { prometheuses: { namespace: string; name: string; labels?: Record<string, string> }[] };
  /** KEDA's CRDs are installed (keda.sh is served) */
  keda?: boolean;
  /** a custom metrics API is served (custom.metrics.k8s.io, e.g. prometheus-adapter) */
  customMetrics?: boolean;
}

/** The API group cert-manager's CRDs (certificates, clusterissuers…) serve. */
export const CERT_MANAGER_API_GROUP = 'cert-manager.io';

export type FactsResult = { facts: ClusterFacts; reason?: undefined } | { facts?: undefined; reason: string };

export const DEFAULT_FACTS_TIMEOUT_MS = 5_000;
const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

/** The kubeconfig files kubectl would read: $KUBECONFIG (a path list) or ~/.kube/config. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(homedir(), '.kube', 'config')];
  return list.filter((f) => existsSync(f));
}

/** Contexts and the current context from the kubeconfig; undefined when there is no kubeconfig. */
export async function readKubeContexts(env: NodeJS.ProcessEnv = process.env): Promise<KubeContexts | undefined> {
  const files = kubeconfigFiles(env);
  if (files.length === 0) return undefined;
  const kc = await loadKubeConfig(files);
  if (!kc) return undefined;
  const current = kc.getCurrentContext();
  return { contexts: kc.getContexts().map((c) => c.name), current: current || undefined, files };
}

type KubeConfig = import('@kubernetes/client-node').KubeConfig;

async function loadKubeConfig(files: string[]): Promise<KubeConfig | undefined> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    if (files.length === 1) kc.loadFromFile(files[0]!);
    else kc.loadFromDefault(); // merges the $KUBECONFIG list like kubectl
  } catch {
    return undefined;
  }
  return kc;
}

interface NodeLike {
  spec?: { unschedulable?: boolean; taints?: { effect?: string }[] };
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string>; conditions?: { type?: string; status?: string }[] };
}

function schedulable(n: NodeLike): boolean {
  if (n.spec?.unschedulable) return false;
  if ((n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) return false;
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  return ready ? ready.status === 'True' : true;
}

/** Node sizes from capacity (else allocatable) CPU/memory — the config's nodes.* are node sizes; sizing takes 90 % as allocatable (CPU to 0.1 core, memory to 0.1 GiB, both rounded down). */
export function summariseNodes(nodes: NodeLike[]): NodeFacts {
  const usable = nodes.filter(schedulable);
  const bySize = new Map<string, NodeSize>();
  for (const n of usable) {
    const cpuQ = n.status?.capacity?.cpu ?? n.status?.allocatable?.cpu;
    const memQ = n.status?.capacity?.memory ?? n.status?.allocatable?.memory;
    if (!cpuQ || !memQ) continue;
    let cpu: number;
    let memoryGiB: number;
    try {
      cpu = Math.floor(parseCpuMilli(cpuQ) / 100) / 10;
      memoryGiB = Math.floor((parseMemoryMiB(memQ) / 1024) * 10) / 10;
    } catch {
      continue;
    }
    if (!(cpu > 0) || !(memoryGiB > 0)) continue;
    const key = `${cpu}/${memoryGiB}`;
    const s = bySize.get(key) ?? { cpu, memoryGiB, count: 0 };
    s.count += 1;
    bySize.set(key, s);
  }
  const sizes = [...bySize.values()].sort((a, b) => b.count - a.count || b.cpu - a.cpu || b.memoryGiB - a.memoryGiB);
  const top = sizes[0];
  return {
    total: nodes.length,
    schedulable: usable.length,
    common: top ? { cpu: top.cpu, memoryGiB: top.memoryGiB } : undefined,
    sizes,
  };
}

interface StorageClassLike {
  metadata?: { name?: string; annotations?: Record<string, string> };
  provisioner?: string;
}

export function summariseStorageClasses(items: StorageClassLike[]): StorageClassFact[] {
  return items
    .filter((s) => s.metadata?.name)
    .map((s) => ({
      name: s.metadata!.name!,
      provisioner: s.provisioner ?? '',
      isDefault: DEFAULT_CLASS_ANNOTATIONS.some((a) => s.metadata?.annotations?.[a] === 'true'),
    }))
    .sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name));
}

export interface ReadFactsOptions {
  /** kube context; absent = the kubeconfig's current context */
  context?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** stops the requests early (default: the process-wide Ctrl-C signal) */
  signal?: AbortSignal;
}

/** Nodes, storage classes and API groups through the API server. Never throws: failure is a reason. */
export async function readClusterFacts(opts: ReadFactsOptions = {}): Promise<FactsResult> {
  const files = kubeconfigFiles(opts.env);
  if (files.length === 0) return { reason: 'no kubeconfig (set KUBECONFIG or create ~/.kube/config)' };
  try {
    const k8s = await import('@kubernetes/client-node');
    const kc = await loadKubeConfig(files);
    if (!kc) return { reason: `cannot read kubeconfig ${files.join(delimiter)}` };
    if (opts.context) {
      if (!kc.getContexts().some((c) => c.name === opts.context)) return { reason: `context ${opts.context} is not in the kubeconfig` };
      kc.setCurrentContext(opts.context);
    }
    const context = kc.getCurrentContext();
    if (!context) return { reason: 'the kubeconfig has no current context' };
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_FACTS_TIMEOUT_MS);
    const cancel = opts.signal ?? interruptSignal();
    const signal = AbortSignal.any([timeout, cancel]);
    // every request carries the timeout: an unreachable API server must not hang the wizard
    const withTimeout = {
      middleware: [
        {
          pre: (ctx: import('@kubernetes/client-node').RequestContext) => {
            ctx.setSignal(signal);
            return new k8s.Observable(Promise.resolve(ctx));
          },
          post: (res: import('@kubernetes/client-node').ResponseContext) => new k8s.Observable(Promise.resolve(res)),
        },
      ],
      middlewareMergeStrategy: 'append' as const,
    };
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const storage = kc.makeApiClient(k8s.StorageV1Api);
    const apis = kc.makeApiClient(k8s.ApisApi);
    const [nodes, classes, groups] = await Promise.allSettled([
      core.listNode({}, withTimeout),
      storage.listStorageClass({}, withTimeout),
      apis.getAPIVersions({}, withTimeout),
    ]);
    if (nodes.status === 'rejected') return { reason: cancel.aborted ? 'interrupted' : describeFailure(nodes.reason, signal) };
    const served = (group: string) => (groups.status === 'fulfilled' ? groups.value.groups.some((g) => g.name === group) : undefined);
    let prometheusOperator: ClusterFacts['prometheusOperator'];
    if (served('monitoring.coreos.com')) {
      // the Prometheus objects' selectors: the labels the wizard offers for monitoring.labels
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const list = (await custom
        .listClusterCustomObject({ group: 'monitoring.coreos.com', version: 'v1', plural: 'prometheuses' }, withTimeout)
        .catch(() => ({ items: [] }))) as { items?: { metadata?: { name?: string; namespace?: string }; spec?: { serviceMonitorSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } } }[] };
      prometheusOperator = {
        prometheuses: (list.items ?? []).map((p) => {
          const sel = p.spec?.serviceMonitorSelector;
          return { namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '?', labels: sel && !(sel.matchExpressions ?? []).length ? (sel.matchLabels ?? {}) : undefined };
        }),
      };
    }
    return {
      facts: {
        context,
        nodes: summariseNodes(nodes.value.items as NodeLike[]),
        storageClasses: classes.status === 'fulfilled' ? summariseStorageClasses(classes.value.items as StorageClassLike[]) : [],
        storageClassProblem: classes.status === 'rejected' ? describeFailure(classes.reason, signal) : undefined,
        certManager: groups.status === 'fulfilled' ? groups.value.groups.some((g) => g.name === CERT_MANAGER_API_GROUP) : undefined,
        apiGroupsProblem: groups.status === 'rejected' ? describeFailure(groups.reason, signal) : undefined,
        prometheusOperator,
        keda: served('keda.sh'),
        customMetrics: served('custom.metrics.k8s.io'),
      },
    };
  } catch (e) {
    return { reason: (e as Error).message };
  }
}

function describeFailure(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'the API server did not answer in time';
  const e = err as { code?: number; message?: string };
  if (typeof e.code === 'number') return `the API server answered HTTP ${e.code}`;
  return (e.message ?? String(err)).split('\n')[0] ?? 'unknown error';
}
