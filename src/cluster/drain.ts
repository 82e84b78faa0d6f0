/**
 * A bridge's drain and graceful-shutdown state, and drain mode on and off, through the API
 * server's pod proxy to the JVB's private port 8080 (as /colibri/stats is read). Facts from
 * jitsi-videobridge (master, 2026): `rest/root/colibri/drain/Drain.java` serves POST
 * /colibri/drain/enable and /disable (200, empty body) and GET /colibri/drain ({"drain": bool}),
 * on by default; `VideobridgeStatisticsShim.kt` puts `drain`, `graceful_shutdown` and
 * `shutting_down` (booleans) and `octo_endpoints` (relayed endpoints, not the bridge's own) into
 * /colibri/stats; `ShutdownManager.kt` moves RUNNING → GRACEFUL_SHUTDOWN (no new conferences) →
 * SHUTTING_DOWN (participants ≤ 0 or 24 h; exits after 1 minute). Drain mode only stops new
 * conferences; it never ends the process.
 */
import { JVB_HTTP_PORT, parseColibriStats, type ColibriStats } from './jvb.js';
import { KubeApiError, podProxyPath, type Kube } from './kube.js';

/** What a bridge is doing, most final first: shutting-down > graceful-shutdown > draining > running. */
export type BridgeState = 'running' | 'draining' | 'graceful-shutdown' | 'shutting-down';

export interface BridgeLoadState {
  /** the bridge's own participants: participants − octo_endpoints (relayed ones belong to another bridge) */
  participants?: number;
  conferences?: number;
  state?: BridgeState;
  drain?: boolean;
  gracefulShutdown?: boolean;
  shuttingDown?: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined);

/** The load and state fields of a /colibri/stats answer; a field the bridge does not publish stays absent. */
export function parseBridgeLoadState(body: unknown): BridgeLoadState {
  const r = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const participants = num(r.participants);
  const octo = num(r.octo_endpoints) ?? 0;
  const drain = bool(r.drain);
  const gracefulShutdown = bool(r.graceful_shutdown);
  const shuttingDown = bool(r.shutting_down);
  const known = drain !== undefined || gracefulShutdown !== undefined || shuttingDown !== undefined;
  const state: BridgeState | undefined = shuttingDown ? 'shutting-down' : gracefulShutdown ? 'graceful-shutdown' : drain ? 'draining' : known ? 'running' : undefined;
  const out: BridgeLoadState = {
    participants: participants === undefined ? undefined : Math.max(0, participants - octo),
    conferences: num(r.conferences),
    state,
    drain,
    gracefulShutdown,
    shuttingDown,
  };
  for (const k of Object.keys(out) as (keyof BridgeLoadState)[]) if (out[k] === undefined) delete out[k];
  return out;
}

export interface ProxyOpts {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** not stopped by the process's stop signal (taking drain back off after Ctrl-C) */
  cleanup?: boolean;
}

/** Load and state of one bridge, from /colibri/stats. */
export async function readBridgeLoadState(kube: Kube, namespace: string, pod: string, opts: ProxyOpts = {}): Promise<BridgeLoadState> {
  return (await readColibriAnswer(kube, namespace, pod, opts)).load;
}

/** One /colibri/stats answer read both ways: the figures (jvb.ts) and the load and state. */
export async function readColibriAnswer(kube: Kube, namespace: string, pod: string, opts: ProxyOpts = {}): Promise<{ stats: ColibriStats; load: BridgeLoadState }> {
  const body = await kube.getJson<unknown>(podProxyPath(namespace, pod, JVB_HTTP_PORT, 'colibri/stats'), {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 5_000,
    notFoundHint: `pod ${pod} is gone, or its colibri REST API is off (the chart sets COLIBRI_REST_ENABLED=true)`,
  });
  return { stats: parseColibriStats(body), load: parseBridgeLoadState(body) };
}

/** Drain mode on (no new conferences on this bridge) or off. */
export async function setDrainMode(kube: Kube, namespace: string, pod: string, enable: boolean, opts: ProxyOpts = {}): Promise<void> {
  const path = podProxyPath(namespace, pod, JVB_HTTP_PORT, `colibri/drain/${enable ? 'enable' : 'disable'}`);
  const r = await kube.request('POST', path, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 10_000, cleanup: opts.cleanup, body: '' });
  if (r.status >= 200 && r.status < 300) return;
  throw new KubeApiError(
    `putting bridge ${pod} ${enable ? 'into' : 'out of'} drain mode: HTTP ${r.status}${r.body ? ` (${r.body.trim().slice(0, 120)})` : ''}`,
    r.status === 404
      ? 'the bridge serves no /colibri/drain: its drain REST API is off (videobridge.rest.drain.enabled) or the pod is gone'
      : 'check the bridge (`kubectl logs <pod> -c jitsi-meet`) and that your credentials may create pods/proxy',
    r.status,
  );
}

// ---------- which pod a ReplicaSet removes ----------

/** A ReplicaSet scaling in removes the pods with the lowest cost first (an int32; absent = 0). */
export const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
/** Set on a bridge jitsi-k8s is removing: the in-cluster keeper leaves its deletion cost alone. */
export const LEAVING = 'jitsi-k8s/leaving';

/** Sets (string) or removes (null) annotations of a pod with a JSON merge patch. */
export async function patchPodAnnotations(kube: Kube, namespace: string, pod: string, annotations: Record<string, string | null>, opts: ProxyOpts = {}): Promise<void> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`;
  const r = await kube.request('PATCH', path, {
    body: JSON.stringify({ metadata: { annotations } }),
    contentType: 'application/merge-patch+json',
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 10_000,
    cleanup: opts.cleanup,
  });
  if (r.status >= 200 && r.status < 300) return;
  throw new KubeApiError(
    `annotating pod ${pod}: HTTP ${r.status}${r.body ? ` (${r.body.trim().slice(0, 160)})` : ''}`,
    r.status === 403 ? 'your credentials may not patch pods in the namespace' : 'check the pod still exists (`kubectl get pods`)',
    r.status,
  );
}
