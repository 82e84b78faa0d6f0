/** The k8s runner's coordinator against the fake API server (a contract fake: no cluster runs here). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openKube } from '../../src/cluster/kube.js';
import { parseWorkerLine, runWorkersStep } from '../../src/bench/k8s/coordinator.js';
import { DEFAULT_COST, jobName, type WorkerJobInput } from '../../src/bench/k8s/job.js';
import { shardAssignment } from '../../src/bench/k8s/shard.js';
import { openSamples } from '../../src/bench/samples-file.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';
import { fakePod, startFakeApiServer, type FakeApiServer, type Json } from '../support/fake-apiserver.js';

let api: FakeApiServer;
let kubeconfig: string;
const work = mkdtempSync(join(tmpdir(), 'jk8s-coord-'));
const quiet = { info: () => {}, warn: () => {}, debug: () => {} };

beforeAll(async () => {
  api = await startFakeApiServer();
  kubeconfig = api.writeKubeconfig();
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});
afterEach(() => {
  api.state.onJobCreated = undefined;
  api.state.pods = [];
  api.state.podLogs = {};
  api.requests.length = 0;
});

const scenario = parseScenario({ target: 'jitsi', url: 'https://meet.example.com', participants: 6, rooms: 3, senders: 3 });
const plan = assignParticipants(scenario);
const shards = shardAssignment(plan, { perPod: 2 });

function job(runId: string): WorkerJobInput {
  return { runId, step: 0, bridges: 1, namespace: 'jk8s-bench', scenario, shards, startAtMs: Date.now(), image: 'img', packageSpec: 'jitsi-k8s@0.1.0', cost: DEFAULT_COST, deadlineSeconds: 60, avoidBridges: { namespace: 'jitsi', release: 'jitsi' } };
}

const line = (o: object) => JSON.stringify({ t: Date.now(), step: 0, bridges: 1, phase: 'steady', ...o });

/** Adds one Running pod per shard when the Job is created, with log lines of the participants it drives. */
function workersFor(runId: string, opts: { deadShard?: number } = {}) {
  api.state.onJobCreated = (j: Json) => {
    for (const s of shards) {
      const name = `${j.metadata.name}-${s.index}-abcde`;
      const pod = fakePod({ name, namespace: 'jk8s-bench', node: `gen-${s.index}`, labels: { 'jitsi-k8s/bench-run': runId, 'jitsi-k8s/bench-step': '0', 'job-name': j.metadata.name, 'batch.kubernetes.io/job-completion-index': String(s.index) } });
      pod.status.phase = 'Running';
      api.state.pods.push(pod);
      const names = s.participants.map((i) => plan.participants[i]!.name);
      const dead = s.index === opts.deadShard;
      api.state.podLogs[`jk8s-bench/${name}`] = [
        'npm warn exec The following package was not found and will be installed',
        line({ kind: 'event', event: 'clock-offset', offsetMs: 40 + s.index }),
        ...(dead ? [] : names.map((p) => line({ kind: 'event', event: 'joined', participant: p }))),
        ...(dead ? [] : names.map((p) => line({ kind: 'participant', participant: p, room: 'r', role: 'receiver', intervalMs: 1000, audio: { packetsReceived: 50, packetsLost: 1, lossPct: 2, nackCount: 0 }, video: { packetsReceived: 0, packetsLost: 0, lossPct: 0, nackCount: 0 }, bitrateInKbps: 40, bitrateOutKbps: 0, framesDecoded: 0 }))),
        '',
      ].join('\n');
    }
  };
}

function finishPods(deadShard?: number) {
  for (const p of api.state.pods) {
    const shard = Number(p.metadata.labels['batch.kubernetes.io/job-completion-index']);
    const failed = shard === deadShard;
    p.status.phase = failed ? 'Failed' : 'Succeeded';
    p.status.containerStatuses = [{ name: 'worker', ready: false, restartCount: 0, state: { terminated: { exitCode: failed ? 137 : 0, reason: failed ? 'OOMKilled' : 'Completed' } } }];
  }
}

describe('k8s runner coordinator', () => {
  it('recognises sample lines and tags them; ignores everything else', () => {
    expect(parseWorkerLine('{"kind":"event","event":"joined","t":1}', 2, 'p')).toMatchObject({ kind: 'event', shard: 2, pod: 'p' });
    expect(parseWorkerLine('npm warn something', 0, 'p')).toBeUndefined();
    expect(parseWorkerLine('{"hello":1}', 0, 'p')).toBeUndefined();
    expect(parseWorkerLine('{"kind":"participant"', 0, 'p')).toBeUndefined();
  });

  it('creates ConfigMap + Job, merges every worker\'s samples, reports a dead worker, deletes both at the end', async () => {
    const runId = 'run1';
    workersFor(runId, { deadShard: 1 });
    const samples = openSamples(join(work, 'a'));
    const kube = openKube({ kubeconfig });
    const running = runWorkersStep(job(runId), { kube, samples, signal: new AbortController().signal, log: quiet, pollMs: 50, coordinatorOffsetMs: 10 });
    await vi.waitFor(() => expect(api.requests.filter((r) => r.path.endsWith('/log')).length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    finishPods(1);
    const outcome = await running;

    const posted = api.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    expect(posted).toEqual(['/api/v1/namespaces', '/api/v1/namespaces/jk8s-bench/configmaps', '/apis/batch/v1/namespaces/jk8s-bench/jobs']);
    const jobBody = JSON.parse(api.requests.find((r) => r.path.endsWith('/jobs') && r.method === 'POST')!.body);
    expect(jobBody.spec).toMatchObject({ completionMode: 'Indexed', completions: 3 });
    const deleted = api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
    expect(deleted).toEqual([`/apis/batch/v1/namespaces/jk8s-bench/jobs/${jobName(runId, 0)}`, `/api/v1/namespaces/jk8s-bench/configmaps/${jobName(runId, 0)}`]);
    expect(api.state.jobs).toEqual([]);
    expect(api.state.configMaps).toEqual([]);

    const records = readFileSync(samples.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records.filter((r) => r.kind === 'participant').map((r) => [r.participant, r.shard])).toEqual(
      shards.filter((s) => s.index !== 1).flatMap((s) => s.participants.map((i) => [plan.participants[i]!.name, s.index])),
    );
    expect(records.every((r) => typeof r.pod === 'string' && r.pod.startsWith(jobName(runId, 0)))).toBe(true);
    const died = records.filter((r) => r.event === 'worker-died');
    expect(died).toHaveLength(1);
    expect(died[0].detail).toContain('OOMKilled, exit 137');
    const deadNames = shards[1]!.participants.map((i) => plan.participants[i]!.name);
    expect(records.filter((r) => r.event === 'join-failed').map((r) => r.participant).sort()).toEqual(deadNames.sort());
    expect(outcome).toMatchObject({ joined: 4, failed: 2, workersDied: [1] });
    expect(outcome.clockSkewMs).toEqual({ 0: 30, 1: 31, 2: 32 });
    expect(outcome.nodes).toEqual({ 0: 'gen-0', 1: 'gen-1', 2: 'gen-2' });
  });

  it('Ctrl-C: stops following, still deletes the Job and the ConfigMap, keeps what was merged', async () => {
    const runId = 'run2';
    workersFor(runId);
    const samples = openSamples(join(work, 'b'));
    const controller = new AbortController();
    const running = runWorkersStep(job(runId), { kube: openKube({ kubeconfig, signal: controller.signal }), samples, signal: controller.signal, log: quiet, pollMs: 50 });
    await vi.waitFor(() => expect(readFileSync(samples.path, 'utf8').length).toBeGreaterThan(0), { timeout: 10_000 });
    controller.abort();
    await running.catch(() => undefined);
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path.split('/').slice(-2)[0])).toEqual(['jobs', 'configmaps']);
    expect(api.state.jobs).toEqual([]);
    expect(readFileSync(samples.path, 'utf8')).toContain('"shard":0');
  });
});
