/**
 * A sweep's step down drains (pipeline/scale.ts createJvbScaler, tested against the real API server in
 * test/k8s/scale-drain.test.ts): what the scaler says it drained reaches the `scaled` event of the step
 * and the run's summary, which shows the drain time per step.
 */
import { describe, expect, it } from 'vitest';
import { scaledDetail, sweepReplicas, type BridgeScaler, type ScaleOutcome } from '../../src/bench/bridges.js';
import { summarize } from '../../src/bench/results/summarize.js';
import type { SampleRecord } from '../../src/records.js';

/** A scaler that says it drained the bridges that went for 4 s per bridge going. */
function drainingScaler(start: number): BridgeScaler & { calls: number[] } {
  let now = start;
  const calls: number[] = [];
  return {
    calls,
    current: async () => now,
    scaleTo: async (bridges) => {
      calls.push(bridges);
      const gone = now - bridges;
      now = bridges;
      return gone > 0 ? { drained: { bridges: gone, drainedMs: 4_000 * gone, left: 0 } } : {};
    },
  };
}

describe('a sweep that steps down drains, and says how long per step', () => {
  it('the outcome of each scale reaches the hooks: down drained, up did not, the restore too', async () => {
    const scaler = drainingScaler(1);
    const scaled: [number, number, ScaleOutcome | void][] = [];
    let restored: [number, ScaleOutcome | void] | undefined;
    await sweepReplicas(scaler, [4, 2], new AbortController().signal, async () => undefined, {
      onScaled: (step, bridges, o) => scaled.push([step, bridges, o]),
      onRestored: (bridges, o) => (restored = [bridges, o]),
    });
    expect(scaler.calls).toEqual([4, 2, 1]);
    expect(scaled).toEqual([
      [0, 4, {}],
      [1, 2, { drained: { bridges: 2, drainedMs: 8_000, left: 0 } }],
    ]);
    expect(restored).toEqual([1, { drained: { bridges: 1, drainedMs: 4_000, left: 0 } }]);
    expect(scaledDetail('scaled', 2, scaled[1]![2])).toBe('bridges scaled to 2 after draining 2 bridge(s) for 8 s');
    expect(scaledDetail('scaled', 4, scaled[0]![2])).toBe('bridges scaled to 4');
    expect(scaledDetail('restored', 1, { drained: { bridges: 1, drainedMs: 61_000, left: 3 } })).toBe('bridges restored to 1 after draining 1 bridge(s) for 61 s (3 participants dropped)');
  });

  it('the summary notes each drained step with its drain time', () => {
    const event = (step: number, bridges: number, detail: string, drainMs?: number): SampleRecord => ({
      kind: 'event',
      event: 'scaled',
      t: 1_000 + step,
      step,
      bridges,
      phase: 'warmup',
      detail,
      ...(drainMs !== undefined ? { drainMs } : {}),
    });
    const s = summarize([event(0, 4, 'bridges scaled to 4'), event(1, 2, 'bridges scaled to 2 after draining 2 bridge(s) for 8 s', 8_000)], {});
    expect(s.notes).toContain('step 2 (2 bridges): bridges scaled to 2 after draining 2 bridge(s) for 8 s');
    expect(s.notes.filter((n) => n.startsWith('step 1'))).toEqual([]);
  });
});
