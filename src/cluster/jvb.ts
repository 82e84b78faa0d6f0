/**
 * The bridges of a release: discover the JVB pods by the chart's labels, read `/colibri/stats`
 * through the API server's pod proxy (port 8080; no Service exposes it) and measure pod CPU in
 * cores — from the kubelet's Summary API through the node proxy (the kubelet's own rate over its
 * ~10 s housekeeping), or from the metrics API (metrics-server; a rate over its own window, ~15 s)
 * when the kubelet cannot be read.
 */
import type { BridgeSample, Phase } from '../records.js';
import { cpuCores, KubeApiError, memoryMiB, nodeProxyPath, podProxyPath, type Kube, type PodMetric, type V1Pod } from './kube.js';

/** The JVB's private HTTP port (colibri REST, /about/health, /metrics). */
export const JVB_HTTP_PORT = 8080;
/** The chart's main container name in every pod. */
export const MAIN_CONTAINER = 'jitsi-meet';

export const releaseSelector = (release: string): string => `app.kubernetes.io/name=jitsi-meet,app.kubernetes.io/instance=${release}`;
export const componentSelector = (release: string, component: string): string => `${releaseSelector(release)},app.kubernetes.io/component=${component}`;

export interface ReleaseRef {
  namespace: string;
  release: string;
}

export interface JvbPod {
  name: string;
  namespace: string;
  node?: string;
  phase?: string;
  ready: boolean;
  restarts: number;
  podIP?: string;
  /** JVB_ADVERTISE_IPS of the main container: a literal value, or the node/pod address it refers to */
  advertiseIPs?: string[];
  /** "ip:port" clients send media to: each advertised address with JVB_PORT, or its own "ip#port" */
  mediaAddresses?: string[];
  /** why a container waits (CrashLoopBackOff, ImagePullBackOff …) */
  waitingReason?: string;
}

export function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function podRestarts(pod: V1Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
}

export function podWaitingReason(pod: V1Pod): string | undefined {
  return (pod.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).find(Boolean);
}

export function toJvbPod(pod: V1Pod): JvbPod {
  const main = pod.spec?.containers.find((c) => c.name === MAIN_CONTAINER) ?? pod.spec?.containers[0];
  const env = main?.env?.find((e) => e.name === 'JVB_ADVERTISE_IPS');
  // useNodeIP makes the chart pass the node address through the downward API
  const field = env?.valueFrom?.fieldRef?.fieldPath;
  const advertise = env?.value ?? (field === 'status.hostIP' ? pod.status?.hostIP : field === 'status.podIP' ? pod.status?.podIP : undefined);
  const advertiseIPs = advertise ? advertise.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const port = main?.env?.find((e) => e.name === 'JVB_PORT')?.value;
  const mediaAddresses = advertiseIPs
    ?.map((a) => (a.includes('#') ? a.replace('#', ':') : port ? `${a}:${port}` : undefined))
    .filter((a): a is string => a !== undefined);
  return {
    name: pod.metadata?.name ?? '?',
    namespace: pod.metadata?.namespace ?? '',
    node: pod.spec?.nodeName,
    phase: pod.status?.phase,
    ready: podReady(pod),
    restarts: podRestarts(pod),
    podIP: pod.status?.podIP,
    advertiseIPs,
    ...(mediaAddresses?.length ? { mediaAddresses } : {}),
    waitingReason: podWaitingReason(pod),
  };
}

/** JVB pods of a release, sorted by name (terminating pods left out). */
export async function discoverJvbPods(kube: Kube, ref: ReleaseRef): Promise<JvbPod[]> {
  const pods = await kube.pods(ref.namespace, componentSelector(ref.release, 'jvb'));
  return pods
    .filter((p) => !p.metadata?.deletionTimestamp)
    .map(toJvbPod)
    .sort((a, b) => a.name.localeCompare(b.name));
}

// ---------- /colibri/stats ----------

/**
 * The fields of `/colibri/stats` we read, by the names a current Jitsi Videobridge publishes (facts
 * from jitsi-videobridge master @89dde6e, 2026: VideobridgeStatisticsShim.kt builds the JSON, names
 * from jitsi-xmpp-extensions ColibriStatsExtension; some older 2.3 builds leave out stress_level and
 * conferences). A field missing from an answer stays absent — never 0 — and is reported by name.
 */
export const COLIBRI_FIELDS = [
  'stress_level',
  'conferences',
  'participants',
  'incoming_loss',
  'outgoing_loss',
  'bit_rate_download',
  'bit_rate_upload',
  'packet_rate_download',
  'packet_rate_upload',
  'rtt_aggregate',
] as const;
export type ColibriField = (typeof COLIBRI_FIELDS)[number];
export type ColibriStats = Partial<Record<ColibriField, number>>;

/** The numeric fields we read, and the ones the answer lacks (absent or not a number). */
export function parseColibriAnswer(body: unknown): { stats: ColibriStats; missing: ColibriField[] } {
  const stats: ColibriStats = {};
  const missing: ColibriField[] = [];
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  for (const f of COLIBRI_FIELDS) {
    const v = record[f];
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (Number.isFinite(n)) stats[f] = n;
    else missing.push(f);
  }
  return { stats, missing };
}

/** Keeps the numeric fields we know; anything else (or a non-object) is ignored. */
export function parseColibriStats(body: unknown): ColibriStats {
  return parseColibriAnswer(body).stats;
}

async function colibriBody(kube: Kube, namespace: string, pod: string, opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<unknown> {
  return kube.getJson<unknown>(podProxyPath(namespace, pod, JVB_HTTP_PORT, 'colibri/stats'), {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 5_000,
    notFoundHint: `pod ${pod} is gone, or its colibri REST API is off (the chart sets COLIBRI_REST_ENABLED=true)`,
  });
}

export async function readColibriStats(kube: Kube, namespace: string, pod: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ColibriStats> {
  return parseColibriStats(await colibriBody(kube, namespace, pod, opts));
}

/** The bridge figures we report, from /colibri/stats: fractions become percent. */
export function colibriFigures(s: ColibriStats | undefined) {
  const pct = (f: number | undefined) => (f === undefined ? undefined : Math.round(f * 100_000) / 1000);
  return {
    stress: s?.stress_level,
    conferences: s?.conferences,
    participants: s?.participants,
    incomingLossPct: pct(s?.incoming_loss),
    outgoingLossPct: pct(s?.outgoing_loss),
    bitrateDownKbps: s?.bit_rate_download,
    bitrateUpKbps: s?.bit_rate_upload,
  };
}

export type ColibriFigures = ReturnType<typeof colibriFigures>;

// ---------- kubelet summary ----------

/**
 * The fields we read of the kubelet's Summary API (stats/v1alpha1), served through the API server
 * at `/api/v1/nodes/<node>/proxy/stats/summary`: per container, CPU in nano-cores (the kubelet's
 * own rate over its housekeeping interval, ~10 s) and the working-set memory.
 */
export interface KubeletSummary {
  node: { nodeName: string };
  pods?: KubeletPodStats[];
}

export interface KubeletPodStats {
  podRef: { name: string; namespace: string; uid?: string };
  containers?: KubeletContainerStats[];
}

export interface KubeletContainerStats {
  name: string;
  cpu?: { time: string; usageNanoCores?: number; usageCoreNanoSeconds?: number };
  memory?: { time: string; workingSetBytes?: number };
}

export interface ContainerUsage {
  cpuCores?: number;
  memoryBytes?: number;
}

/** CPU and memory of one container name per "namespace/pod" in a node's summary. */
export function containerUsage(summary: KubeletSummary, container = MAIN_CONTAINER): Map<string, ContainerUsage> {
  const out = new Map<string, ContainerUsage>();
  for (const pod of summary.pods ?? []) {
    const c = pod.containers?.find((x) => x.name === container);
    if (!c) continue;
    const nanoCores = c.cpu?.usageNanoCores;
    out.set(`${pod.podRef.namespace}/${pod.podRef.name}`, {
      ...(nanoCores !== undefined ? { cpuCores: nanoCores / 1e9 } : {}),
      ...(c.memory?.workingSetBytes !== undefined ? { memoryBytes: c.memory.workingSetBytes } : {}),
    });
  }
  return out;
}

/** The main container's usage in every pod on `nodes`, one summary request per node. */
export async function readContainerUsage(kube: Kube, nodes: string[], opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Map<string, ContainerUsage>> {
  const all = new Map<string, ContainerUsage>();
  const summaries = await Promise.all(
    nodes.map((node) =>
      kube.getJson<KubeletSummary>(nodeProxyPath(node, 'stats/summary?only_cpu_and_memory=true'), {
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? 5_000,
        notFoundHint: `node ${node} is gone, or its kubelet does not serve the Summary API`,
      }),
    ),
  );
  for (const s of summaries) for (const [k, v] of containerUsage(s)) all.set(k, v);
  return all;
}

// ---------- the bench sampler ----------

/** Same shape as BridgeSampler in src/bench/bridges.ts (kept structural so cluster/ does not depend on the runner). */
export interface BridgeSampler {
  sample(ctx: { step: number; bridges: number; phase: Phase }, signal: AbortSignal): Promise<BridgeSample[]>;
}

export type CpuSource = 'kubelet' | 'metrics-api';

export interface JvbSamplerOptions extends ReleaseRef {
  /** where CPU comes from; 'auto' (default) = the kubelet summary, else the metrics API when the kubelet cannot be read */
  cpuSource?: CpuSource | 'auto';
  /** per-request timeout; default 5 s */
  timeoutMs?: number;
  /** told once about each problem (e.g. nodes/proxy forbidden → metrics API) */
  onNotice?: (message: string) => void;
}

export interface JvbSampler extends BridgeSampler {
  /** where the CPU figures came from in the last sample, and at what resolution */
  cpuSourceInfo(): { source: CpuSource | 'none'; resolution: string } ;
}

export function createJvbSampler(kube: Kube, opts: JvbSamplerOptions): JvbSampler {
  const wanted = opts.cpuSource ?? 'auto';
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const noticed = new Set<string>();
  let kubeletUsable = wanted !== 'metrics-api';
  let lastSource: CpuSource | 'none' = 'none';
  let lastWindow = '';
  const notice = (m: string, key = m) => {
    if (noticed.has(key)) return;
    noticed.add(key);
    opts.onNotice?.(m);
  };

  return {
    cpuSourceInfo: () => ({
      source: lastSource,
      resolution:
        lastSource === 'kubelet'
          ? "the kubelet's own rate over its housekeeping interval (~10 s), read from its Summary API"
          : lastSource === 'metrics-api'
            ? `metrics-server average over its window (${lastWindow || '~15s'})`
            : 'no CPU source',
    }),

    async sample(ctx, signal) {
      const pods = await discoverJvbPods(kube, opts);
      const t = Date.now();
      const stats = await Promise.all(
        pods.map((p) =>
          colibriBody(kube, p.namespace, p.name, { signal, timeoutMs }).then(
            (body) => {
              const { stats: found, missing } = parseColibriAnswer(body);
              // once per field name for the whole run: the bridge version decides, not the sample
              for (const f of missing) notice(`/colibri/stats has no "${f}" (first seen on ${p.name}): that bridge figure stays empty`, `missing:${f}`);
              return found;
            },
            (e: unknown) => {
              if (signal.aborted) throw e;
              return undefined; // a bridge that does not answer yet: the record keeps its CPU, stats stay absent
            },
          ),
        ),
      );

      let usage: Map<string, ContainerUsage> | undefined;
      if (kubeletUsable) {
        const nodes = [...new Set(pods.map((p) => p.node).filter((n): n is string => Boolean(n)))];
        try {
          usage = await readContainerUsage(kube, nodes, { signal, timeoutMs });
        } catch (e) {
          if (signal.aborted) throw e;
          if (wanted === 'kubelet') throw e;
          kubeletUsable = !(e instanceof KubeApiError && (e.status === 403 || e.status === 404));
          notice(`cannot read the kubelet Summary API (${(e as Error).message}); using the metrics API for bridge CPU`);
        }
      }
      let metrics: Map<string, PodMetric> | undefined;
      if (!usage) {
        const list = await kube.podMetrics(opts.namespace, componentSelector(opts.release, 'jvb')).catch((e: unknown) => {
          if (signal.aborted) throw e;
          return undefined;
        });
        if (list) metrics = new Map(list.map((m) => [m.metadata.name, m]));
        else notice('no CPU source for the bridges: the kubelet Summary API cannot be read and the metrics API (metrics-server) is not installed');
      }
      lastSource = usage ? 'kubelet' : metrics ? 'metrics-api' : 'none';

      return pods.map((p, i): BridgeSample => {
        const s = stats[i];
        const u = usage?.get(`${p.namespace}/${p.name}`);
        const pm = metrics?.get(p.name)?.containers.find((c) => c.name === MAIN_CONTAINER);
        if (metrics) lastWindow = metrics.get(p.name)?.window ?? lastWindow;
        const sample: BridgeSample = {
          kind: 'bridge',
          t,
          step: ctx.step,
          bridges: ctx.bridges,
          phase: ctx.phase,
          bridge: p.name,
          node: p.node,
          ...(p.mediaAddresses ? { addresses: p.mediaAddresses } : {}),
          cpuCores: usage ? u?.cpuCores : cpuCores(pm?.usage.cpu),
          cpuSource: u?.cpuCores !== undefined ? 'kubelet' : pm ? 'metrics-api' : undefined,
          memoryMiB: usage ? (u?.memoryBytes !== undefined ? u.memoryBytes / 1024 ** 2 : undefined) : memoryMiB(pm?.usage.memory),
          ...colibriFigures(s),
          packetRateDown: s?.packet_rate_download,
          packetRateUp: s?.packet_rate_upload,
          rttMs: s?.rtt_aggregate,
        };
        // drop absent fields so samples.jsonl stays small and honest
        for (const k of Object.keys(sample) as (keyof BridgeSample)[]) if (sample[k] === undefined) delete sample[k];
        return sample;
      });
    },
  };
}
