/**
 * What a killed run left (SIGKILL, an OOM kill, a CI timeout, a closed laptop): a helm release stuck
 * in pending-install / pending-upgrade / pending-rollback, bridges still in drain mode or marked as
 * leaving by an interrupted drain, a bridge count that differs from the config (a sweep cut short),
 * bench objects whose coordinator is gone, and the lease of the killed run. Read from the cluster only
 * (helm's own release Secrets carry the status and revision in their labels, so no helm binary is
 * needed), plus this machine's process table to see whether a helm process still works on a release.
 * Each finding says what the next run does about it; src/pipeline/recover.ts does it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { LEAVING, readBridgeLoadState } from './drain.js';
import { componentSelector } from './jvb.js';
import type { Kube } from './kube.js';
import { readLease, type LeaseHolder } from './lease.js';

/** The helm timeout apply starts with when the run that left a pending release did not record its own (plan.ts default). */
export const DEFAULT_HELM_TIMEOUT_SECONDS = 15 * 60;
/** Where `bench` creates its load generators unless told otherwise. */
export const BENCH_NAMESPACE = 'jitsi-k8s-bench';
export const COORDINATOR_HOST = 'jitsi-k8s/coordinator-host';
export const COORDINATOR_PID = 'jitsi-k8s/coordinator-pid';
/** A bridge's deletion cost before a drain marked it as leaving, to put back. */
export const COST_BEFORE = 'jitsi-k8s/deletion-cost-before';

export interface HelmRevision {
  revision: number;
  status: string;
  /** when the revision was recorded (its Secret's creation) */
  since?: string;
}

export interface PendingRelease {
  release: string;
  namespace: string;
  /** pending-*: an install, upgrade or rollback cut short; uninstalling: an uninstall cut short */
  status: 'pending-install' | 'pending-upgrade' | 'pending-rollback' | 'uninstalling';
  revision: number;
  since?: string;
  ageSeconds?: number;
  /** the newest revision that was deployed once: where a rollback returns to */
  lastDeployedRevision?: number;
  /** helm processes on this machine working on this release now */
  helmProcesses: { pid: number; args: string }[];
  /** the claims (PersistentVolumeClaims) helm recorded as this release's */
  claims: string[];
}

export interface LeftBridge {
  pod: string;
  /** /colibri/stats says drain: true */
  drain: boolean;
  /** marked jitsi-k8s/leaving by a drain that did not finish */
  leaving: boolean;
  /** the deletion cost to put back (absent: remove ours) */
  costBefore?: string;
}

export interface BenchLeftover {
  namespace: string;
  kind: 'Job' | 'ConfigMap' | 'Secret';
  name: string;
  runId?: string;
  coordinator?: string;
  /** true: its coordinator's process is gone (same machine); undefined: it ran elsewhere, cannot tell */
  coordinatorGone?: boolean;
}

export interface Leftovers {
  pending: PendingRelease[];
  bridges: LeftBridge[];
  /** bridges the cluster runs vs the count the config asks for (autoscaling off) */
  bridgeCount?: { running: number; config: number };
  bench: BenchLeftover[];
  /** the lease of a run that stopped renewing it (killed) */
  staleLease?: LeaseHolder;
}

export const nothingLeft = (l: Leftovers) => l.pending.length === 0 && l.bridges.length === 0 && !l.bridgeCount && l.bench.length === 0 && !l.staleLease;

/** Revisions of every helm release in a namespace, oldest first, from helm's release Secrets (labels owner=helm, name, status, version). */
export async function helmRevisions(kube: Kube, namespace: string): Promise<Map<string, HelmRevision[]>> {
  const r = await kube.request('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets?labelSelector=${encodeURIComponent('owner=helm')}`);
  const out = new Map<string, HelmRevision[]>();
  if (r.status === 404) return out;
  if (r.status >= 300) throw new Error(`listing helm's release records: HTTP ${r.status}`);
  const items = (JSON.parse(r.body) as { items: { metadata: { labels?: Record<string, string>; creationTimestamp?: string } }[] }).items;
  for (const s of items) {
    const l = s.metadata.labels ?? {};
    if (!l.name || !l.version) continue;
    const list = out.get(l.name) ?? [];
    list.push({ revision: Number(l.version), status: l.status ?? 'unknown', since: s.metadata.creationTimestamp });
    out.set(l.name, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.revision - b.revision);
  return out;
}

/** helm processes on this machine whose argv names this release (and namespace, when it names one); empty where /proc is not there. */
export function helmProcessesFor(release: string, namespace: string, proc = '/proc'): { pid: number; args: string }[] {
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const found: { pid: number; args: string }[] = [];
  for (const pid of pids) {
    let argv: string[];
    try {
      argv = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    if (!argv[0] || !/(^|\/)helm$/.test(argv[0])) continue;
    const ns = argv.indexOf('--namespace') >= 0 ? argv[argv.indexOf('--namespace') + 1] : argv.find((a) => a.startsWith('--namespace='))?.slice(12);
    if (!argv.slice(1).includes(release) || (ns !== undefined && ns !== namespace)) continue;
    found.push({ pid: Number(pid), args: argv.map((a) => (a.includes('/') && a.length > 40 ? `…/${a.split('/').at(-1)}` : a)).join(' ') });
  }
  return found;
}

/** Whether a process with this pid runs on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The releases of this config: the main one and the ones named after it (data, extras, dependencies). */
const ours = (name: string, release: string) => name === release || name.startsWith(`${release}-`);

async function claimsOf(kube: Kube, namespace: string, release: string): Promise<string[]> {
  const r = await kube.request('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/persistentvolumeclaims`);
  if (r.status >= 300) return [];
  const items = (JSON.parse(r.body) as { items: { metadata: { name: string; annotations?: Record<string, string> } }[] }).items;
  return items.filter((c) => c.metadata.annotations?.['meta.helm.sh/release-name'] === release).map((c) => c.metadata.name);
}

async function pendingReleases(kube: Kube, namespace: string, release: string, now: number): Promise<PendingRelease[]> {
  const out: PendingRelease[] = [];
  for (const [name, revisions] of await helmRevisions(kube, namespace)) {
    if (!ours(name, release)) continue;
    const current = revisions.at(-1);
    if (!current || !/^(pending-(install|upgrade|rollback)|uninstalling)$/.test(current.status)) continue;
    const lastDeployed = revisions.filter((r) => r.status === 'deployed' || r.status === 'superseded').at(-1);
    out.push({
      release: name,
      namespace,
      status: current.status as PendingRelease['status'],
      revision: current.revision,
      since: current.since,
      ageSeconds: current.since ? Math.max(0, Math.round((now - Date.parse(current.since)) / 1000)) : undefined,
      lastDeployedRevision: lastDeployed?.revision,
      helmProcesses: helmProcessesFor(name, namespace),
      claims: await claimsOf(kube, namespace, name),
    });
  }
  return out;
}

/** The release to look at: the config's, or what `status` was pointed at (then without a bridge count to compare). */
export interface LeftoverTarget {
  namespace: string;
  release: string;
  /** the bridges the config asks for (absent: autoscaled, or no config) */
  bridges?: number;
}

export const leftoverTarget = (config: Config): LeftoverTarget => ({
  namespace: config.cluster.namespace,
  release: config.cluster.release,
  bridges: config.components.jvb.autoscale.enabled ? undefined : config.components.jvb.replicas,
});

async function leftBridges(kube: Kube, t: LeftoverTarget): Promise<LeftBridge[]> {
  const ns = t.namespace;
  const pods = (await kube.pods(ns, componentSelector(t.release, 'jvb'))).filter((p) => !p.metadata?.deletionTimestamp);
  const out: LeftBridge[] = [];
  await Promise.all(
    pods.map(async (p) => {
      const pod = p.metadata?.name ?? '?';
      const a = p.metadata?.annotations ?? {};
      const state = await readBridgeLoadState(kube, ns, pod, { timeoutMs: 5_000 }).catch(() => undefined);
      const leaving = a[LEAVING] !== undefined;
      // a bridge in graceful shutdown is leaving on its own (preStop): its drain is not ours to undo
      const drain = state?.drain === true && !state.gracefulShutdown && !state.shuttingDown;
      if (leaving || drain) out.push({ pod, drain, leaving, ...(a[COST_BEFORE] ? { costBefore: a[COST_BEFORE] } : {}) });
    }),
  );
  return out.sort((a, b) => a.pod.localeCompare(b.pod));
}

async function bridgeCount(kube: Kube, t: LeftoverTarget): Promise<Leftovers['bridgeCount']> {
  if (t.bridges === undefined) return undefined;
  const deployments = await kube.deployments(t.namespace, componentSelector(t.release, 'jvb'));
  if (deployments.length === 0) return undefined;
  const running = deployments.reduce((s, d) => s + (d.spec?.replicas ?? 1), 0);
  return running === t.bridges ? undefined : { running, config: t.bridges };
}

async function benchLeftovers(kube: Kube, namespaces: string[]): Promise<BenchLeftover[]> {
  const selector = encodeURIComponent('app.kubernetes.io/managed-by=jitsi-k8s,app.kubernetes.io/component=bench-worker');
  const me = hostname();
  const out: BenchLeftover[] = [];
  for (const namespace of [...new Set(namespaces)]) {
    for (const [kind, path] of [
      ['Job', `/apis/batch/v1/namespaces/${namespace}/jobs`],
      ['ConfigMap', `/api/v1/namespaces/${namespace}/configmaps`],
      ['Secret', `/api/v1/namespaces/${namespace}/secrets`],
    ] as const) {
      const r = await kube.request('GET', `${path}?labelSelector=${selector}`);
      if (r.status >= 300) continue;
      const items = (
        JSON.parse(r.body) as {
          items: { metadata: { name: string; deletionTimestamp?: string; labels?: Record<string, string>; annotations?: Record<string, string> } }[];
        }
      ).items;
      for (const o of items) {
        if (o.metadata.deletionTimestamp) continue;
        const a = o.metadata.annotations ?? {};
        const host = a[COORDINATOR_HOST];
        const pid = a[COORDINATOR_PID] ? Number(a[COORDINATOR_PID]) : undefined;
        // a coordinator on this machine whose process is gone, or an object from before coordinators were recorded
        const gone = host === undefined ? true : host === me && pid !== undefined ? !processAlive(pid) : undefined;
        if (gone === false) continue;
        out.push({
          namespace,
          kind,
          name: o.metadata.name,
          runId: o.metadata.labels?.['jitsi-k8s/bench-run'],
          ...(host ? { coordinator: `${host} pid ${pid ?? '?'}` } : {}),
          ...(gone !== undefined ? { coordinatorGone: gone } : {}),
        });
      }
    }
  }
  return out;
}

export interface DetectOptions {
  /** namespaces where bench load generators may be (default: the bench default and the release's) */
  benchNamespaces?: string[];
  now?: number;
}

/** Everything a killed run left for this config's release. Each read may fail on its own without hiding the others. */
export async function detectLeftovers(kube: Kube, t: LeftoverTarget, opts: DetectOptions = {}): Promise<Leftovers> {
  const ns = t.namespace;
  const now = opts.now ?? Date.now();
  const [pending, bridges, count, bench, lease] = await Promise.all([
    pendingReleases(kube, ns, t.release, now).catch(() => [] as PendingRelease[]),
    leftBridges(kube, t).catch(() => [] as LeftBridge[]),
    bridgeCount(kube, t).catch(() => undefined),
    benchLeftovers(kube, opts.benchNamespaces ?? [BENCH_NAMESPACE, ns]).catch(() => [] as BenchLeftover[]),
    readLease(kube, ns, t.release).catch(() => undefined),
  ]);
  return {
    pending,
    bridges,
    ...(count ? { bridgeCount: count } : {}),
    bench,
    ...(lease?.holder.expired ? { staleLease: lease.holder } : {}),
  };
}

// ---------- what the next run does about each ----------

export type PendingAction =
  | { kind: 'wait'; why: string }
  | { kind: 'rollback'; to: number; why: string }
  | { kind: 'uninstall'; why: string }
  | { kind: 'refuse'; why: string };

export interface JudgeOptions {
  /** --recover: a pending release no helm process here works on is stale now */
  recover?: boolean;
  /** the lease the killed run left (its timeout, host and pid) */
  lease?: LeaseHolder;
  /** the helm timeout of this run, for a release whose starter recorded none */
  timeoutSeconds?: number;
  host?: string;
  alive?: (pid: number) => boolean;
}

/** Whether a pending release is stale and what to do with it; pure but for `alive`. */
export function judgePending(p: PendingRelease, o: JudgeOptions = {}): PendingAction {
  const host = o.host ?? hostname();
  const alive = o.alive ?? processAlive;
  if (p.helmProcesses.length > 0) {
    return {
      kind: 'wait',
      why: `helm (pid ${p.helmProcesses.map((h) => h.pid).join(', ')}) on this machine still works on it: let it finish (it rolls back by itself on failure)`,
    };
  }
  const timeout = o.lease?.timeoutSeconds ?? o.timeoutSeconds ?? DEFAULT_HELM_TIMEOUT_SECONDS;
  const starterGone = o.lease !== undefined && o.lease.expired && o.lease.host === host && o.lease.pid !== undefined && !alive(o.lease.pid);
  const old = p.ageSeconds !== undefined && p.ageSeconds > timeout;
  if (!o.recover && !old && !starterGone) {
    const until = p.since ? ` (stale at ${new Date(Date.parse(p.since) + timeout * 1000).toISOString()}, ${timeout}s after it started)` : '';
    return { kind: 'wait', why: `it may still be worked on from another machine${until}: wait, or pass --recover if no run is working on it` };
  }
  const because = o.recover
    ? '--recover'
    : starterGone
      ? `the run that started it (pid ${o.lease!.pid} on this machine) is gone`
      : `older than the ${timeout}s timeout it was started with`;
  if (p.status === 'uninstalling') {
    if (p.claims.length > 0)
      return { kind: 'refuse', why: `${because}, but claims ${p.claims.join(', ')} belong to it: the uninstall is not finished (their data would go)` };
    return { kind: 'uninstall', why: `${because}: the uninstall that was cut short is finished (the kept claims stay)` };
  }
  if (p.lastDeployedRevision !== undefined)
    return { kind: 'rollback', to: p.lastDeployedRevision, why: `${because}: roll back to revision ${p.lastDeployedRevision}, its last deployed one` };
  if (p.claims.length > 0) {
    return { kind: 'refuse', why: `${because}, but it never deployed and claims ${p.claims.join(', ')} belong to it: not removed (their data would go)` };
  }
  return { kind: 'uninstall', why: `${because}: a first install that never deployed, with no claims: removed, then installed again` };
}

/** One line per finding: what was left, and what the tool does about it. */
export function describeLeftovers(l: Leftovers, o: JudgeOptions & { configFile?: string } = {}): { what: string; action: string }[] {
  const lines: { what: string; action: string }[] = [];
  const lease = o.lease ?? l.staleLease;
  for (const p of l.pending) {
    const a = judgePending(p, { ...o, lease });
    const age = p.ageSeconds !== undefined ? ` for ${p.ageSeconds}s (since ${p.since})` : '';
    const held = p.helmProcesses.length
      ? `; helm pid ${p.helmProcesses.map((h) => h.pid).join(', ')} on this machine holds it`
      : '; no helm process on this machine holds it';
    lines.push({ what: `release ${p.release} is ${p.status}${age}, revision ${p.revision}${held}`, action: a.why });
  }
  for (const b of l.bridges) {
    const how = [b.drain && 'in drain mode', b.leaving && 'marked as leaving (deletion cost lowered)'].filter(Boolean).join(' and ');
    lines.push({
      what: `bridge ${b.pod} is ${how} by a drain that did not finish`,
      action: `put back: drain mode off${b.leaving ? `, deletion cost ${b.costBefore ?? 'removed'}` : ''}`,
    });
  }
  if (l.bridgeCount) {
    lines.push({
      what: `${l.bridgeCount.running} bridges run, ${o.configFile ?? 'the config'} says ${l.bridgeCount.config} (a sweep or scale cut short)`,
      action: `\`jitsi-k8s apply\` goes back to ${l.bridgeCount.config} (it asks first on a terminal)`,
    });
  }
  for (const b of l.bench) {
    const who = b.coordinatorGone ? `its coordinator ${b.coordinator ?? '(unrecorded)'} is gone` : `its coordinator ran on ${b.coordinator} (another machine)`;
    lines.push({
      what: `bench ${b.kind} ${b.namespace}/${b.name}: ${who}`,
      action: b.coordinatorGone ? 'deleted' : 'left to its deadline and TTL (the cluster removes it); deleted by --recover',
    });
  }
  if (lease)
    lines.push({
      what: `the lease of a killed run: ${lease.command ?? '?'} (${lease.identity}), last renewed ${lease.renewed ?? '?'}`,
      action: 'taken over by the next run',
    });
  return lines;
}

/**
 * Marks one revision of a release `failed` in helm's own record (the Secret `sh.helm.release.v1.<release>.v<revision>`:
 * its `status` label and the status inside the gzipped release), as Flux's helm-controller unlocks a stale pending
 * release. helm then upgrades from the last deployed revision. For a pending revision `helm rollback` cannot
 * take: the killed upgrade had not yet removed an object the deployed revision has, and helm's rollback refuses
 * an object that is in the cluster but not in the pending revision's manifest. (`status`: another helm status, for tests
 * that set up what a killed run leaves.)
 */
export async function markRevisionFailed(
  kube: Kube,
  namespace: string,
  release: string,
  revision: number,
  description: string,
  status = 'failed',
): Promise<void> {
  const { gunzipSync, gzipSync } = await import('node:zlib');
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(`sh.helm.release.v1.${release}.v${revision}`)}`;
  const r = await kube.request('GET', path);
  if (r.status >= 300) throw new Error(`reading helm's record of ${release} revision ${revision}: HTTP ${r.status}`);
  const secret = JSON.parse(r.body) as { metadata: { labels?: Record<string, string>; resourceVersion?: string }; data: { release: string } };
  // the Secret's value is base64 (the API) of helm's base64 of gzipped JSON
  const helmEncoded = Buffer.from(secret.data.release, 'base64').toString('utf8');
  const record = JSON.parse(gunzipSync(Buffer.from(helmEncoded, 'base64')).toString('utf8')) as { info: { status: string; description?: string } };
  record.info.status = status;
  record.info.description = description;
  const encoded = gzipSync(Buffer.from(JSON.stringify(record))).toString('base64');
  secret.data.release = Buffer.from(encoded, 'utf8').toString('base64');
  secret.metadata.labels = { ...secret.metadata.labels, status };
  const w = await kube.request('PUT', path, { body: secret });
  if (w.status >= 300) throw new Error(`marking ${release} revision ${revision} ${status}: HTTP ${w.status} ${w.body.slice(0, 200)}`);
}
