/** Worker mode for real: the built bin, a shard spec, real Chromium into the local loopback conference. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { measureClockOffset } from '../../src/bench/k8s/clock.js';
import type { WorkerSpec } from '../../src/bench/k8s/job.js';
import { shardAssignment } from '../../src/bench/k8s/shard.js';
import { shardPlan } from '../../src/bench/k8s/worker.js';
import { startLoopbackConference, type LoopbackConference } from '../../src/bench/loopback/server.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';
import { cliAsync } from '../support/cli.js';
import { processesMarked } from '../support/processes.js';
import { chromiumBin, cliBin, repoRoot } from '../support/tools.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STEADY = /"phase":"steady","kind":"participant"/;

/** Runs a worker program (the CLI's or the pod's) until its participants are steady, then sends SIGTERM; the exit and its output. */
async function sigtermWhenSteady(argv: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, argv, { env: { ...process.env, CI: '1', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  try {
    for (const until = Date.now() + 90_000; !STEADY.test(stdout) && Date.now() < until && child.exitCode === null; ) await new Promise((r) => setTimeout(r, 200));
    expect(stdout, stderr).toMatch(STEADY);
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    return { code, afterMs: at - sentAt, stdout, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

let conf: LoopbackConference;
const work = mkdtempSync(join(tmpdir(), 'jk8s-worker-'));
beforeAll(async () => {
  conf = await startLoopbackConference('127.0.0.1');
});
afterAll(async () => {
  await conf.close();
  rmSync(work, { recursive: true, force: true });
});

describe('bench worker', () => {
  it('a shard keeps its join offsets, browsers renumbered', () => {
    const full = assignParticipants(parseScenario({ participants: 8, rooms: 2, senders: 1, participantsPerBrowser: 2 }));
    const part = shardPlan(full, [1, 3, 5, 7]);
    expect(part.participants.map((p) => [p.name, p.joinAtMs])).toEqual([
      ['bench-2', 500],
      ['bench-4', 1500],
      ['bench-6', 2500],
      ['bench-8', 3500],
    ]);
    expect(part.browsers.map((b) => b.index)).toEqual(part.browsers.map((_, i) => i));
    expect(new Set(part.participants.map((p) => p.browser)).size).toBe(part.browsers.length);
  });

  it('drives its shard and prints only JSON sample lines on stdout, then exits 0', { timeout: 120_000 }, async () => {
    const scenario = parseScenario({ target: 'jitsi', url: conf.url, participants: 4, rooms: 2, senders: 1, durationMs: '3s', rampPerSecond: '10/s', cooldownMs: '1s', sampleIntervalMs: '1s' });
    const shards = shardAssignment(assignParticipants(scenario), { perPod: 2 });
    expect(shards).toHaveLength(2);
    const spec: WorkerSpec = { runId: 't1', step: 0, bridges: 1, startAtMs: Date.now() + 3_000, scenario: { ...scenario, outDir: '-' }, shards };
    const specFile = join(work, 'worker.json');
    writeFileSync(specFile, JSON.stringify(spec));
    // both shards at once, like two pods of the Job: each room needs its sender
    const [a, b] = await Promise.all(shards.map((s) => cliAsync(['bench', 'worker', '--spec', specFile, '--shard', String(s.index), '--browser', chromiumBin()], { timeoutMs: 110_000 })));
    for (const [r, shard] of [[a!, shards[0]!], [b!, shards[1]!]] as const) {
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      const records = lines.map((l) => JSON.parse(l) as Any);
      expect(records.every((x) => ['participant', 'event', 'bridge'].includes(x.kind) && typeof x.t === 'number' && x.step === 0 && x.bridges === 1)).toBe(true);
      const mine = shard.participants.map((i) => `bench-${i + 1}`).sort();
      expect(records.filter((x) => x.event === 'joined').map((x) => x.participant).sort()).toEqual(mine);
      expect(new Set(records.filter((x) => x.kind === 'participant').map((x) => x.participant))).toEqual(new Set(mine));
      expect(records.some((x) => x.kind === 'participant' && x.phase === 'steady' && x.audio.packetsReceived > 0)).toBe(true);
      // the probe records where media goes (on Jitsi: the bridge's advertised address)
      // (a peer-reflexive remote candidate has its address hidden by Chrome: then there is none)
      const remotes = records.filter((x) => x.kind === 'participant' && x.transport?.remote).map((x) => x.transport.remote as string);
      expect(remotes.length).toBeGreaterThan(0);
      expect(remotes.every((x) => /^127\.0\.0\.1:\d+$/.test(x)), JSON.stringify(remotes)).toBe(true);
      const clock = records.find((x) => x.event === 'clock-offset');
      expect(Math.abs(clock!.offsetMs)).toBeLessThan(1_000); // same machine as the site: no real skew
      expect(r.stderr).toMatch(new RegExp(`shard ${shard.index}: 2 joined, 0 failed`));
    }
  });

  it('SIGTERM (the kubelet stopping the pod): stops, closes its browsers, its last records are whole lines, exits 143', { timeout: 120_000 }, async () => {
    const scenario = parseScenario({ target: 'jitsi', url: conf.url, participants: 2, rooms: 1, senders: 1, durationMs: '5m', rampPerSecond: '10/s', sampleIntervalMs: '1s' });
    const shards = shardAssignment(assignParticipants(scenario), { perPod: 2 });
    const specFile = join(work, 'stop.json');
    writeFileSync(specFile, JSON.stringify({ runId: 't2', step: 0, bridges: 1, startAtMs: Date.now() + 1_000, scenario: { ...scenario, outDir: '-' }, shards }));
    const mark = `${process.pid}-${Date.now()}`;
    const { code, afterMs, stdout, stderr } = await sigtermWhenSteady([cliBin, 'bench', 'worker', '--spec', specFile, '--shard', '0', '--browser', chromiumBin()], { JK8S_WORKER_STOP: mark });
    expect(code, stderr).toBe(143);
    expect(afterMs).toBeLessThan(10_000);
    const records = stdout.trim().split('\n').map((l) => JSON.parse(l) as Any);
    expect(records.some((x) => x.kind === 'participant' && x.phase === 'steady')).toBe(true);
    expect(stderr).toContain('shard 0: 2 joined, 0 failed');
    expect(stderr).toContain('interrupted by SIGTERM');
    // no process of this worker (Chromium included) is left
    expect(processesMarked('JK8S_WORKER_STOP', mark)).toEqual([]);
  });

  it('the pod program (dist/worker.mjs) stopped by SIGTERM leaves within its 15 s bound even when its cleanup cannot finish: exit 143 before the pod\'s grace period', { timeout: 150_000 }, async () => {
    const { readFileSync } = await import('node:fs');
    const { run } = await import('../../src/cluster/exec.js');
    const { STOP_GRACE_MS } = await import('../../src/bench/runner.js');
    const { WORKER_TERMINATION_GRACE_S } = await import('../../src/bench/k8s/job.js');
    // the program the Job ships, built from the current source
    await run(process.execPath, [join(repoRoot, 'scripts/build-worker.mjs')], { timeoutMs: 120_000 });
    const scenario = parseScenario({ target: 'jitsi', url: conf.url, participants: 1, rooms: 1, senders: 1, durationMs: '5m', rampPerSecond: '10/s', sampleIntervalMs: '1s' });
    const specFile = join(work, 'hold.json');
    writeFileSync(specFile, JSON.stringify({ runId: 't3', step: 0, bridges: 1, startAtMs: Date.now() + 1_000, scenario: { ...scenario, outDir: '-' }, shards: shardAssignment(assignParticipants(scenario), { perPod: 1 }) }));
    // stands in for a helper that outlives its browser and keeps the browser's output open (cleanup that cannot finish):
    // a process in its own session holding the pipes, so the program's event loop never empties by itself
    const wrapper = join(work, 'chromium-holds-pipes.sh');
    writeFileSync(wrapper, `#!/bin/sh\nsetsid sleep 300 &\nexec '${chromiumBin()}' "$@"\n`, { mode: 0o755 });
    const mark = `${process.pid}-${Date.now()}`;
    const marked = () => processesMarked('JK8S_WORKER_HOLD', mark);
    try {
      const { code, afterMs, stderr } = await sigtermWhenSteady([join(repoRoot, 'dist/worker.mjs'), '--spec', specFile, '--shard', '0', '--browser', wrapper], { JK8S_WORKER_HOLD: mark });
      console.log(`pod program stopped by SIGTERM with its cleanup held up: exit ${code} after ${afterMs} ms (bound ${STOP_GRACE_MS} ms, pod grace ${WORKER_TERMINATION_GRACE_S} s)`);
      expect(code, stderr).toBe(143);
      expect(stderr).toContain('interrupted by SIGTERM');
      expect(stderr).toContain(`cleanup after SIGTERM took longer than ${STOP_GRACE_MS / 1000}s: leaving now`);
      // its own bound, with room to spare before the kubelet's SIGKILL (exit 137 would be a dead worker)
      expect(afterMs).toBeLessThan(STOP_GRACE_MS + 3_000);
      expect(afterMs).toBeLessThan(WORKER_TERMINATION_GRACE_S * 1000 - 10_000);
      // the browser itself was closed; only the stand-in helper is left, which the test ends
      const commands = () => marked().map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]);
      for (const stop = Date.now() + 5_000; commands().some((c) => c !== 'sleep') && Date.now() < stop; ) await new Promise((r) => setTimeout(r, 200));
      expect(commands()).toEqual(['sleep']);
    } finally {
      for (const pid of marked()) process.kill(pid, 'SIGKILL');
    }
  });

  it('a shard the spec does not have is a usage error', async () => {
    const scenario = parseScenario({ target: 'jitsi', url: conf.url, participants: 2 });
    const specFile = join(work, 'small.json');
    writeFileSync(specFile, JSON.stringify({ runId: 'x', step: 0, bridges: 0, startAtMs: Date.now(), scenario, shards: shardAssignment(assignParticipants(scenario), { perPod: 2 }) }));
    const r = await cliAsync(['bench', 'worker', '--spec', specFile, '--shard', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--shard 3: the spec has shards 0-0');
  });
});

describe('clock offset from the Date header', () => {
  let server: Server;
  let url: string;
  const skew = 3_400; // this server's clock runs 3.4 s ahead
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.setHeader('date', new Date(Date.now() + skew).toUTCString());
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('finds a known offset to within its stated error', async () => {
    const c = await measureClockOffset(url, new AbortController().signal);
    expect(c).toBeDefined();
    expect(Math.abs(c!.offsetMs - -skew)).toBeLessThanOrEqual(c!.errorMs + 5);
    expect(c!.errorMs).toBeLessThan(150);
    expect(c!.requests).toBeLessThanOrEqual(130);
  });
});

describe('bench --runner k8s --dry-run', () => {
  it('prints the shard plan, ConfigMap and Job without touching a cluster', async () => {
    const r = await cliAsync(['bench', '--runner', 'k8s', '--dry-run', '--url', 'https://meet.example.com', '--participants', '40', '--rooms', '4', '--senders', '2', '--per-pod', '10', '--node-selector', 'pool=loadgen', '--config', join(work, 'none.yaml')], { env: { KUBECONFIG: join(work, 'no-such-kubeconfig') } });
    expect(r.code, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Any);
    expect(docs.map((d) => d.kind ?? 'plan')).toEqual(['plan', 'ConfigMap', 'Job']);
    expect(docs[0]!.shards.map((s: Any) => [s.participants, s.senders])).toEqual([[10, 2], [10, 2], [10, 2], [10, 2]]);
    const job = docs[2]!;
    expect(job.spec.completions).toBe(4);
    expect(job.spec.template.spec.nodeSelector).toEqual({ pool: 'loadgen' });
    expect(job.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(JSON.parse(docs[1]!.data['worker.json']).scenario.browser).toBeUndefined();
    // the worker program is named, not printed
    expect(docs[1]!.binaryData['worker.bundle.mjs.gz']).toMatch(/^<dist\/worker\.mjs gzipped: \d+ KiB, left out of --dry-run>$/);
    expect([...job.spec.template.spec.containers[0].command, ...job.spec.template.spec.containers[0].args].slice(0, 2)).toEqual(['node', '/worker/worker.mjs']);
  });

  it('a protected site: the Secret is shown with its values redacted, the Job reads them from it; the token is printed nowhere', async () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJyb29tIjoiKiJ9.ZHJ5LXJ1bi1zaWduYXR1cmU';
    const r = await cliAsync(['bench', '--runner', 'k8s', '--dry-run', '--url', 'https://meet.example.com', '--participants', '4', '--room-password', '--config', join(work, 'none.yaml')], {
      env: { KUBECONFIG: join(work, 'no-such-kubeconfig'), JK8S_JWT: token, JK8S_ROOM_PASSWORD: 'hunter2-room' },
    });
    expect(r.code, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Any);
    expect(docs.map((d) => d.kind ?? 'plan')).toEqual(['plan', 'ConfigMap', 'Secret', 'Job']);
    expect(docs[2]!.stringData).toEqual({ jwt: '<redacted>', 'room-password': '<redacted>' });
    const env = docs[3]!.spec.template.spec.containers[0].env as Any[];
    expect(env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key])).toEqual([
      ['JK8S_JWT', docs[2]!.metadata.name, 'jwt'],
      ['JK8S_ROOM_PASSWORD', docs[2]!.metadata.name, 'room-password'],
    ]);
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toContain(token);
      expect(out).not.toContain('hunter2-room');
    }
  });

  it('--dry-run without --runner k8s is a usage error', async () => {
    const r = await cliAsync(['bench', '--dry-run', '--target', 'loopback']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add --runner k8s');
  });
});
