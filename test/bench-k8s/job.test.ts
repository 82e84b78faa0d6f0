import { describe, expect, it } from 'vitest';
import { buildConfigMap, buildJob, DEFAULT_WORKER_IMAGE, jobName, workerResources, type ParticipantCost, type WorkerJobInput } from '../../src/bench/k8s/job.js';
import { shardAssignment } from '../../src/bench/k8s/shard.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';

/** A page's cost to a load generator (bench passes the one from src/bench/capacity.ts podCost). */
const DEFAULT_COST: ParticipantCost = { coresPerSender: 0.15, coresPerReceiver: 0.08, memoryMiBPerSender: 300, memoryMiBPerReceiver: 200 };

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function input(over: Partial<WorkerJobInput> = {}): { job: WorkerJobInput; senders: Set<number> } {
  const scenario = parseScenario({ target: 'jitsi', url: 'https://meet.example.com', participants: 60, rooms: 6, senders: 2 });
  const plan = assignParticipants(scenario);
  const shards = shardAssignment(plan, { perPod: 20 });
  const senders = new Set(plan.participants.filter((p) => p.role === 'sender').map((p) => p.index));
  return {
    job: {
      runId: 'r1a2',
      step: 0,
      bridges: 2,
      namespace: 'jitsi-k8s-bench',
      scenario,
      shards,
      startAtMs: 1_800_000_000_000,
      image: DEFAULT_WORKER_IMAGE,
      workerBundle: 'H4sI',
      cost: DEFAULT_COST,
      avoidBridges: { namespace: 'jitsi', release: 'jitsi' },
      deadlineSeconds: 900,
      ...over,
    },
    senders,
  };
}

describe('load generator Job', () => {
  it('an Indexed Job with one completion per shard, never retried', () => {
    const { job, senders } = input();
    const j = buildJob(job, senders) as Any;
    expect(j.apiVersion).toBe('batch/v1');
    expect(j.metadata.name).toBe(jobName('r1a2', 0));
    expect(j.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimit: 0, activeDeadlineSeconds: 900 });
  });

  it('gives a worker stopped by SIGTERM time to close its browsers and print its last records', async () => {
    const { STOP_GRACE_MS } = await import('../../src/bench/runner.js');
    const { job, senders } = input();
    const grace = (buildJob(job, senders) as Any).spec.template.spec.terminationGracePeriodSeconds;
    // Kubernetes' default (30 s) is not assumed: the pod says it, and it outlasts the worker's own bound
    expect(grace).toBeGreaterThanOrEqual((STOP_GRACE_MS / 1000) * 2);
  });

  it('runs the shipped worker program with the image Node, with its shard index: no registry at start', () => {
    const { job, senders } = input();
    const c = (buildJob(job, senders) as Any).spec.template.spec.containers[0];
    expect(c.image).toBe('ghcr.io/puppeteer/puppeteer:24.43.1');
    expect([...c.command, ...c.args]).toEqual(['node', '/worker/worker.mjs', '--spec', '/worker/worker.json', '--shard', '$(JOB_COMPLETION_INDEX)']);
    expect(c.volumeMounts).toContainEqual({ name: 'worker', mountPath: '/worker', readOnly: true });
    const cm = buildConfigMap(job) as Any;
    expect(Object.keys(cm.data).sort()).toEqual(['worker.json', 'worker.mjs']);
    expect(cm.binaryData).toEqual({ 'worker.bundle.mjs.gz': 'H4sI' });
  });

  it('mounts /dev/shm in memory and the scenario ConfigMap', () => {
    const { job, senders } = input();
    const spec = (buildJob(job, senders) as Any).spec.template.spec;
    expect(spec.volumes).toContainEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } });
    expect(spec.volumes).toContainEqual({ name: 'worker', configMap: { name: 'jk8s-bench-r1a2-s0' } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
  });

  it('keeps off the bridge nodes by default (required anti-affinity), overridable', () => {
    const { job, senders } = input();
    const aff = (buildJob(job, senders) as Any).spec.template.spec.affinity.podAntiAffinity;
    expect(aff.requiredDuringSchedulingIgnoredDuringExecution[0]).toEqual({
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'jitsi', 'app.kubernetes.io/component': 'jvb' } },
      namespaces: ['jitsi'],
      topologyKey: 'kubernetes.io/hostname',
    });
    const free = input({ avoidBridges: undefined, nodeSelector: { pool: 'loadgen' } });
    const spec = (buildJob(free.job, free.senders) as Any).spec.template.spec;
    expect(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(spec.nodeSelector).toEqual({ pool: 'loadgen' });
  });

  it('sizes requests from the participant cost of the largest shard', () => {
    const { job, senders } = input();
    // 20 per pod, 4 senders each: 4 × 0.15 + 16 × 0.08 + 0.5 overhead = 2.38 → 2400m; 4 × 300 + 16 × 200 + 512 = 4912 → 4928Mi (64Mi steps), limit × 1.5
    expect(workerResources(job.shards, DEFAULT_COST, senders)).toEqual({ requests: { cpu: '2400m', memory: '4928Mi' }, limits: { memory: '7424Mi' } });
    const measured = workerResources(job.shards, { coresPerSender: 0.3, coresPerReceiver: 0.05, memoryMiBPerSender: 400, memoryMiBPerReceiver: 150 }, senders);
    expect(measured.requests.cpu).toBe('2500m');
  });

  it('the ConfigMap carries the scenario, shards and the wall-clock start', () => {
    const { job } = input();
    const cm = buildConfigMap(job) as Any;
    const spec = JSON.parse(cm.data['worker.json']);
    expect(spec).toMatchObject({ runId: 'r1a2', step: 0, bridges: 2, startAtMs: 1_800_000_000_000 });
    expect(spec.shards).toHaveLength(3);
    expect(spec.scenario.participants).toBe(60);
  });
});
