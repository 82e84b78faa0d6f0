/**
 * The bridges of a release: discover the JVB pods by the chart's labels, read `/colibri/stats`
 * through the API server's pod proxy (port 8080; no Service exposes it) and measure pod CPU in
 * cores — from the kubelet's cAdvisor counters through the node proxy (rate between two scrapes,
 * resolution = the sample interval, bounded below by the kubelet's ~10 s housekeeping), or from
 * the metrics API (metrics-server; a rate over its own window, ~15 s) when cAdvisor cannot be read.
 */
import type { BridgeSample, Phase } from '../records.js';
import { cpuCores, KubeApiError, memoryMiB, nodeProxyPath, podProxyPath, type Kube, type PodMetrics, type V1Pod } from './kube.js';

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

// ---------- cAdvisor ----------

export interface CadvisorReading {
  /** cumulative CPU seconds of the container */
  cpuSeconds?: number;
  /** when the kubelet took the reading (ms since the epoch), when the line says so */
  cpuTimestampMs?: number;
  memoryBytes?: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}\s+(\S+)(?:\s+(\d+))?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Readings of one container name per "namespace/pod" from the kubelet's `/metrics/cadvisor` text
 * (`container_cpu_usage_seconds_total`, `container_memory_working_set_bytes`). The pod cgroup
 * (container="") and the pause container ("POD") are skipped.
 */
export function parseCadvisor(text: string, container = MAIN_CONTAINER): Map<string, CadvisorReading> {
  const out = new Map<string, CadvisorReading>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith('container_')) continue;
    const m = SAMPLE_LINE.exec(line);
    if (!m) continue;
    const [, name, labelText = '', value, ts] = m;
    if (name !== 'container_cpu_usage_seconds_total' && name !== 'container_memory_working_set_bytes') continue;
    const labels: Record<string, string> = {};
    for (const l of labelText.matchAll(LABEL)) labels[l[1]!] = l[2]!;
    if ((labels.container ?? labels.container_name) !== container) continue;
    const pod = labels.pod ?? labels.pod_name;
    const ns = labels.namespace;
    if (!pod || !ns) continue;
    const key = `${ns}/${pod}`;
    const r = out.get(key) ?? {};
    const v = Number(value);
    if (!Number.isFinite(v)) continue;
    if (name === 'container_cpu_usage_seconds_total') {
      // several cpu="…" series add up (older kubelets report per-CPU lines)
      r.cpuSeconds = (r.cpuSeconds ?? 0) + v;
      if (ts) r.cpuTimestampMs = Number(ts);
    } else {
      r.memoryBytes = v;
    }
    out.set(key, r);
  }
  return out;
}

/** Cores used between two readings of a cumulative CPU counter; undefined when it cannot be told (restart, no time passed). */
export function cpuRate(prev: { seconds: number; atMs: number } | undefined, cur: { seconds: number; atMs: number }): number | undefined {
  if (!prev) return undefined;
  const dt = (cur.atMs - prev.atMs) / 1000;
  const dcpu = cur.seconds - prev.seconds;
  if (dt <= 0 || dcpu < 0) return undefined; // same kubelet reading, or the container restarted
  return dcpu / dt;
}

// ---------- the bench sampler ----------

/** Same shape as BridgeSampler in src/bench/bridges.ts (kept structural so cluster/ does not depend on the runner). */
export interface BridgeSampler {
  sample(ctx: { step: number; bridges: number; phase: Phase }, signal: AbortSignal): Promise<BridgeSample[]>;
}

export type CpuSource = 'cadvisor' | 'metrics-api';

export interface JvbSamplerOptions extends ReleaseRef {
  /** where CPU comes from; 'auto' (default) = cAdvisor, else the metrics API when cAdvisor cannot be read */
  cpuSource?: CpuSource | 'auto';
  /** per-request timeout; default 5 s */
  timeoutMs?: number;
  /** told once about each problem (e.g. cAdvisor forbidden → metrics API) */
  onNotice?: (message: string) => void;
}

export interface JvbSampler extends BridgeSampler {
  /** where the CPU figures came from in the last sample, and at what resolution */
  cpuSourceInfo(): { source: CpuSource | 'none'; resolution: string } ;
}

export function createJvbSampler(kube: Kube, opts: JvbSamplerOptions): JvbSampler {
  const wanted = opts.cpuSource ?? 'auto';
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const previous = new Map<string, { seconds: number; atMs: number }>();
  const noticed = new Set<string>();
  let cadvisorUsable = wanted !== 'metrics-api';
  let lastSource: CpuSource | 'none' = 'none';
  let lastWindow = '';
  const notice = (m: string, key = m) => {
    if (noticed.has(key)) return;
    noticed.add(key);
    opts.onNotice?.(m);
  };

  async function cadvisorFor(nodes: string[], signal: AbortSignal): Promise<Map<string, CadvisorReading & { scrapedAtMs: number }>> {
    const all = new Map<string, CadvisorReading & { scrapedAtMs: number }>();
    await Promise.all(
      nodes.map(async (node) => {
        const text = await kube.getText(nodeProxyPath(node, 'metrics/cadvisor'), { accept: 'text/plain', signal, timeoutMs });
        const scrapedAtMs = Date.now();
        for (const [k, v] of parseCadvisor(text)) all.set(k, { ...v, scrapedAtMs });
      }),
    );
    return all;
  }

  return {
    cpuSourceInfo: () => ({
      source: lastSource,
      resolution:
        lastSource === 'cadvisor'
          ? 'rate of the kubelet cAdvisor counter between two samples (≥ the kubelet housekeeping interval, ~10 s)'
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

      let cadvisor: Map<string, CadvisorReading & { scrapedAtMs: number }> | undefined;
      if (cadvisorUsable) {
        const nodes = [...new Set(pods.map((p) => p.node).filter((n): n is string => Boolean(n)))];
        try {
          cadvisor = await cadvisorFor(nodes, signal);
        } catch (e) {
          if (signal.aborted) throw e;
          if (wanted === 'cadvisor') throw e;
          cadvisorUsable = !(e instanceof KubeApiError && (e.status === 403 || e.status === 404));
          notice(`cannot read kubelet cAdvisor counters (${(e as Error).message}); using the metrics API for bridge CPU`);
        }
      }
      let metrics: Map<string, PodMetrics> | undefined;
      if (!cadvisor) {
        const list = await kube.podMetrics(opts.namespace, componentSelector(opts.release, 'jvb')).catch((e: unknown) => {
          if (signal.aborted) throw e;
          return undefined;
        });
        if (list) metrics = new Map(list.map((m) => [m.metadata.name, m]));
        else notice('no CPU source for the bridges: cAdvisor cannot be read and the metrics API (metrics-server) is not installed');
      }
      lastSource = cadvisor ? 'cadvisor' : metrics ? 'metrics-api' : 'none';

      return pods.map((p, i): BridgeSample => {
        const s = stats[i];
        const key = `${p.namespace}/${p.name}`;
        let cpu: number | undefined;
        let memBytes: number | undefined;
        if (cadvisor) {
          const r = cadvisor.get(key);
          if (r?.cpuSeconds !== undefined) {
            const cur = { seconds: r.cpuSeconds, atMs: r.cpuTimestampMs ?? r.scrapedAtMs };
            cpu = cpuRate(previous.get(key), cur);
            // keep the older reading when the kubelet has not refreshed yet, so the next rate spans real time
            if (cpu !== undefined || !previous.has(key) || cur.seconds < (previous.get(key)?.seconds ?? 0)) previous.set(key, cur);
          }
          memBytes = r?.memoryBytes;
        }
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
          cpuCores: cadvisor ? cpu : cpuCores(pm?.usage.cpu),
          cpuSource: cadvisor ? 'cadvisor' : pm ? 'metrics-api' : undefined,
          memoryMiB: memBytes !== undefined ? memBytes / 1024 ** 2 : memoryMiB(pm?.usage.memory),
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
