/**
 * Preflight's one gather step: what the cluster offers (version, namespace, nodes, storage classes,
 * API groups, system pods, and the access reviews of what the config needs), every read allowed to
 * fail on its own. preflight.ts judges these facts.
 */
import type { Config } from '../config/schema.js';
import { parseCpuMilli, parseMemoryMiB } from '../config/sizing.js';
import { CommandError, InterruptedError } from '../errors.js';
import type { Kube, V1Node, V1Pod, V1StorageClass } from './kube.js';
import { requiredPermissions, type Permission } from './preflight-needs.js';

/** Where the Tailscale operator (and its proxies) run: render/index.ts TAILSCALE_CHART.namespace. */
const TAILSCALE_NAMESPACE = 'tailscale';

export interface NodeFact {
  name: string;
  cpuMilli: number;
  memoryMiB: number;
  ready: boolean;
  cordoned: boolean;
  /** taints that keep our pods off (NoSchedule / NoExecute) */
  blockingTaints: string[];
  runtime?: string;
  kubeletVersion?: string;
}

export interface StorageClassFact {
  name: string;
  provisioner: string;
  isDefault: boolean;
}

export interface PodFact {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  images: string[];
}

/** What preflight knows about the cluster; a read that failed leaves its field undefined and says why in `errors`. */
export interface PreflightFacts {
  context: string;
  /** the kubeconfig's current context */
  currentContext: string;
  server: string;
  version?: string;
  /** the API server did not answer at all: nothing else was read */
  unreachable?: { message: string; hint?: string };
  namespaceExists?: boolean;
  /** the release namespace's labels when it exists (Pod Security: pod-security.kubernetes.io/enforce) */
  namespaceLabels?: Record<string, string>;
  /** tailscale mode: the labels of the operator's namespace when it exists (its proxies need privileged) */
  tailscaleNamespaceLabels?: Record<string, string>;
  nodes?: NodeFact[];
  storageClasses?: StorageClassFact[];
  apiGroups?: string[];
  /** pods of kube-system (and calico-system), to recognise the CNI */
  systemPods?: PodFact[];
  /** the Prometheus operator's Prometheus objects (when its API group is served): which labels each selects monitors and rules by */
  prometheuses?: PrometheusFact[];
  /** what this config needs the credentials to be allowed, each with the API server's answer */
  permissions?: (Permission & { allowed: boolean })[];
  errors: Partial<
    Record<'namespace' | 'namespaceLabels' | 'nodes' | 'storageClasses' | 'apiGroups' | 'systemPods' | 'permissions' | 'prometheuses', { message: string; hint?: string }>
  >;
}

/** A label selector as the Prometheus operator has it; absent = selects nothing, {} = selects everything. */
export interface SelectorFact {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface PrometheusFact {
  namespace: string;
  name: string;
  serviceMonitorSelector?: SelectorFact;
  podMonitorSelector?: SelectorFact;
  ruleSelector?: SelectorFact;
}

/** The Prometheus operator's API group (ServiceMonitor, PodMonitor, PrometheusRule, Prometheus). */
export const MONITORING_API_GROUP = 'monitoring.coreos.com';

async function accessAllowed(kube: Kube, p: Permission): Promise<boolean> {
  const body = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb: p.verb, group: p.group, resource: p.resource, ...(p.subresource ? { subresource: p.subresource } : {}), ...(p.namespace ? { namespace: p.namespace } : {}) } },
  };
  const res = await kube.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body });
  if (res.status < 200 || res.status > 299) throw new CommandError(`asking the API server for access reviews: HTTP ${res.status}`);
  return (JSON.parse(res.body) as { status?: { allowed?: boolean } }).status?.allowed === true;
}

export function nodeFact(n: V1Node): NodeFact {
  const alloc = n.status?.allocatable ?? {};
  const safe = <T>(f: () => T, d: T) => {
    try {
      return f();
    } catch {
      return d;
    }
  };
  return {
    name: n.metadata?.name ?? '?',
    cpuMilli: safe(() => parseCpuMilli(alloc.cpu ?? '0'), 0),
    memoryMiB: safe(() => parseMemoryMiB(alloc.memory ?? '0'), 0),
    ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    cordoned: n.spec?.unschedulable === true,
    blockingTaints: (n.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute').map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`),
    runtime: n.status?.nodeInfo?.containerRuntimeVersion,
    kubeletVersion: n.status?.nodeInfo?.kubeletVersion,
  };
}

const storageClassFact = (s: V1StorageClass): StorageClassFact => ({
  name: s.metadata?.name ?? '?',
  provisioner: s.provisioner,
  isDefault: ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'].some((a) => s.metadata?.annotations?.[a] === 'true'),
});

const podFact = (p: V1Pod): PodFact => ({
  name: p.metadata?.name ?? '?',
  namespace: p.metadata?.namespace ?? '',
  labels: p.metadata?.labels ?? {},
  images: [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c) => c.image ?? ''),
});

export const schedulable = (n: NodeFact): boolean => n.ready && !n.cordoned && n.blockingTaints.length === 0;

async function prometheuses(kube: Kube): Promise<PrometheusFact[]> {
  const res = await kube.request('GET', `/apis/${MONITORING_API_GROUP}/v1/prometheuses`);
  if (res.status < 200 || res.status > 299) throw new CommandError(`listing Prometheus objects: HTTP ${res.status}`, 'the credentials may need `list prometheuses.monitoring.coreos.com` (cluster-wide)');
  const items = (JSON.parse(res.body) as { items?: { metadata?: { name?: string; namespace?: string }; spec?: Record<string, SelectorFact | undefined> }[] }).items ?? [];
  return items.map((p) => ({
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '?',
    serviceMonitorSelector: p.spec?.serviceMonitorSelector,
    podMonitorSelector: p.spec?.podMonitorSelector,
    ruleSelector: p.spec?.ruleSelector,
  }));
}

export async function gatherPreflightFacts(kube: Kube, config: Config): Promise<PreflightFacts> {
  const facts: PreflightFacts = { context: kube.context, currentContext: kube.currentContext, server: kube.server, errors: {} };
  try {
    facts.version = (await kube.version()).gitVersion;
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
    facts.unreachable = { message: (e as Error).message, hint: e instanceof CommandError ? e.hint : undefined };
    return facts;
  }
  const read = async <K extends keyof PreflightFacts['errors']>(key: K, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      if (e instanceof InterruptedError) throw e;
      facts.errors[key] = { message: (e as Error).message, hint: e instanceof CommandError ? e.hint : undefined };
    }
  };
  await Promise.all([
    read('namespace', async () => {
      facts.namespaceExists = await kube.namespaceExists(config.cluster.namespace);
    }),
    read('namespaceLabels', async () => {
      const labelsOf = async (ns: string) => {
        const res = await kube.request('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}`);
        if (res.status === 404) return undefined;
        if (res.status < 200 || res.status > 299) throw new CommandError(`reading namespace ${ns}: HTTP ${res.status}`);
        return (JSON.parse(res.body) as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
      };
      facts.namespaceLabels = await labelsOf(config.cluster.namespace);
      if (config.exposure.mode === 'tailscale') facts.tailscaleNamespaceLabels = await labelsOf(TAILSCALE_NAMESPACE);
    }),
    read('nodes', async () => {
      facts.nodes = (await kube.nodes()).map(nodeFact);
    }),
    read('storageClasses', async () => {
      facts.storageClasses = (await kube.storageClasses()).map(storageClassFact);
    }),
    read('apiGroups', async () => {
      facts.apiGroups = [...(await kube.apiGroups())].sort();
      if (facts.apiGroups.includes(MONITORING_API_GROUP)) {
        await read('prometheuses', async () => {
          facts.prometheuses = await prometheuses(kube);
        });
      }
    }),
    read('permissions', async () => {
      const namespaceExists = await kube.namespaceExists(config.cluster.namespace).catch(() => undefined);
      const wanted = requiredPermissions(config, namespaceExists);
      const answers = await Promise.all(wanted.map((w) => accessAllowed(kube, w)));
      facts.permissions = wanted.map((w, i) => ({ ...w, allowed: answers[i]! }));
    }),
    read('systemPods', async () => {
      // the Tigera operator runs Calico in calico-system; everything else lives in kube-system
      const lists = await Promise.all(['kube-system', 'calico-system'].map((ns) => kube.pods(ns)));
      facts.systemPods = lists.flat().map(podFact);
    }),
  ]);
  return facts;
}
