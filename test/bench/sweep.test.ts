/** The replicas sweep against a fake scaler (the Kubernetes side is faked here: no cluster on this machine). */
import { describe, expect, it } from 'vitest';
import { sweepReplicas, type BridgeScaler } from '../../src/bench/bridges.js';

/** A fake bridge scaler that records every call; the real one lives in src/cluster/. */
function fakeScaler(start: number, failAt?: number) {
  const calls: string[] = [];
  let bridges = start;
  const scaler: BridgeScaler = {
    current: async () => {
      calls.push(`current=${bridges}`);
      return bridges;
    },
    scaleTo: async (n, signal) => {
      calls.push(`scaleTo ${n}${signal.aborted ? ' (aborted signal)' : ''}`);
      if (n === failAt) throw new Error(`scale to ${n} failed`);
      bridges = n;
    },
  };
  return { scaler, calls, now: () => bridges };
}

describe('sweepReplicas', () => {
  it('runs the counts in order and restores the original count at the end', async () => {
    const f = fakeScaler(3);
    const seen: string[] = [];
    const out = await sweepReplicas(f.scaler, [1, 2, 4], new AbortController().signal, async (step, bridges) => {
      seen.push(`step ${step} with ${bridges} (running ${f.now()})`);
      return bridges * 10;
    });
    expect(seen).toEqual(['step 0 with 1 (running 1)', 'step 1 with 2 (running 2)', 'step 2 with 4 (running 4)']);
    expect(out).toEqual([10, 20, 40]);
    expect(f.calls).toEqual(['current=3', 'scaleTo 1', 'scaleTo 2', 'scaleTo 4', 'scaleTo 3']);
    expect(f.now()).toBe(3);
  });

  it('restores after a step fails, and the step error is what the caller sees', async () => {
    const f = fakeScaler(2);
    await expect(
      sweepReplicas(f.scaler, [1, 4], new AbortController().signal, async (step) => {
        if (step === 1) throw new Error('browsers crashed');
      }),
    ).rejects.toThrow('browsers crashed');
    expect(f.calls).toEqual(['current=2', 'scaleTo 1', 'scaleTo 4', 'scaleTo 2']);
    expect(f.now()).toBe(2);
  });

  it('restores after scaling itself fails', async () => {
    const f = fakeScaler(2, 4);
    await expect(sweepReplicas(f.scaler, [1, 4, 8], new AbortController().signal, async () => {})).rejects.toThrow('scale to 4 failed');
    expect(f.calls).toEqual(['current=2', 'scaleTo 1', 'scaleTo 4', 'scaleTo 2']);
  });

  it('a failed restore is an error that says how to restore by hand, and names the step failure', async () => {
    const f = fakeScaler(2, 2);
    const err = await sweepReplicas(f.scaler, [4], new AbortController().signal, async () => {
      throw new Error('browsers crashed');
    }).then(
      () => expect.unreachable('the restore failed: sweepReplicas must throw'),
      (e: unknown) => e as { message: string; hint?: string },
    );
    expect(err.message).toBe('could not put the bridges back to 2: scale to 2 failed (after: browsers crashed)');
    expect(err.hint).toBe('restore them with `jitsi-k8s scale jvb 2`');
    expect(f.calls).toEqual(['current=2', 'scaleTo 4', 'scaleTo 2']);
  });

  it('after Ctrl-C: no further step, restore with a live signal', async () => {
    const f = fakeScaler(1);
    const ctl = new AbortController();
    const steps: number[] = [];
    await sweepReplicas(f.scaler, [2, 4, 6], ctl.signal, async (step) => {
      steps.push(step);
      if (step === 1) ctl.abort();
    });
    expect(steps).toEqual([0, 1]);
    expect(f.calls).toEqual(['current=1', 'scaleTo 2', 'scaleTo 4', 'scaleTo 1']);
    expect(f.now()).toBe(1);
  });

  it('changes nothing when interrupted before the first step', async () => {
    const f = fakeScaler(5);
    const ctl = new AbortController();
    ctl.abort();
    await sweepReplicas(f.scaler, [1, 2], ctl.signal, async () => {});
    expect(f.calls).toEqual(['current=5']);
  });
});

describe('runner sweep with real browsers (Jitsi-style URLs served by the loopback conference; bridges faked)', async () => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { afterAll, beforeAll } = await import('vitest');
  const { runBench } = await import('../../src/bench/runner.js');
  const { parseScenario } = await import('../../src/bench/scenario.js');
  const { startLoopbackConference } = await import('../../src/bench/loopback/server.js');
  const { chromiumBin } = await import('../support/tools.js');
  type Conf = Awaited<ReturnType<typeof startLoopbackConference>>;
  type Rec = import('../../src/bench/samples.js').SampleRecord;
  let conf: Conf;
  const work = mkdtempSync(join(tmpdir(), 'jk8s-sweep-'));
  beforeAll(async () => {
    conf = await startLoopbackConference();
  });
  afterAll(async () => {
    await conf.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** A fake bridge sampler: one record per running bridge, the way src/cluster's real one reports pods. */
  const fakeSampler = (f: ReturnType<typeof fakeScaler>) => ({
    sample: async (ctx: { step: number; bridges: number; phase: string }) =>
      Array.from({ length: f.now() }, (_, i) => ({ kind: 'bridge' as const, t: Date.now(), step: ctx.step, bridges: ctx.bridges, phase: ctx.phase as 'steady', bridge: `jvb-${i}`, cpuCores: 0.1 * (i + 1), cpuSource: 'process' as const })),
  });
  const scenario = (name: string, duration = '2s') =>
    parseScenario({ target: 'jitsi', url: conf.url, browser: chromiumBin(), participants: 2, senders: 1, replicas: [2, 1], durationMs: duration, rampPerSecond: '10/s', warmupMs: '500ms', cooldownMs: '500ms', joinTimeoutMs: '15s', outDir: join(work, name) });
  const records = (file: string): Rec[] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);

  it('runs each bridge count in order, samples bridges with step and count, restores the original count', async () => {
    const f = fakeScaler(3);
    const out = await runBench(scenario('ok'), { signal: new AbortController().signal, bridges: { scaler: f.scaler, sampler: fakeSampler(f) } });
    expect(f.calls).toEqual(['current=3', 'scaleTo 2', 'scaleTo 1', 'scaleTo 3']);
    expect(out).toMatchObject({ steps: 2, joined: 4, failed: 0, interrupted: false });
    const rs = records(out.samplesFile);
    const bridgeSteps = new Set(rs.filter((r) => r.kind === 'bridge').map((r) => `${r.step}:${r.bridges}:${r.kind === 'bridge' ? r.bridge : ''}`));
    expect([...bridgeSteps].sort()).toEqual(['0:2:jvb-0', '0:2:jvb-1', '1:1:jvb-0']);
    for (const step of [0, 1]) {
      const steady = rs.filter((r) => r.kind === 'participant' && r.step === step && r.phase === 'steady');
      expect(steady.length).toBeGreaterThan(0);
    }
    const scaled = rs.filter((r) => r.kind === 'event' && r.event === 'scaled').map((r) => (r.kind === 'event' ? r.detail : ''));
    expect(scaled).toEqual(['bridges scaled to 2', 'bridges scaled to 1', 'bridges restored to 3']);
    // the Jitsi-style URL carried the role: bench-1 sends, bench-2 receives in lite mode
    const receiver = rs.filter((r) => r.kind === 'participant' && r.participant === 'bench-2');
    expect(receiver.every((r) => r.kind === 'participant' && r.role === 'receiver' && r.framesDecoded === 0)).toBe(true);
    expect(receiver.some((r) => r.kind === 'participant' && r.video.packetsReceived > 0)).toBe(true);
  });

  it('a failing scale-up still restores, and the failure is what the caller sees', async () => {
    const f = fakeScaler(3, 2);
    await expect(runBench(scenario('fail'), { signal: new AbortController().signal, bridges: { scaler: f.scaler, sampler: fakeSampler(f) } })).rejects.toThrow('scale to 2 failed');
    expect(f.calls).toEqual(['current=3', 'scaleTo 2', 'scaleTo 3']);
  });

  it('Ctrl-C in the first step: no second step, browsers closed, bridges restored, samples kept', async () => {
    const f = fakeScaler(3);
    const ctl = new AbortController();
    const out = await runBench(scenario('abort', '5m'), {
      signal: ctl.signal,
      bridges: { scaler: f.scaler, sampler: fakeSampler(f) },
      onRecord: (r) => {
        if (r.kind === 'participant' && r.phase === 'steady') ctl.abort();
      },
    });
    expect(out).toMatchObject({ interrupted: true, steps: 1 });
    expect(f.calls).toEqual(['current=3', 'scaleTo 2', 'scaleTo 3']);
    const rs = records(out.samplesFile);
    expect(rs.some((r) => r.kind === 'participant')).toBe(true);
    expect(rs.some((r) => r.kind === 'bridge')).toBe(true);
    expect(rs.at(-1)).toMatchObject({ kind: 'event', event: 'interrupted' });
  });
});
