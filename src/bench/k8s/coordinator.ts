/**
 * The coordinator of `bench --runner k8s`: creates the ConfigMap and the Indexed Job of a step,
 * follows the worker pods' logs through the API server, merges their JSON-line samples (tagged with
 * shard and pod) into samples.jsonl, reports dead workers (their participants count as failed), and
 * always deletes what it created (Job, ConfigMap, the site's Secret) — also after an error or Ctrl-C.
 */
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Kube } from '../../cluster/kube.js';
import { COORDINATOR_HOST, COORDINATOR_PID } from '../../cluster/leftovers.js';
import { CommandError } from '../../errors.js';
import type { SamplesWriter } from '../samples-file.js';
import type { EventRecord, SampleRecord } from '../samples.js';
import { assignParticipants } from '../scenario.js';
import type { SiteCredentials } from '../step/join.js';
import { buildConfigMap, buildJob, buildSiteSecret, jobName, RUN_LABEL, siteSecretNames, WORKER_CONTAINER, type WorkerJobInput } from './job.js';

export interface StepOutcome {
  joined: number;
  failed: number;
  workersDied: number[];
  /** shards whose worker was stopped by SIGTERM/SIGHUP/SIGINT (pod deleted, node drained, Job deadline) after writing its last records */
  workersStopped: number[];
  /** worker clock minus coordinator clock, per shard, when the workers measured it */
  clockSkewMs: Record<number, number>;
  /** node each shard ran on */
  nodes: Record<number, string>;
}

export interface CoordinatorDeps {
  kube: Kube;
  samples: SamplesWriter;
  signal: AbortSignal;
  log: { info(m: string): void; warn(m: string): void; debug(m: string): void };
  /** how often the pods are listed (their logs are streamed) */
  pollMs?: number;
  /** a worker pod still Pending after this long stops the step with its reason (default 30 s) */
  stuckAfterMs?: number;
  /** how long a finished pod's log stream may take to end before it is cut */
  drainMs?: number;
  /** coordinator clock minus the reference clock (see clock.ts); used to turn worker offsets into skew */
  coordinatorOffsetMs?: number;
  /** e.g. place participants on the bridges the coordinator samples */
  annotate?: (records: SampleRecord[]) => SampleRecord[];
  /** a protected site's token and room password: handed to the pods through the step's Secret only */
  credentials?: SiteCredentials;
}

/** A worker that exits 143/129/130 stopped cleanly on SIGTERM/SIGHUP/SIGINT (src/cli.ts); 137 (SIGKILL, OOM) is a death. */
const STOPPED_EXIT_CODES = new Set([143, 129, 130]);

const SAMPLE_KINDS = new Set(['participant', 'bridge', 'event']);

/** One log line → a sample record tagged with its shard and pod, or undefined for anything else. */
export function parseWorkerLine(line: string, shard: number, pod: string): SampleRecord | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const r = JSON.parse(trimmed) as SampleRecord;
    if (!r || typeof r !== 'object' || !SAMPLE_KINDS.has((r as { kind?: string }).kind ?? '')) return undefined;
    return { ...r, shard, pod };
  } catch {
    return undefined;
  }
}

interface PodView {
  name: string;
  shard: number;
  phase: string;
  node?: string;
  exitCode?: number;
  reason?: string;
  /** why a Pending pod does not start: the scheduler's condition or the container's waiting state */
  pendingReason?: string;
}

const STUCK_AFTER_MS = 30_000;

function stuckWorker(pod: PodView, forMs: number): CommandError {
  const why = pod.pendingReason ?? 'no reason reported yet';
  const hint = /Unschedulable/.test(why)
    ? 'no node can take a load generator: lower --per-pod / the pod requests, add nodes, or fix --node-selector'
    : /Image|ErrImage/.test(why)
      ? 'the worker image cannot be pulled: check --image and that the nodes reach its registry (or mirror it)'
      : 'look at `kubectl describe pod` in the bench namespace';
  return new CommandError(`load generator ${pod.name} (shard ${pod.shard}) is still Pending after ${Math.round(forMs / 1000)} s: ${why}`, hint);
}

function podView(p: {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    containerStatuses?: { name: string; state?: { terminated?: { exitCode?: number; reason?: string }; waiting?: { reason?: string; message?: string } } }[];
  };
}): PodView {
  const idx = p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'] ?? p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'];
  const cs = p.status?.containerStatuses?.find((c) => c.name === WORKER_CONTAINER);
  return {
    name: p.metadata?.name ?? '?',
    shard: Number(idx ?? -1),
    phase: p.status?.phase ?? 'Pending',
    node: p.spec?.nodeName,
    exitCode: cs?.state?.terminated?.exitCode,
    reason: cs?.state?.terminated?.reason ?? cs?.state?.waiting?.reason,
    pendingReason: pendingReason(p.status?.conditions, cs?.state?.waiting),
  };
}

function pendingReason(conditions: { type?: string; status?: string; reason?: string; message?: string }[] | undefined, waiting: { reason?: string; message?: string } | undefined): string | undefined {
  if (waiting?.reason && waiting.reason !== 'ContainerCreating') return [waiting.reason, waiting.message].filter(Boolean).join(': ');
  const scheduled = conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') return [scheduled.reason, scheduled.message].filter(Boolean).join(': ');
  return undefined;
}

async function createObject(kube: Kube, path: string, body: object, what: string): Promise<{ metadata?: { uid?: string; name?: string } }> {
  const r = await kube.request('POST', path, { body });
  if (r.status === 409) throw new CommandError(`${what} already exists`, 'an earlier run with the same id is still there: delete it or wait for its TTL');
  if (r.status < 200 || r.status >= 300) throw new CommandError(`cannot create ${what}: HTTP ${r.status} ${r.body.slice(0, 200)}`, r.status === 403 ? 'your kube user needs create on jobs, configmaps and secrets in the bench namespace' : undefined);
  try {
    return JSON.parse(r.body || '{}') as { metadata?: { uid?: string; name?: string } };
  } catch {
    return {};
  }
}

/** Which process coordinates these objects: a later run that finds the process gone deletes them (src/cluster/leftovers.ts). */
function coordinated<T extends { metadata?: { annotations?: Record<string, string> } }>(o: T): T {
  const metadata = { ...o.metadata, annotations: { ...o.metadata?.annotations, [COORDINATOR_HOST]: hostname(), [COORDINATOR_PID]: String(process.pid) } };
  return { ...o, metadata };
}

/** The step's ConfigMap and Secret belong to its Job: when the Job goes (its TTL, a delete), the garbage collector takes them too. */
async function ownByJob(kube: Kube, ns: string, name: string, job: { metadata?: { uid?: string } }, kinds: ('configmaps' | 'secrets')[]): Promise<void> {
  if (!job.metadata?.uid) return;
  const ownerReferences = [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid, blockOwnerDeletion: false }];
  for (const kind of kinds) {
    await kube.request('PATCH', `/api/v1/namespaces/${ns}/${kind}/${name}`, { body: JSON.stringify({ metadata: { ownerReferences } }), contentType: 'application/merge-patch+json' });
  }
}

export async function ensureNamespace(kube: Kube, namespace: string): Promise<void> {
  if (await kube.namespaceExists(namespace)) return;
  await createObject(kube, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'app.kubernetes.io/managed-by': 'jitsi-k8s' } } }, `namespace ${namespace}`);
}

/** Deletes the Job (with its pods), the ConfigMap and the Secret of a step; absent is fine. Never throws. */
export async function cleanupStep(kube: Kube, namespace: string, name: string, log: CoordinatorDeps['log']): Promise<void> {
  const paths = [
    `/apis/batch/v1/namespaces/${namespace}/jobs/${name}?propagationPolicy=Background`,
    `/api/v1/namespaces/${namespace}/configmaps/${name}`,
    `/api/v1/namespaces/${namespace}/secrets/${name}`,
  ];
  for (const path of paths) {
    try {
      // cleanup must run even after Ctrl-C: not tied to the interrupt signal
      const r = await kube.request('DELETE', path, { cleanup: true, timeoutMs: 15_000 });
      if (r.status >= 300 && r.status !== 404) log.warn(`could not delete ${path}: HTTP ${r.status}`);
    } catch (e) {
      log.warn(`could not delete ${path}: ${(e as Error).message}`);
    }
  }
}

/** Runs one step's workers to the end and merges their samples. */
export async function runWorkersStep(stepJob: WorkerJobInput, deps: CoordinatorDeps): Promise<StepOutcome> {
  const { kube, samples, signal, log } = deps;
  const credentials = deps.credentials ?? {};
  const job: WorkerJobInput = { ...stepJob, siteSecrets: siteSecretNames(credentials) };
  const ns = job.namespace;
  const name = jobName(job.runId, job.step);
  const senderIndices = new Set<number>();
  const plan = assignParticipants(job.scenario);
  for (const p of plan.participants) if (p.role === 'sender') senderIndices.add(p.index);
  const shardOf = new Map<number, number>();
  for (const s of job.shards) for (const i of s.participants) shardOf.set(i, s.index);

  const outcome: StepOutcome = { joined: 0, failed: 0, workersDied: [], workersStopped: [], clockSkewMs: {}, nodes: {} };
  const joinedNames = new Set<string>();
  const failedNames = new Set<string>();
  const finished = new Set<string>();
  const podOfShard = new Map<number, string>();

  const base: Pick<EventRecord, 'step' | 'bridges' | 'phase'> = { step: job.step, bridges: job.bridges, phase: 'ramp-up' };
  const note = (r: SampleRecord) => {
    if (r.kind === 'event' && r.participant) {
      if (r.event === 'joined') joinedNames.add(r.participant);
      if (r.event === 'join-failed') failedNames.add(r.participant);
    }
    if (r.kind === 'event' && r.event === 'clock-offset' && r.shard !== undefined && typeof r.offsetMs === 'number') {
      outcome.clockSkewMs[r.shard] = Math.round(r.offsetMs - (deps.coordinatorOffsetMs ?? 0));
    }
  };
  const write = (r: SampleRecord) => {
    samples.append([r]);
    note(r);
  };

  // each started pod's log is followed as a stream; records are appended as their lines arrive
  const streams = new Map<string, { done: Promise<void>; stop: AbortController }>();
  const follow = (pod: PodView) => {
    const stop = new AbortController();
    let lines = 0;
    const onLine = (line: string) => {
      lines++;
      const rec = parseWorkerLine(line, pod.shard, pod.name);
      if (!rec) {
        if (line.trim()) log.debug(`${pod.name}: ${line}`);
        return;
      }
      // one append per line: an interrupted run keeps everything up to here
      const placed = deps.annotate ? deps.annotate([rec]) : [rec];
      samples.append(placed);
      for (const r of placed) note(r);
    };
    const done = kube.followLog(ns, pod.name, WORKER_CONTAINER, onLine, AbortSignal.any([signal, stop.signal])).catch((e: Error) => {
      // a container that has not started yet has no log: follow again at the next poll (nothing read, nothing doubled)
      if (lines === 0 && !finished.has(pod.name)) streams.delete(pod.name);
      log.debug(`log of ${pod.name}: ${e.message}`);
    });
    streams.set(pod.name, { done, stop });
  };
  /** waits for a finished pod's stream to drain; a simulated or stuck stream is cut after a grace period */
  const drain = async (podName: string) => {
    const s = streams.get(podName);
    if (!s) return;
    const drained = new AbortController();
    await Promise.race([s.done, delay(deps.drainMs ?? 3_000, undefined, { signal: drained.signal }).catch(() => undefined)]);
    drained.abort(); // a stream that drained in time leaves no grace timer behind
    s.stop.abort();
    await s.done;
  };

  await ensureNamespace(kube, ns);
  try {
    // the Secret first: a pod that starts before it exists would wait on it
    if (job.siteSecrets?.length) await createObject(kube, `/api/v1/namespaces/${ns}/secrets`, coordinated(buildSiteSecret(job, credentials)), `Secret ${name}`);
    await createObject(kube, `/api/v1/namespaces/${ns}/configmaps`, coordinated(buildConfigMap(job)), `ConfigMap ${name}`);
    const created = await createObject(kube, `/apis/batch/v1/namespaces/${ns}/jobs`, coordinated(buildJob(job, senderIndices)), `Job ${name}`);
    await ownByJob(kube, ns, name, created, job.siteSecrets?.length ? ['configmaps', 'secrets'] : ['configmaps']);
    log.info(`step ${job.step}: Job ${ns}/${name} with ${job.shards.length} load generator${job.shards.length === 1 ? '' : 's'} created`);
    const deadline = Date.now() + job.deadlineSeconds * 1000 + 60_000;
    const pendingSince = new Map<string, number>();
    while (!signal.aborted) {
      const pods = (await kube.pods(ns, `${RUN_LABEL}=${job.runId},jitsi-k8s/bench-step=${job.step}`)).map(podView);
      for (const pod of pods) {
        if (pod.node) outcome.nodes[pod.shard] = pod.node;
        podOfShard.set(pod.shard, pod.name);
        if (pod.phase === 'Pending') {
          const since = pendingSince.get(pod.name) ?? Date.now();
          pendingSince.set(pod.name, since);
          if (Date.now() - since >= (deps.stuckAfterMs ?? STUCK_AFTER_MS)) throw stuckWorker(pod, Date.now() - since);
          continue;
        }
        if (finished.has(pod.name)) continue;
        if (!streams.has(pod.name)) follow(pod);
        if (pod.phase === 'Succeeded' || pod.phase === 'Failed') {
          finished.add(pod.name);
          await drain(pod.name);
          if (pod.exitCode !== undefined && STOPPED_EXIT_CODES.has(pod.exitCode)) {
            outcome.workersStopped.push(pod.shard);
            const detail = `worker ${pod.name} (shard ${pod.shard}) was stopped (exit ${pod.exitCode}) after writing its last records`;
            log.warn(detail);
            write({ kind: 'event', event: 'worker-stopped', t: Date.now(), ...base, shard: pod.shard, pod: pod.name, detail });
          } else if (pod.phase === 'Failed' || (pod.exitCode !== undefined && pod.exitCode !== 0)) {
            outcome.workersDied.push(pod.shard);
            const detail = `worker ${pod.name} (shard ${pod.shard}) ended ${pod.reason ?? 'with an error'}${pod.exitCode !== undefined ? `, exit ${pod.exitCode}` : ''}`;
            log.warn(detail);
            write({ kind: 'event', event: 'worker-died', t: Date.now(), ...base, shard: pod.shard, pod: pod.name, detail });
          }
        }
      }
      const done = job.shards.every((s) => pods.some((p) => p.shard === s.index && finished.has(p.name)));
      if (done) break;
      if (Date.now() > deadline) {
        const missing = job.shards.filter((s) => !pods.some((p) => p.shard === s.index && finished.has(p.name))).map((s) => s.index);
        for (const shard of missing) {
          outcome.workersDied.push(shard);
          write({ kind: 'event', event: 'worker-died', t: Date.now(), ...base, shard, detail: `shard ${shard} did not finish before the deadline` });
        }
        break;
      }
      await delay(deps.pollMs ?? 2_000);
    }
  } finally {
    for (const { stop } of streams.values()) stop.abort();
    await Promise.all([...streams.values()].map((st) => st.done));
    await cleanupStep(kube, ns, name, log);
  }
  // participants of dead workers that never joined count as failed (and are recorded as such)
  for (const p of plan.participants) {
    const shard = shardOf.get(p.index);
    if (shard === undefined || !outcome.workersDied.includes(shard)) continue;
    if (!joinedNames.has(p.name) && !failedNames.has(p.name)) {
      failedNames.add(p.name);
      samples.append([{ kind: 'event', event: 'join-failed', t: Date.now(), ...base, shard, pod: podOfShard.get(shard), participant: p.name, detail: 'its load generator died' }]);
    }
  }
  outcome.joined = joinedNames.size;
  outcome.failed = failedNames.size;
  return outcome;
}
