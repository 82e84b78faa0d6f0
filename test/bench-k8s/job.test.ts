import { describe, expect, it } from 'vitest';
import { buildConfigMap, buildJob, DEFAULT_COST, DEFAULT_WORKER_IMAGE, jobName, workerResources, type WorkerJobInput } from '../../src/bench/k8s/job.js';
import { shardAssignment } from '../../src/bench/k8s/shard.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function input(over: Partial<WorkerJobInput> = {}): { job: WorkerJobInput; senders: Set<number> } {
  const scenario = parseScenario({ target: 'jitsi', url: 'https://meet.example.com', participants: 60, rooms: 6, senders: 12 });
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
      packageSpec: 'jitsi-k8s@0.1.0',
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

  it('runs the same package in worker mode with its shard index', () => {
    const { job, senders } = input();
    const c = (buildJob(job, senders) as Any).spec.template.spec.containers[0];
    expect(c.image).toBe('ghcr.io/puppeteer/puppeteer:24.43.1');
    expect(c.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(c.command[2]).toContain("--prefix /tmp/jitsi-k8s 'jitsi-k8s@0.1.0'");
    expect(c.args).toEqual(['bench', 'worker', '--spec', '/etc/jitsi-k8s-bench/worker.json', '--shard', '$(JOB_COMPLETION_INDEX)']);
    const preinstalled = (buildJob({ ...job, packageSpec: 'jitsi-k8s' }, senders) as Any).spec.template.spec.containers[0];
    expect([...preinstalled.command, ...preinstalled.args].slice(0, 3)).toEqual(['jitsi-k8s', 'bench', 'worker']);
  });

  it('the container command installs the package, then execs it: the kubelet\'s SIGTERM reaches jitsi-k8s itself', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'jk8s-job-cmd-'));
    try {
      // a local package named jitsi-k8s stands in for the published one (no registry here): it reports
      // its argv, and on SIGTERM says so and exits 143 as src/cli.ts does
      const pkg = join(dir, 'pkg');
      mkdirSync(join(pkg, 'bin'), { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'jitsi-k8s', version: '0.0.0', bin: { 'jitsi-k8s': 'bin/cli.mjs' } }));
      writeFileSync(
        join(pkg, 'bin/cli.mjs'),
        "#!/usr/bin/env node\nprocess.on('SIGTERM', () => { console.log('SIGTERM'); process.exit(143); });\nconsole.log(JSON.stringify({ pid: process.pid, argv: process.argv.slice(2) }));\nsetInterval(() => {}, 1000);\n",
        { mode: 0o755 },
      );
      const { job, senders } = input({ packageSpec: pkg });
      const c = (buildJob(job, senders) as Any).spec.template.spec.containers[0];
      // as the kubelet runs it: $(JOB_COMPLETION_INDEX) expanded; the install prefix moved into this test's folder
      const command = (c.command as string[]).map((a) => a.replaceAll('/tmp/jitsi-k8s', join(dir, 'prefix')));
      const args = (c.args as string[]).map((a) => a.replace('$(JOB_COMPLETION_INDEX)', '2'));
      const child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const until = Date.now() + 60_000;
      while (!stdout.includes('argv') && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      const started = JSON.parse(stdout.split('\n')[0]!) as { pid: number; argv: string[] };
      expect(started.argv).toEqual(['bench', 'worker', '--spec', '/etc/jitsi-k8s-bench/worker.json', '--shard', '2']);
      expect(started.pid).toBe(child.pid); // exec'd: the shell is gone, jitsi-k8s is the process the kubelet signals
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(stdout).toContain('SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('mounts /dev/shm in memory and the scenario ConfigMap', () => {
    const { job, senders } = input();
    const spec = (buildJob(job, senders) as Any).spec.template.spec;
    expect(spec.volumes).toContainEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } });
    expect(spec.volumes).toContainEqual({ name: 'scenario', configMap: { name: 'jk8s-bench-r1a2-s0' } });
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
