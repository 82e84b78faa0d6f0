/**
 * Waiting for the release to become healthy: Deployments/StatefulSets with every desired replica
 * updated and Ready (restarts and waiting reasons noted on the way), and bridges that are Ready
 * AND answer `/colibri/stats`. Polls the API server, reports progress, honours a timeout and the
 * abort signal.
 */
import { CommandError, InterruptedError } from '../errors.js';
import { interruptSignal } from '../interrupt.js';
import { discoverJvbPods, podReady, podRestarts, podWaitingReason, readColibriStats, releaseSelector, type JvbPod } from './jvb.js';
import type { Kube, V1Deployment, V1Pod, V1StatefulSet } from './kube.js';
import { setTimeout as delay } from 'node:timers/promises';

export interface PodState {
  name: string;
  ready: boolean;
  phase?: string;
  restarts: number;
  /** CrashLoopBackOff, ImagePullBackOff, ContainerCreating … */
  reason?: string;
  node?: string;
}

export interface WorkloadState {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
  /** the chart's app.kubernetes.io/component label */
  component?: string;
  /** the helm.sh/chart label, e.g. "jitsi-meet-3.4.0" */
  chart?: string;
  desired: number;
  ready: number;
  updated: number;
  restarts: number;
  pods: PodState[];
  /** every desired replica updated and Ready, and the controller has seen the latest spec */
  done: boolean;
}

function podState(p: V1Pod): PodState {
  return {
    name: p.metadata?.name ?? '?',
    ready: podReady(p),
    phase: p.status?.phase,
    restarts: podRestarts(p),
    reason: podWaitingReason(p) ?? (p.status?.phase === 'Pending' ? (p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.reason ?? 'Pending') : undefined),
    node: p.spec?.nodeName,
  };
}

/** Pods a workload owns: by owner reference (ReplicaSet `<deployment>-<hash>` or the StatefulSet), else by its selector. */
function ownedBy(kind: WorkloadState['kind'], name: string, selector: Record<string, string> | undefined, pod: V1Pod): boolean {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (owner) {
    if (kind === 'StatefulSet') return owner.kind === 'StatefulSet' && owner.name === name;
    return owner.kind === 'ReplicaSet' && owner.name.startsWith(`${name}-`) && !owner.name.slice(name.length + 1).includes('-');
  }
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v) && (pod.metadata?.name ?? '').startsWith(`${name}-`);
}

function workloadState(kind: WorkloadState['kind'], w: V1Deployment | V1StatefulSet, pods: V1Pod[]): WorkloadState {
  const name = w.metadata?.name ?? '?';
  const desired = w.spec?.replicas ?? 1;
  const ready = w.status?.readyReplicas ?? 0;
  const updated = w.status?.updatedReplicas ?? 0;
  const observed = (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
  const mine = pods.filter((p) => !p.metadata?.deletionTimestamp && ownedBy(kind, name, w.spec?.selector?.matchLabels, p)).map(podState);
  // old pods still running during a rollout count in status.replicas
  const total = w.status?.replicas ?? ready;
  return {
    kind,
    name,
    component: w.metadata?.labels?.['app.kubernetes.io/component'],
    chart: w.metadata?.labels?.['helm.sh/chart'],
    desired,
    ready,
    updated,
    restarts: mine.reduce((s, p) => s + p.restarts, 0),
    pods: mine.sort((a, b) => a.name.localeCompare(b.name)),
    done: observed && ready >= desired && updated >= desired && total <= desired,
  };
}

/** Deployments and StatefulSets (with their pods) matching a label selector. */
export async function readWorkloads(kube: Kube, namespace: string, selector: string): Promise<WorkloadState[]> {
  const [deployments, statefulSets, pods] = await Promise.all([kube.deployments(namespace, selector), kube.statefulSets(namespace, selector), kube.pods(namespace, selector)]);
  return [...deployments.map((d) => workloadState('Deployment', d, pods)), ...statefulSets.map((s) => workloadState('StatefulSet', s, pods))].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
}

/** Rejects with InterruptedError when the signal aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (e) {
    throw signal.aborted ? new InterruptedError() : e;
  }
}

export interface PollOptions {
  /** default 10 minutes */
  timeoutMs?: number;
  /** default 2 s */
  intervalMs?: number;
  /** default: the process-wide Ctrl-C signal */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export interface WaitForWorkloadsOptions extends PollOptions {
  namespace: string;
  /** label selector; default: every workload of `release` */
  selector?: string;
  release?: string;
  /** only these workloads (names); default: all that match */
  names?: string[];
  /** called after every poll, also the last */
  onProgress?: (states: WorkloadState[], elapsedMs: number) => void;
}

export function describeWorkload(w: WorkloadState): string {
  const troubled = w.pods.filter((p) => !p.ready).map((p) => `${p.name}: ${p.reason ?? p.phase ?? 'not ready'}${p.restarts ? `, ${p.restarts} restarts` : ''}`);
  return `${w.kind.toLowerCase()} ${w.name} ${w.ready}/${w.desired} ready${troubled.length ? ` (${troubled.join('; ')})` : ''}`;
}

/** Polls until every selected workload is done; throws on timeout naming what is not ready and why. */
export async function waitForWorkloads(kube: Kube, opts: WaitForWorkloadsOptions): Promise<WorkloadState[]> {
  const selector = opts.selector ?? (opts.release ? releaseSelector(opts.release) : undefined);
  if (!selector) throw new CommandError('waitForWorkloads: give a selector or a release', undefined);
  const signal = opts.signal ?? interruptSignal();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const start = Date.now();
  let last: WorkloadState[] = [];
  for (;;) {
    if (signal.aborted) throw new InterruptedError('interrupted while waiting for the pods');
    const all = await readWorkloads(kube, opts.namespace, selector);
    last = opts.names ? all.filter((w) => opts.names!.includes(w.name)) : all;
    const missing = (opts.names ?? []).filter((n) => !last.some((w) => w.name === n));
    opts.onProgress?.(last, Date.now() - start);
    if (missing.length === 0 && last.length > 0 && last.every((w) => w.done)) return last;
    const elapsed = Date.now() - start;
    if (elapsed >= timeoutMs) {
      const pending = [...missing.map((n) => `${n} does not exist yet`), ...last.filter((w) => !w.done).map(describeWorkload)];
      throw new CommandError(
        `timed out after ${Math.round(elapsed / 1000)}s waiting for: ${pending.length ? pending.join('; ') : `any workload matching ${selector}`}`,
        `see why with \`kubectl -n ${opts.namespace} describe pod <pod>\` or \`jitsi-k8s status\`; raise --timeout if images are still pulling`,
      );
    }
    await sleep(Math.min(opts.intervalMs ?? 2_000, Math.max(0, timeoutMs - elapsed)), signal);
  }
}

export interface BridgeReadiness extends JvbPod {
  /** /colibri/stats answered through the pod proxy */
  answering: boolean;
}

export interface WaitForBridgesOptions extends PollOptions {
  namespace: string;
  release: string;
  /** how many bridges must run */
  count: number;
  /** called after every poll, also the last */
  onProgress?: (bridges: BridgeReadiness[], elapsedMs: number) => void;
}

/** Reads every JVB pod of the release and asks each Ready one for /colibri/stats. */
export async function readBridges(kube: Kube, ref: { namespace: string; release: string }, signal?: AbortSignal): Promise<BridgeReadiness[]> {
  const pods = await discoverJvbPods(kube, ref);
  return Promise.all(
    pods.map(async (p) => {
      if (!p.ready) return { ...p, answering: false };
      const answering = await readColibriStats(kube, p.namespace, p.name, { signal, timeoutMs: 5_000 }).then(
        () => true,
        (e: unknown) => {
          if (e instanceof InterruptedError) throw e;
          return false;
        },
      );
      return { ...p, answering };
    }),
  );
}

/**
 * Waits until exactly `count` bridges run, each Ready and answering /colibri/stats (so it has
 * started its colibri service; a bridge that answers is one jicofo can use once it joined the
 * brewery room). Scaling in waits until the surplus pods are gone.
 */
export async function waitForBridges(kube: Kube, opts: WaitForBridgesOptions): Promise<BridgeReadiness[]> {
  const signal = opts.signal ?? interruptSignal();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const want = opts.count;
  const start = Date.now();
  for (;;) {
    if (signal.aborted) throw new InterruptedError('interrupted while waiting for the bridges');
    const bridges = await readBridges(kube, opts, signal);
    const good = bridges.filter((b) => b.ready && b.answering).length;
    opts.onProgress?.(bridges, Date.now() - start);
    if (bridges.length === want && good === want) return bridges;
    const elapsed = Date.now() - start;
    if (elapsed >= timeoutMs) {
      const detail = bridges.map((b) => `${b.name}: ${!b.ready ? (b.waitingReason ?? b.phase ?? 'not ready') : b.answering ? 'ok' : '/colibri/stats does not answer'}`);
      throw new CommandError(
        `timed out after ${Math.round(elapsed / 1000)}s waiting for ${want} bridge${want === 1 ? '' : 's'}: ${bridges.length} running, ${good} ready and answering${detail.length ? ` (${detail.join('; ')})` : ''}`,
        bridges.length < want
          ? 'bridges stay Pending when hostPort/hostNetwork has no free node — check schedulable nodes (`jitsi-k8s status`, `kubectl describe pod`)'
          : `look at the JVB logs: \`kubectl -n ${opts.namespace} logs <pod> -c jitsi-meet\``,
      );
    }
    await sleep(Math.min(opts.intervalMs ?? 2_000, Math.max(0, timeoutMs - elapsed)), signal);
  }
}
