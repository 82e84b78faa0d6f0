/**
 * The load generators as Kubernetes objects: one ConfigMap with the scenario, the shard plan and
 * the worker program (dist/worker.mjs, one bundled file, gzipped), one Indexed Job with a
 * completion per shard running `node /worker/worker.mjs`, and for a protected site one Secret with
 * its token and room password (the pods read them as environment variables). Pure: `--dry-run`
 * prints these, the Secret's values redacted.
 */
import { JWT_ENV, ROOM_PASSWORD_ENV } from '../options.js';
import type { Scenario } from '../scenario.js';
import type { SiteCredentials } from '../step/join.js';
import type { Shard } from './shard.js';

/** The official puppeteer image (Chrome + Node) at the tag matching our puppeteer-core. */
export const DEFAULT_WORKER_IMAGE = 'ghcr.io/puppeteer/puppeteer:24.43.1';
export const WORKER_CONTAINER = 'worker';
/** where the ConfigMap (spec, worker program) is mounted in the pod */
export const WORKER_MOUNT = '/worker';

/**
 * The ConfigMap's `worker.mjs`: unpacks the gzipped bundle beside it into a temp dir and runs it
 * with the same arguments (a ConfigMap holds at most 1 MiB; the bundle is larger unpacked).
 */
export const WORKER_LOADER = [
  '// jitsi-k8s load generator: unpacks worker.bundle.mjs.gz (beside this file) and runs it',
  "import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';",
  "import { tmpdir } from 'node:os';",
  "import { join } from 'node:path';",
  "import { pathToFileURL } from 'node:url';",
  "import { gunzipSync } from 'node:zlib';",
  "const file = join(mkdtempSync(join(tmpdir(), 'jitsi-k8s-worker-')), 'worker.bundle.mjs');",
  "writeFileSync(file, gunzipSync(readFileSync(new URL('./worker.bundle.mjs.gz', import.meta.url))));",
  'await import(pathToFileURL(file).href);',
  '',
].join('\n');
export const RUN_LABEL = 'jitsi-k8s/bench-run';
/** The official puppeteer image's user (`USER $PPTRUSER_UID`, puppeteer's docker/Dockerfile) and where its Chrome is. */
export const WORKER_UID = 10042;
export const WORKER_IMAGE_CACHE = '/home/pptruser/.cache/puppeteer';
/** The one writable place of a worker pod (an emptyDir): temp files, Chrome's profile, its HOME. */
export const WORKER_TMP = '/tmp';

/**
 * What the "restricted" Pod Security Standard asks of a pod, for every pod jitsi-k8s creates: non-root,
 * seccomp RuntimeDefault (pod); no privilege escalation, every capability dropped, read-only root (container).
 */
export function restrictedPodSecurity(uid: number): { pod: Record<string, unknown>; container: Record<string, unknown> } {
  return {
    pod: { runAsNonRoot: true, runAsUser: uid, seccompProfile: { type: 'RuntimeDefault' } },
    container: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  };
}
/** Seconds Kubernetes waits between SIGTERM and SIGKILL for a worker pod: twice the worker's own bound. */
export const WORKER_TERMINATION_GRACE_S = 30;

/** What one participant costs a load generator (src/bench/capacity.ts: from `bench calibrate` or the built-in estimate). */
export interface ParticipantCost {
  coresPerSender: number;
  coresPerReceiver: number;
  memoryMiBPerSender: number;
  memoryMiBPerReceiver: number;
}

/** Chrome's own processes and Node per pod. */
const POD_OVERHEAD = { cores: 0.5, memoryMiB: 512 };

export interface WorkerJobInput {
  runId: string;
  step: number;
  /** bridges in this step (label and scenario) */
  bridges: number;
  namespace: string;
  scenario: Scenario;
  shards: Shard[];
  /** wall-clock start of ramp-up for every worker, ms since the epoch */
  startAtMs: number;
  image: string;
  /** dist/worker.mjs gzipped, base64: the program the pods run (no registry needed at start) */
  workerBundle: string;
  cost: ParticipantCost;
  nodeSelector?: Record<string, string>;
  /** keep load generators off the nodes that run these bridges (default on) */
  avoidBridges?: { namespace: string; release: string };
  /** seconds before Kubernetes stops the Job whatever happens */
  deadlineSeconds: number;
  /** which site credentials the step's Secret holds (the values travel only in the Secret) */
  siteSecrets?: (keyof SiteCredentials)[];
}

/** Each credential's key in the Secret and the variable the worker reads it from (options.ts). */
const SECRET_KEYS: Record<keyof SiteCredentials, { key: string; env: string }> = {
  jwt: { key: 'jwt', env: JWT_ENV },
  roomPassword: { key: 'room-password', env: ROOM_PASSWORD_ENV },
};

/** The credentials present, in a fixed order: what the Job references. */
export function siteSecretNames(c: SiteCredentials): (keyof SiteCredentials)[] {
  return (Object.keys(SECRET_KEYS) as (keyof SiteCredentials)[]).filter((k) => c[k] !== undefined);
}

export function jobName(runId: string, step: number): string {
  return `jk8s-bench-${runId}-s${step}`;
}

const labels = (runId: string, step: number) => ({
  'app.kubernetes.io/managed-by': 'jitsi-k8s',
  'app.kubernetes.io/component': 'bench-worker',
  [RUN_LABEL]: runId,
  'jitsi-k8s/bench-step': String(step),
});

/** Requests for the biggest shard (every pod of the Job gets the same template). */
export function workerResources(shards: Shard[], cost: ParticipantCost, senderIndices: Set<number>) {
  let cores = 0;
  let memory = 0;
  for (const s of shards) {
    const senders = s.participants.filter((i) => senderIndices.has(i)).length;
    const receivers = s.participants.length - senders;
    cores = Math.max(cores, senders * cost.coresPerSender + receivers * cost.coresPerReceiver);
    memory = Math.max(memory, senders * cost.memoryMiBPerSender + receivers * cost.memoryMiBPerReceiver);
  }
  const cpuMilli = Math.ceil((cores + POD_OVERHEAD.cores) * 10) * 100;
  const memMiB = Math.ceil((memory + POD_OVERHEAD.memoryMiB) / 64) * 64;
  return { requests: { cpu: `${cpuMilli}m`, memory: `${memMiB}Mi` }, limits: { memory: `${Math.ceil((memMiB * 1.5) / 64) * 64}Mi` } };
}

export interface WorkerSpec {
  runId: string;
  step: number;
  bridges: number;
  startAtMs: number;
  scenario: Scenario;
  shards: Shard[];
}

export function buildConfigMap(input: WorkerJobInput): Record<string, unknown> {
  const spec: WorkerSpec = { runId: input.runId, step: input.step, bridges: input.bridges, startAtMs: input.startAtMs, scenario: input.scenario, shards: input.shards };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: jobName(input.runId, input.step), namespace: input.namespace, labels: labels(input.runId, input.step) },
    data: { 'worker.json': JSON.stringify(spec), 'worker.mjs': WORKER_LOADER },
    binaryData: { 'worker.bundle.mjs.gz': input.workerBundle },
  };
}

/** The step's Secret (named like its Job): the only place the token and room password go. `redacted`: for --dry-run, values replaced. */
export function buildSiteSecret(input: Pick<WorkerJobInput, 'runId' | 'step' | 'namespace'>, credentials: SiteCredentials, o: { redacted?: boolean } = {}): Record<string, unknown> {
  const values: Record<string, string> = {};
  for (const k of siteSecretNames(credentials)) values[SECRET_KEYS[k].key] = o.redacted ? '<redacted>' : Buffer.from(credentials[k]!, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: jobName(input.runId, input.step), namespace: input.namespace, labels: labels(input.runId, input.step) },
    type: 'Opaque',
    ...(o.redacted ? { stringData: values } : { data: values }),
  };
}

export function buildJob(input: WorkerJobInput, senderIndices: Set<number>): Record<string, unknown> {
  const name = jobName(input.runId, input.step);
  const podLabels = labels(input.runId, input.step);
  const n = input.shards.length;
  const antiAffinity = input.avoidBridges
    ? {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: {
              matchLabels: { 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': input.avoidBridges.release, 'app.kubernetes.io/component': 'jvb' },
            },
            namespaces: [input.avoidBridges.namespace],
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      }
    : {};
  const security = restrictedPodSecurity(WORKER_UID);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: input.namespace, labels: podLabels },
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: n,
      // a dead worker is reported (its participants count as failed), never silently retried
      backoffLimit: 0,
      activeDeadlineSeconds: input.deadlineSeconds,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: podLabels },
        spec: {
          restartPolicy: 'Never',
          // the workers never talk to the API server: no token in the pod
          automountServiceAccountToken: false,
          securityContext: security.pod,
          // on SIGTERM (pod or Job deleted, node drained, deadline) the worker stops, closes its browsers and
          // prints its last records within 15 s (runner.ts STOP_GRACE_MS)
          terminationGracePeriodSeconds: WORKER_TERMINATION_GRACE_S,
          ...(input.nodeSelector && Object.keys(input.nodeSelector).length > 0 ? { nodeSelector: input.nodeSelector } : {}),
          affinity: {
            podAntiAffinity: {
              ...antiAffinity,
              // spread the generators themselves over nodes where possible
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { [RUN_LABEL]: input.runId } }, topologyKey: 'kubernetes.io/hostname' } },
              ],
            },
          },
          containers: [
            {
              name: WORKER_CONTAINER,
              image: input.image,
              // the image's Node runs the shipped program; Chrome is found in the image (puppeteer's cache)
              command: ['node'],
              args: [`${WORKER_MOUNT}/worker.mjs`, '--spec', `${WORKER_MOUNT}/worker.json`, '--shard', '$(JOB_COMPLETION_INDEX)'],
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'NO_COLOR', value: '1' },
                // the root filesystem is read-only: Chrome's profile, caches and the unpacked program go to the emptyDir;
                // Chrome stays where the image put it
                { name: 'HOME', value: WORKER_TMP },
                { name: 'TMPDIR', value: WORKER_TMP },
                { name: 'PUPPETEER_CACHE_DIR', value: WORKER_IMAGE_CACHE },
                ...(input.siteSecrets ?? []).map((k) => ({ name: SECRET_KEYS[k].env, valueFrom: { secretKeyRef: { name, key: SECRET_KEYS[k].key } } })),
              ],
              resources: workerResources(input.shards, input.cost, senderIndices),
              securityContext: security.container,
              volumeMounts: [
                { name: 'tmp', mountPath: WORKER_TMP },
                { name: 'worker', mountPath: WORKER_MOUNT, readOnly: true },
                // Chrome needs more shared memory than a container's default 64 MiB
                { name: 'dshm', mountPath: '/dev/shm' },
              ],
            },
          ],
          volumes: [
            { name: 'worker', configMap: { name } },
            { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '2Gi' } },
          ],
        },
      },
    },
  };
}
