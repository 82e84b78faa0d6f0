/**
 * One Status object for `jitsi-k8s status`: the release and chart version, each component's
 * replicas and restarts, every bridge's load (from /colibri/stats through the pod proxy, CPU and
 * memory from the metrics API when present, else from the kubelet Summary API) and the JVB autoscalers. `--json` prints it as is;
 * formatStatus is the human view.
 */
import { CommandError } from '../errors.js';
import { shareOfCapacity, type CapacityBasis } from '../config/capacity-profile.js';
import { readColibriAnswer, type BridgeLoadState, type BridgeState } from './drain.js';
import {
  colibriFigures,
  type ContainerUsage,
  discoverJvbPods,
  type ColibriFigures,
  MAIN_CONTAINER,
  readContainerUsage,
  releaseSelector,
  type ColibriStats,
} from './jvb.js';
import { cpuCores, memoryMiB, type Kube, type PodMetric, type V2HorizontalPodAutoscaler } from './kube.js';
import { readWorkloads, type PodState, type WorkloadState } from './wait.js';
import { describeLeftovers, detectLeftovers } from './leftovers.js';

export interface ComponentStatus {
  component: string;
  /** the Deployments / StatefulSets behind it (JVB has one per port index) */
  workloads: string[];
  desired: number;
  ready: number;
  restarts: number;
  /** pods that are not Ready, with why */
  notReady: PodState[];
}

/** One bridge: the pod, what /colibri/stats says (colibriFigures) and what it costs. */
export interface BridgeStatus extends ColibriFigures {
  pod: string;
  node?: string;
  ready: boolean;
  restarts: number;
  /** what the bridge tells clients to connect to (JVB_ADVERTISE_IPS) */
  advertisedAddress?: string;
  cpuCores?: number;
  memoryMiB?: number;
  /** running, draining (no new conferences), graceful-shutdown (leaving once empty), shutting-down (about to exit) */
  state?: BridgeState;
  /** the bridge's own participants: participants − octo_endpoints */
  localParticipants?: number;
  /** why /colibri/stats gave nothing */
  statsError?: string;
}

export interface AutoscalerStatus {
  name: string;
  target: string;
  min: number;
  max: number;
  current: number;
  desired: number;
  cpuTargetPercent?: number;
  cpuCurrentPercent?: number;
  /** who moves the replicas: an HPA of ours, or the HPA KEDA keeps for a ScaledObject */
  engine: 'hpa' | 'keda';
  /** what it acts on: cpu, a pod metric (jitsi_jvb_stress…) or KEDA's external metric (s0-prometheus) */
  metric: string;
  /** the metric now and its target as the HPA reports them ("450m", "600m" per bridge; CPU in percent) */
  metricCurrent?: string;
  metricTarget?: string;
}

export interface Status {
  context: string;
  namespace: string;
  release: string;
  /** the helm.sh/chart label, e.g. "jitsi-meet-3.4.0" */
  chart?: string;
  chartVersion?: string;
  components: ComponentStatus[];
  bridges: BridgeStatus[];
  autoscalers: AutoscalerStatus[];
  /** the metrics API (metrics-server) answered: bridge CPU/memory come from it */
  metricsApi: boolean;
  /** where bridge CPU/memory come from: the metrics API, else the kubelet Summary API, else nowhere */
  cpuSource: 'metrics-api' | 'kubelet' | 'none';
  /** ISO time the status was read */
  takenAt: string;
  /** participants now against the capacity (measured profile, else the estimate): "62 % of measured capacity" */
  capacity?: StatusCapacity;
  /** what a killed run left (a pending release, drained bridges, another bridge count than the config's, bench objects, its lease), each with what the next run does */
  leftovers: { what: string; action: string }[];
}

export interface StatusCapacity {
  participants: number;
  bridges: number;
  perBridge: number;
  percent: number;
  kind: 'profile' | 'estimate';
  /** "62 % of measured capacity (310 of 500: 5 bridges × 100)" */
  text: string;
  source: string;
  mismatches: string[];
  measure?: string;
}

/** Participants on the ready bridges now against what `basis` says a bridge carries. */
export function statusCapacity(bridges: BridgeStatus[], basis: CapacityBasis): StatusCapacity {
  const ready = bridges.filter((b) => b.ready);
  const participants = ready.reduce((n, b) => n + (b.localParticipants ?? b.participants ?? 0), 0);
  const share = shareOfCapacity(participants, ready.length, basis);
  return {
    participants,
    bridges: ready.length,
    perBridge: basis.perBridge,
    percent: share.percent,
    kind: basis.kind,
    text: share.text,
    source: basis.source,
    mismatches: basis.mismatches,
    ...(basis.measure ? { measure: basis.measure } : {}),
  };
}

/** Chart components in the order people think of them. */
const ORDER = ['web', 'prosody', 'jicofo', 'jvb', 'jibri', 'jigasi', 'transcriber', 'coturn'];

function components(workloads: WorkloadState[]): ComponentStatus[] {
  const by = new Map<string, ComponentStatus>();
  for (const w of workloads) {
    const key = w.component ?? w.name;
    const c = by.get(key) ?? { component: key, workloads: [], desired: 0, ready: 0, restarts: 0, notReady: [] };
    c.workloads.push(w.name);
    c.desired += w.desired;
    c.ready += w.ready;
    c.restarts += w.restarts;
    c.notReady.push(...w.pods.filter((p) => !p.ready));
    by.set(key, c);
  }
  const rank = (c: string) => (ORDER.includes(c) ? ORDER.indexOf(c) : ORDER.length);
  return [...by.values()].sort((a, b) => rank(a.component) - rank(b.component) || a.component.localeCompare(b.component));
}

function autoscaler(h: V2HorizontalPodAutoscaler): AutoscalerStatus {
  const cpuSpec = h.spec?.metrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const cpuNow = h.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  return {
    name: h.metadata?.name ?? '?',
    target: h.spec?.scaleTargetRef.name ?? '?',
    min: h.spec?.minReplicas ?? 1,
    max: h.spec?.maxReplicas ?? 1,
    current: h.status?.currentReplicas ?? 0,
    desired: h.status?.desiredReplicas ?? 0,
    cpuTargetPercent: cpuSpec?.resource?.target.averageUtilization,
    cpuCurrentPercent: cpuNow?.resource?.current.averageUtilization,
    ...metricOf(h),
  };
}

/** The first metric an HPA acts on, whatever its type, with its current value and target. */
function metricOf(h: V2HorizontalPodAutoscaler): Pick<AutoscalerStatus, 'engine' | 'metric' | 'metricCurrent' | 'metricTarget'> {
  const engine = h.metadata?.labels?.['scaledobject.keda.sh/name'] ? 'keda' : 'hpa';
  const spec = h.spec?.metrics?.[0];
  const now = h.status?.currentMetrics?.find((m) => m.type === spec?.type);
  const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  if (!spec) return { engine, metric: '?' };
  if (spec.type === 'Resource') {
    return {
      engine,
      metric: spec.resource?.name ?? '?',
      metricCurrent: text(now?.resource?.current.averageUtilization),
      metricTarget: text(spec.resource?.target.averageUtilization),
    };
  }
  if (spec.type === 'Pods') {
    return {
      engine,
      metric: spec.pods?.metric.name ?? '?',
      metricCurrent: text(now?.pods?.current.averageValue),
      metricTarget: text(spec.pods?.target.averageValue),
    };
  }
  if (spec.type === 'External') {
    return {
      engine,
      metric: spec.external?.metric.name ?? '?',
      metricCurrent: text(now?.external?.current.averageValue ?? now?.external?.current.value),
      metricTarget: text(spec.external?.target.averageValue ?? spec.external?.target.value),
    };
  }
  return { engine, metric: spec.type };
}

export interface StatusInput {
  namespace: string;
  release: string;
  signal?: AbortSignal;
  /** the bridges the config asks for (autoscaling off), to compare with what runs */
  bridges?: number;
}

export async function readStatus(kube: Kube, input: StatusInput): Promise<Status> {
  const { namespace, release } = input;
  const ref = { namespace, release };
  const [workloads, jvbPods, hpas, metrics, leftovers] = await Promise.all([
    readWorkloads(kube, namespace, releaseSelector(release)),
    discoverJvbPods(kube, ref),
    kube.hpas(namespace).catch(() => [] as V2HorizontalPodAutoscaler[]),
    kube.podMetrics(namespace, `app.kubernetes.io/instance=${release}`).catch(() => undefined as PodMetric[] | undefined),
    detectLeftovers(kube, { namespace, release, bridges: input.bridges }),
  ]);
  if (workloads.length === 0 && leftovers.pending.length === 0) {
    throw new CommandError(
      `no Jitsi release "${release}" in namespace ${namespace} (context ${kube.context})`,
      'check --namespace / --release / --context, or install it with `jitsi-k8s init`',
    );
  }
  const nodes = [...new Set(jvbPods.map((p) => p.node).filter((n): n is string => Boolean(n)))];
  const [stats, kubelet] = await Promise.all([
    Promise.all(
      jvbPods.map((p) =>
        readColibriAnswer(kube, p.namespace, p.name, { signal: input.signal }).then(
          (a): { stats?: ColibriStats; load?: BridgeLoadState; error?: string } => a,
          (e: unknown): { stats?: ColibriStats; load?: BridgeLoadState; error?: string } => ({ error: (e as Error).message }),
        ),
      ),
    ),
    // without the metrics API, the kubelets of the bridges' nodes
    metrics || nodes.length === 0
      ? undefined
      : readContainerUsage(kube, nodes, { signal: input.signal }).catch(() => undefined as Map<string, ContainerUsage> | undefined),
  ]);
  const usage = new Map((metrics ?? []).map((m) => [m.metadata.name, m.containers.find((c) => c.name === MAIN_CONTAINER) ?? m.containers[0]]));
  const chart = workloads.map((w) => w.chart).find(Boolean);
  const names = new Set(workloads.map((w) => w.name));

  return {
    context: kube.context,
    namespace,
    release,
    chart,
    chartVersion: chart?.match(/-(\d+\.\d+\.\d+(?:[-+][\w.]+)?)$/)?.[1],
    components: components(workloads),
    bridges: jvbPods.map((p, i): BridgeStatus => {
      const s = stats[i]?.stats;
      const u = usage.get(p.name);
      const k = kubelet?.get(`${p.namespace}/${p.name}`);
      return {
        pod: p.name,
        node: p.node,
        ready: p.ready,
        restarts: p.restarts,
        advertisedAddress: p.advertiseIPs?.join(','),
        ...colibriFigures(s),
        cpuCores: u ? cpuCores(u.usage.cpu) : k?.cpuCores,
        memoryMiB: u ? Math.round(memoryMiB(u.usage.memory) ?? 0) : k?.memoryBytes !== undefined ? Math.round(k.memoryBytes / 1024 ** 2) : undefined,
        state: stats[i]?.load?.state,
        localParticipants: stats[i]?.load?.participants,
        statsError: stats[i]?.error,
      };
    }),
    autoscalers: hpas.filter((h) => names.has(h.spec?.scaleTargetRef.name ?? '')).map(autoscaler),
    metricsApi: metrics !== undefined,
    cpuSource: metrics ? 'metrics-api' : kubelet ? 'kubelet' : 'none',
    takenAt: new Date().toISOString(),
    leftovers: describeLeftovers(leftovers),
  };
}
