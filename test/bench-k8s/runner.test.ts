/**
 * runK8sBench end to end against the fake API server: Job per sweep step, bridge samples, restore, report inputs.
 * Look-alike API server: on each Job it plays the worker pods' result logs and the bridges' /colibri/stats during a sweep;
 * the real Job lifecycle is test/k8s/bench-job.test.ts, but kwok gives no per-worker result logs on demand here (not wired yet).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKube } from '../../src/cluster/kube.js';
import type { ParticipantCost } from '../../src/bench/k8s/job.js';
import { runK8sBench } from '../../src/bench/k8s/runner.js';
import type { BridgeSample } from '../../src/bench/samples.js';
import { parseScenario } from '../../src/bench/scenario.js';
import { fakePod, startFakeApiServer, type FakeApiServer, type Json } from '../support/fake-apiserver.js';

/** A page's cost to a load generator (bench passes the one from src/bench/capacity.ts podCost). */
const DEFAULT_COST: ParticipantCost = { coresPerSender: 0.15, coresPerReceiver: 0.08, memoryMiBPerSender: 300, memoryMiBPerReceiver: 200 };

let api: FakeApiServer;
let site: Server;
let url: string;
const work = mkdtempSync(join(tmpdir(), 'jk8s-k8srun-'));

beforeAll(async () => {
  api = await startFakeApiServer();
  site = createServer((_q, r) => r.end());
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(site.address() as { port: number }).port}/`;
  // every Job gets one finished pod per shard whose log holds its participants' records
  api.state.onJobCreated = (job: Json) => {
    const spec = JSON.parse(api.state.configMaps.find((c) => c.metadata.name === job.metadata.name)!.data['worker.json']);
    for (const shard of spec.shards) {
      const name = `${job.metadata.name}-${shard.index}-xyz`;
      const pod = fakePod({ name, namespace: 'jk8s-bench', node: `gen-${shard.index}`, labels: { ...job.spec.template.metadata.labels, 'job-name': job.metadata.name, 'batch.kubernetes.io/job-completion-index': String(shard.index) } });
      pod.status.phase = 'Succeeded';
      pod.status.containerStatuses = [{ name: 'worker', state: { terminated: { exitCode: 0, reason: 'Completed' } } }];
      api.state.pods.push(pod);
      const at = { t: Date.now(), step: spec.step, bridges: spec.bridges };
      api.state.podLogs[`jk8s-bench/${name}`] = shard.participants
        .flatMap((i: number) => [
          JSON.stringify({ kind: 'event', event: 'joined', participant: `bench-${i + 1}`, ...at, phase: 'ramp-up' }),
          // media to the second bridge's port
          JSON.stringify({ kind: 'participant', participant: `bench-${i + 1}`, room: 'r', role: 'receiver', intervalMs: 1000, audio: { packetsReceived: 50, packetsLost: 0, lossPct: 0, nackCount: 0 }, video: { packetsReceived: 0, packetsLost: 0, lossPct: 0, nackCount: 0 }, bitrateInKbps: 40, bitrateOutKbps: 0, framesDecoded: 0, transport: { protocol: 'udp', candidateType: 'host', relayed: false, remote: '203.0.113.10:10001' }, ...at, phase: 'steady' }),
        ])
        .join('\n');
    }
  };
});
afterAll(async () => {
  await api.close();
  await new Promise<void>((r) => site.close(() => r()));
  rmSync(work, { recursive: true, force: true });
});

describe('runK8sBench', () => {
  it('sweeps 1,2 bridges with one Job each, samples bridges, restores, records where generators ran; the verdict per bridge count', async () => {
    const scenario = parseScenario({
      target: 'jitsi',
      url,
      participants: 6,
      rooms: 3,
      senders: 1,
      replicas: [1, 2],
      durationMs: '1s',
      warmupMs: 0,
      cooldownMs: 0,
      joinTimeoutMs: '1s',
      sampleIntervalMs: '200ms',
      outDir: join(work, 'out'),
      // the played pods end at once: the bridges are sampled in warmup only
      thresholds: ['bridge.cpu.max@warmup<0.8cores', 'join.failed<=0'],
    });
    let bridges = 3;
    const scaled: number[] = [];
    const outcome = await runK8sBench(
      { scenario, perPod: 2, splitRooms: false, image: 'img', workerBundle: 'H4sI', namespace: 'jk8s-bench', startDelayMs: 300, cost: DEFAULT_COST, avoidBridges: { namespace: 'jitsi', release: 'jitsi' } },
      {
        kube: openKube({ kubeconfig: api.writeKubeconfig() }),
        signal: new AbortController().signal,
        log: { info: () => {}, warn: () => {}, debug: () => {} },
        bridges: {
          scaler: { current: async () => bridges, scaleTo: async (n) => void (scaled.push(n), (bridges = n)) },
          sampler: {
            sample: async (ctx) => [
              // one bridge alone is overloaded, two share the load
              { kind: 'bridge', t: Date.now(), ...ctx, bridge: 'jvb-0', cpuCores: ctx.bridges === 1 ? 0.9 : 0.5, addresses: ['203.0.113.10:10000'] } as BridgeSample,
              { kind: 'bridge', t: Date.now(), ...ctx, bridge: 'jvb-1', cpuCores: 0.2, addresses: ['203.0.113.10:10001'] } as BridgeSample,
            ],
          },
        },
      },
    );
    expect(scaled).toEqual([1, 2, 3]); // the sweep, then the original count
    expect(outcome).toMatchObject({ steps: 2, joined: 12, failed: 0, workersDied: 0, interrupted: false });
    const created = api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs')).map((r) => JSON.parse(r.body).metadata.name);
    expect(created).toHaveLength(2);
    expect(api.state.jobs).toEqual([]);
    const records = readFileSync(outcome.samplesFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(records.filter((r) => r.kind === 'bridge').map((r) => r.bridges))).toEqual(new Set([1, 2]));
    expect(records.filter((r) => r.event === 'joined').every((r) => typeof r.shard === 'number' && r.pod)).toBe(true);
    // participants are placed on the bridge whose advertised address they send media to
    const placed = records.filter((r) => r.kind === 'participant');
    expect(placed.length).toBe(12);
    expect(placed.every((r) => r.bridge === 'jvb-1')).toBe(true);
    const written = JSON.parse(readFileSync(join(work, 'out', 'scenario.json'), 'utf8'));
    expect(written.runner).toBe('k8s');
    expect(written.k8s.steps.map((s: Json) => s.nodes)).toEqual([
      { 0: 'gen-0', 1: 'gen-1', 2: 'gen-2' },
      { 0: 'gen-0', 1: 'gen-1', 2: 'gen-2' },
    ]);
    expect(written.k8s.coordinatorClock.errorMs).toBeLessThan(200);
    // the same report as a local run, saying where the generators ran and their clock skew
    const { writeResults } = await import('../../src/bench/results/index.js');
    await writeResults(join(work, 'out'));
    const html = readFileSync(join(work, 'out', 'report.html'), 'utf8');
    expect(html).toContain('generator nodes');
    expect(html).toContain('gen-0, gen-1, gen-2');
    expect(html).toContain('generator clock skew');
    // the verdict per step, and the largest bridge count at which every threshold held, at the top
    const summary = JSON.parse(readFileSync(join(work, 'out', 'summary.json'), 'utf8'));
    expect(summary.verdict.steps.map((x: Json) => [x.bridges, x.passed])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(summary.verdict).toMatchObject({ passed: false, largestPassingBridges: 2, failures: ['bridge.cpu.max@warmup<0.8cores at 1 bridge: measured 0.9 cores'] });
    expect(html).toContain('largest bridge count at which every threshold held: 2');
    expect(html.indexOf('data-verdict="failed"')).toBeLessThan(html.indexOf('Key figures'));
  });
});
