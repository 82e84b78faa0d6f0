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
