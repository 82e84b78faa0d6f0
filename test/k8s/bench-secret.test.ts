/**
 * A protected site's token and room password reach the load-generator pods through a Secret, on
 * the REAL test control plane: the Job controller creates the pods, kwok runs them (no containers),
 * and everything is read back from the API server — the Secret while the Job runs, the pods' env
 * references, the absence of the values from every other object and output, and its deletion.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openKube } from '../../src/cluster/kube.js';
import { runWorkersStep } from '../../src/bench/k8s/coordinator.js';
import { jobName, WORKER_CONTAINER, type WorkerJobInput } from '../../src/bench/k8s/job.js';
import { shardAssignment } from '../../src/bench/k8s/shard.js';
import { openSamples } from '../../src/bench/samples-file.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';
import { CommandError } from '../../src/errors.js';
import { cluster, isGone, kubectl, kubectlJson, skipReason } from '../support/control-plane.js';

const ns = 'jk8s-bench-secret';
const scenario = parseScenario({ target: 'jitsi', url: 'https://meet.example.com', participants: 4, rooms: 2, senders: 1 });
const shards = shardAssignment(assignParticipants(scenario), { perPod: 2 });
const TOKEN = `eyJhbGciOiJIUzI1NiJ9.test-${randomBytes(12).toString('hex')}`;
const PASSWORD = `room-${randomBytes(8).toString('hex')}`;
const credentials = { jwt: TOKEN, roomPassword: PASSWORD };
/** every form the values could leak in: as is, and base64 (a Secret's encoding) */
const leaks = [TOKEN, PASSWORD, Buffer.from(TOKEN).toString('base64'), Buffer.from(PASSWORD).toString('base64')];

afterAll(() => {
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

function job(runId: string, extra: Partial<WorkerJobInput> = {}): WorkerJobInput {
  const cost = { coresPerSender: 0.15, coresPerReceiver: 0.08, memoryMiBPerSender: 300, memoryMiBPerReceiver: 200 };
  return { runId, step: 0, bridges: 1, namespace: ns, scenario, shards, startAtMs: Date.now(), image: 'ghcr.io/puppeteer/puppeteer:24.43.1', workerBundle: 'H4sI', cost, deadlineSeconds: 120, ...extra };
}

const gone = (kind: string, name: string) => isGone(ns, kind, name);

interface Pod {
  metadata: { name: string };
  spec: { containers: { name: string; command?: string[]; args?: string[]; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }[] };
  status: { phase: string };
}

/** A coordinator log that keeps every line it is given. */
function recordingLog() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), debug: (m: string) => lines.push(m) } };
}

describe.skipIf(!cluster)(`bench --runner k8s with a protected site on a real control plane${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('the token and room password travel in a Secret the pods reference, appear nowhere else, and the Secret goes with the Job on Ctrl-C', { timeout: 120_000 }, async () => {
    const runId = `k${Date.now().toString(36)}`;
    const name = jobName(runId, 0);
    const dir = join(cluster!.dir, runId);
    mkdirSync(dir, { recursive: true });
    const samples = openSamples(dir);
    const { lines, log } = recordingLog();
    const interrupt = new AbortController();
    const kube = openKube({ kubeconfig: cluster!.kubeconfig, signal: interrupt.signal });
    const running = runWorkersStep(job(runId), { kube, samples, signal: interrupt.signal, log, pollMs: 500, credentials }).catch((e: unknown) => e);
    let pods: Pod[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      pods = kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', `jitsi-k8s/bench-run=${runId}`]).items;
      if (pods.length === shards.length && pods.every((p) => p.status.phase === 'Running')) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(pods.map((p) => p.status.phase)).toEqual(shards.map(() => 'Running'));

    // while the Job runs: its Secret holds exactly the two values, under the keys the pods reference
    const secret = kubectlJson<{ type: string; data: Record<string, string>; metadata: { labels: Record<string, string> } }>(['get', 'secret', '-n', ns, name]);
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata.labels['jitsi-k8s/bench-run']).toBe(runId);
    expect(Object.keys(secret.data).sort()).toEqual(['jwt', 'room-password']);
    expect(Buffer.from(secret.data.jwt!, 'base64').toString()).toBe(TOKEN);
    expect(Buffer.from(secret.data['room-password']!, 'base64').toString()).toBe(PASSWORD);
    for (const pod of pods) {
      const worker = pod.spec.containers.find((c) => c.name === WORKER_CONTAINER)!;
      const env = Object.fromEntries((worker.env ?? []).map((e) => [e.name, e]));
      expect(env.JK8S_JWT).toEqual({ name: 'JK8S_JWT', valueFrom: { secretKeyRef: { name, key: 'jwt' } } });
      expect(env.JK8S_ROOM_PASSWORD).toEqual({ name: 'JK8S_ROOM_PASSWORD', valueFrom: { secretKeyRef: { name, key: 'room-password' } } });
      expect([...(worker.command ?? []), ...(worker.args ?? [])].join(' ')).not.toMatch(/jwt|password|eyJ/i);
    }
    // the values are in no other object, argv or output
    const elsewhere = [
      kubectl(['get', 'job', '-n', ns, name, '-o', 'json']),
      kubectl(['get', 'configmap', '-n', ns, name, '-o', 'json']),
      kubectl(['get', 'pods', '-n', ns, '-l', `jitsi-k8s/bench-run=${runId}`, '-o', 'json']),
      kubectl(['get', 'events', '-n', ns, '-o', 'json']),
    ];
    for (const text of elsewhere) for (const value of leaks) expect(text.includes(value)).toBe(false);

    interrupt.abort();
    await running;
    for (const text of [...lines, readFileSync(samples.path, 'utf8')]) for (const value of leaks) expect(text.includes(value)).toBe(false);
    expect(lines.some((l) => l.includes(name))).toBe(true);
    expect(gone('secret', name)).toBe(true);
    expect(gone('job', name)).toBe(true);
    expect(gone('configmap', name)).toBe(true);
  });

  it('a step that fails (its worker cannot be scheduled) deletes its Secret too', { timeout: 90_000 }, async () => {
    const runId = `f${Date.now().toString(36)}`;
    const name = jobName(runId, 0);
    const dir = join(cluster!.dir, runId);
    mkdirSync(dir, { recursive: true });
    const { lines, log } = recordingLog();
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    let seenWhilePending = false;
    const watcher = setInterval(() => {
      if (!seenWhilePending) seenWhilePending = !gone('secret', name);
    }, 500);
    const err = await runWorkersStep(job(runId, { nodeSelector: { 'jitsi-k8s.test/pool': 'nowhere' } }), { kube, samples: openSamples(dir), signal: new AbortController().signal, log, pollMs: 500, stuckAfterMs: 8_000, credentials: { jwt: TOKEN } })
      .catch((e: unknown) => e)
      .finally(() => clearInterval(watcher));
    expect(err).toBeInstanceOf(CommandError);
    expect(seenWhilePending).toBe(true);
    for (const text of [...lines, (err as Error).message, (err as CommandError).hint ?? '']) for (const value of leaks) expect(text.includes(value)).toBe(false);
    expect(gone('secret', name)).toBe(true);
    expect(gone('job', name)).toBe(true);
    expect(gone('configmap', name)).toBe(true);
  });

  it('without a token or password no Secret is created and the pods get no such variables', { timeout: 60_000 }, async () => {
    const runId = `n${Date.now().toString(36)}`;
    const name = jobName(runId, 0);
    const dir = join(cluster!.dir, runId);
    mkdirSync(dir, { recursive: true });
    const kube = openKube({ kubeconfig: cluster!.kubeconfig });
    let secretSeen = false;
    let envNames: string[] = [];
    const watcher = setInterval(() => {
      secretSeen ||= !gone('secret', name);
      const pods = kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', `jitsi-k8s/bench-run=${runId}`]).items;
      if (pods[0]) envNames = (pods[0].spec.containers[0]!.env ?? []).map((e) => e.name);
    }, 500);
    await runWorkersStep(job(runId, { nodeSelector: { 'jitsi-k8s.test/pool': 'nowhere' } }), { kube, samples: openSamples(dir), signal: new AbortController().signal, log: recordingLog().log, pollMs: 500, stuckAfterMs: 5_000 })
      .catch(() => {})
      .finally(() => clearInterval(watcher));
    expect(secretSeen).toBe(false);
    expect(envNames).toContain('POD_NAME');
    expect(envNames).not.toContain('JK8S_JWT');
    expect(envNames).not.toContain('JK8S_ROOM_PASSWORD');
  });
});
