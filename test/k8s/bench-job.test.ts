/**
 * `bench --runner k8s` against the REAL test control plane: the real Job controller creates the
 * Indexed pods, the scheduler places them on kwok's simulated nodes, and the test plays the kubelet
 * where kwok cannot know better — it writes each worker's log (the JSON lines a worker prints) and
 * ends a pod with an exit code. Everything else (objects, phases, deletion, log streaming through
 * the API server) is Kubernetes' own.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openKube } from '../../src/cluster/kube.js';
import { runWorkersStep } from '../../src/bench/k8s/coordinator.js';
import { jobName, WORKER_CONTAINER, type ParticipantCost, type WorkerJobInput } from '../../src/bench/k8s/job.js';
import { shardAssignment } from '../../src/bench/k8s/shard.js';
import { openSamples } from '../../src/bench/samples-file.js';
import type { SampleRecord } from '../../src/bench/samples.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';
import { CommandError } from '../../src/errors.js';
import { cluster, isGone, kubectl, kubectlJson, skipReason } from '../support/control-plane.js';

const ns = 'jk8s-bench-real';
const quiet = { info: () => {}, warn: () => {}, debug: () => {} };
/** A page's cost to a load generator (bench passes the one from src/bench/capacity.ts podCost). */
const DEFAULT_COST: ParticipantCost = { coresPerSender: 0.15, coresPerReceiver: 0.08, memoryMiBPerSender: 300, memoryMiBPerReceiver: 200 };
// senders count per room: one in each of the 3 rooms
const scenario = parseScenario({ target: 'jitsi', url: 'https://meet.example.com', participants: 6, rooms: 3, senders: 1 });
const plan = assignParticipants(scenario);
const shards = shardAssignment(plan, { perPod: 2 });
const logsDir = cluster ? join(cluster.dir, 'pod-logs') : '';

afterAll(() => {
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

function job(runId: string, extra: Partial<WorkerJobInput> = {}): WorkerJobInput {
  return { runId, step: 0, bridges: 1, namespace: ns, scenario, shards, startAtMs: Date.now(), image: 'ghcr.io/puppeteer/puppeteer:24.43.1', workerBundle: 'H4sI', cost: DEFAULT_COST, deadlineSeconds: 120, ...extra };
}

/** a kubelet's CRI log line */
const cri = (line: string) => `${new Date().toISOString()} stdout F ${line}\n`;
const record = (o: object) => JSON.stringify({ t: Date.now(), step: 0, bridges: 1, phase: 'steady', ...o });

interface Pod {
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  status: { phase: string };
}

/**
 * Plays the kubelet for the worker pods of a run: once a pod runs, serves a log for it (kwok Logs
 * object → a file that grows), then ends it with the exit code `exitCodeOf(shard)` gives.
 */
function playWorkers(runId: string, exitCodeOf: (shard: number) => number | undefined, signal: AbortSignal): Promise<void> {
  mkdirSync(logsDir, { recursive: true });
  const served = new Set<string>();
  const ended = new Set<string>();
  return (async () => {
    while (!signal.aborted) {
      const pods = kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', `jitsi-k8s/bench-run=${runId}`]).items;
      for (const pod of pods) {
        const name = pod.metadata.name;
        const shard = Number(pod.metadata.labels['batch.kubernetes.io/job-completion-index']);
        if (pod.status.phase !== 'Running') continue;
        if (!served.has(name)) {
          served.add(name);
          const file = join(logsDir, `${name}.log`);
          writeFileSync(file, cri('worker starting: chrome at /home/pptruser/.cache/puppeteer'));
          kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Logs', metadata: { name, namespace: ns }, spec: { logs: [{ containers: [WORKER_CONTAINER], logsFile: file, follow: true }] } }));
          const names = shards.find((s) => s.index === shard)!.participants.map((i) => plan.participants[i]!.name);
          const code = exitCodeOf(shard);
          // lines arrive while the pod runs: the coordinator must pick them up from the stream
          setTimeout(() => {
            appendFileSync(file, cri('npm warn exec this line is not a sample'));
            appendFileSync(file, cri(record({ kind: 'event', event: 'clock-offset', offsetMs: 30 + shard })));
            if (code === 1) return;
            for (const p of names) appendFileSync(file, cri(record({ kind: 'event', event: 'joined', participant: p })));
            for (const p of names) appendFileSync(file, cri(record({ kind: 'participant', participant: p, room: 'r', role: 'receiver', intervalMs: 1000, audio: { packetsReceived: 50, packetsLost: 1, lossPct: 2, nackCount: 0 }, video: { packetsReceived: 0, packetsLost: 0, lossPct: 0, nackCount: 0 }, bitrateInKbps: 40, bitrateOutKbps: 0, framesDecoded: 0 })));
          }, 1_500);
          if (code !== undefined) {
            setTimeout(() => {
              try {
                kubectl(['annotate', 'pod', '-n', ns, name, `jitsi-k8s.test/exit-code=${code}`]);
                ended.add(name);
              } catch {
                // the step already ended and deleted the pod
              }
            }, 4_000);
          }
        }
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
}

const gone = (kind: string, name: string) => isGone(ns, kind, name);

describe.skipIf(!cluster)(`bench --runner k8s on a real control plane${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('the Job controller runs one pod per shard; logs stream in; a failed pod is a dead worker, one stopped by SIGTERM is not; Job and ConfigMap are deleted', { timeout: 240_000 }, async () => {
    const runId = `r${Date.now().toString(36)}`;
    const stop = new AbortController();
    const player = playWorkers(runId, (shard) => (shard === 1 ? 1 : shard === 2 ? 143 : 0), stop.signal);
    const dir = join(cluster!.dir, runId);
    mkdirSync(dir, { recursive: true });
    const samples = openSamples(dir);
    const seen: SampleRecord[] = [];
    const writer = { path: samples.path, count: 0, append: (rs: SampleRecord[]) => (seen.push(...rs), samples.append(rs)) };
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    try {
      const outcome = await runWorkersStep(job(runId), { kube, samples: writer, signal: new AbortController().signal, log: quiet, pollMs: 500, drainMs: 1_000 });
      expect(Object.keys(outcome.nodes).sort()).toEqual(shards.map((s) => String(s.index)).sort());
      expect(outcome.nodes[0]).toMatch(/^node-\d$/);
      expect(outcome.workersDied).toEqual([1]);
      // shard 2's pod ended on the kubelet's SIGTERM (exit 143) after writing its records: stopped, not dead
      expect(outcome.workersStopped).toEqual([2]);
      // shards 0 and 2 joined their participants; shard 1's never did and count as failed
      expect(outcome.joined).toBe(4);
      expect(outcome.failed).toBe(2);
      expect(outcome.clockSkewMs).toMatchObject({ 0: 30, 2: 32 });
      expect(seen.some((r) => r.kind === 'event' && r.event === 'worker-died' && r.shard === 1 && /exit 1/.test(r.detail ?? ''))).toBe(true);
      expect(seen.some((r) => r.kind === 'event' && r.event === 'worker-stopped' && r.shard === 2 && /exit 143/.test(r.detail ?? ''))).toBe(true);
      // every participant record came through the stream, tagged with its shard and pod; other lines are dropped
      const written = readFileSync(samples.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SampleRecord & { participant?: string });
      expect(written.filter((r) => r.kind === 'participant').map((r) => [r.participant, r.shard]).sort()).toEqual(
        shards.filter((sh) => sh.index !== 1).flatMap((sh) => sh.participants.map((i) => [plan.participants[i]!.name, sh.index])).sort(),
      );
      expect(written.every((r) => typeof r.pod === 'string' && r.pod.startsWith(jobName(runId, 0)))).toBe(true);
      const deadNames = shards[1]!.participants.map((i) => plan.participants[i]!.name).sort();
      expect(written.filter((r) => r.kind === 'event' && r.event === 'join-failed').map((r) => r.participant).sort()).toEqual(deadNames);
    } finally {
      stop.abort();
      await player;
    }
    expect(gone('job', jobName(runId, 0))).toBe(true);
    expect(gone('configmap', jobName(runId, 0))).toBe(true);
  });

  it('a worker that cannot be scheduled stops the step with the scheduler\'s reason well within 60 s, and its objects are deleted', { timeout: 90_000 }, async () => {
    const runId = `u${Date.now().toString(36)}`;
    const dir = join(cluster!.dir, runId);
    mkdirSync(dir, { recursive: true });
    const samples = openSamples(dir);
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    const t0 = Date.now();
    const err = await runWorkersStep(job(runId, { nodeSelector: { 'jitsi-k8s.test/pool': 'load-generators' } }), { kube, samples, signal: new AbortController().signal, log: quiet, pollMs: 500, stuckAfterMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toMatch(/Pending after \d+ s: Unschedulable: 0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector/);
    expect((err as CommandError).hint).toMatch(/node-selector/);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(gone('job', jobName(runId, 0))).toBe(true);
    expect(gone('configmap', jobName(runId, 0))).toBe(true);
  });

  it('an image that cannot be pulled is named with the kubelet\'s reason', { timeout: 90_000 }, async () => {
    const runId = `i${Date.now().toString(36)}`;
    const dir = join(cluster!.dir, runId);
    mkdirSync(dir, { recursive: true });
    const samples = openSamples(dir);
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    const err = await runWorkersStep(job(runId, { image: 'registry.invalid/unpullable:1' }), { kube, samples, signal: new AbortController().signal, log: quiet, pollMs: 500, stuckAfterMs: 8_000 }).catch((e: unknown) => e);
    expect((err as CommandError).message).toMatch(/Pending after \d+ s: ErrImagePull: failed to pull image registry.invalid\/unpullable:1/);
    expect((err as CommandError).hint).toMatch(/image/);
    expect(gone('job', jobName(runId, 0))).toBe(true);
  });

  it('an interrupted run (Ctrl-C) deletes its Job and ConfigMap, read back from the API server', { timeout: 90_000 }, async () => {
    const runId = `c${Date.now().toString(36)}`;
    const stop = new AbortController();
    const player = playWorkers(runId, () => undefined, stop.signal);
    const dir = join(cluster!.dir, runId);
    mkdirSync(dir, { recursive: true });
    const samples = openSamples(dir);
    const interrupt = new AbortController();
    const kube = openKube({ kubeconfig: cluster!.kubeconfig, signal: interrupt.signal });
    const running = runWorkersStep(job(runId), { kube, samples, signal: interrupt.signal, log: quiet, pollMs: 500 }).catch((e: unknown) => e);
    // wait until the workers run, then interrupt
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const pods = kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', `jitsi-k8s/bench-run=${runId}`]).items;
      if (pods.length === shards.length && pods.every((p) => p.status.phase === 'Running') && readFileSync(samples.path, 'utf8').includes('clock-offset')) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(gone('job', jobName(runId, 0))).toBe(false);
    interrupt.abort();
    await running;
    stop.abort();
    await player;
    expect(gone('job', jobName(runId, 0))).toBe(true);
    expect(gone('configmap', jobName(runId, 0))).toBe(true);
    // what was merged before the interrupt is kept
    expect(readFileSync(samples.path, 'utf8')).toContain('"event":"clock-offset"');
  });
});
