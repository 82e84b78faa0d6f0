/** The step's time helpers on Node's real timers: waits, early ends, deadlines, and no timer left behind. */
import { describe, expect, it } from 'vitest';
import { pause, withTimeout } from '../../src/bench/step/timing.js';

/** Timers this process still holds (what would keep it alive, or fire late). */
const pendingTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('pause', () => {
  it('waits about ms', async () => {
    const t = performance.now();
    await pause(120, new AbortController().signal);
    expect(performance.now() - t).toBeGreaterThanOrEqual(115);
  });

  it('ends early, without throwing, when the signal aborts; its timer goes with it', async () => {
    const before = pendingTimers();
    const stop = new AbortController();
    const t = performance.now();
    const waiting = pause(60_000, stop.signal);
    setTimeout(() => stop.abort(new Error('stop')), 50);
    await expect(waiting).resolves.toBeUndefined();
    expect(performance.now() - t).toBeLessThan(5_000);
    expect(pendingTimers()).toBe(before);
  });

  it('returns at once for an aborted signal or ms ≤ 0', async () => {
    const stopped = new AbortController();
    stopped.abort();
    const t = performance.now();
    await pause(60_000, stopped.signal);
    await pause(-5, new AbortController().signal);
    expect(performance.now() - t).toBeLessThan(1_000);
  });
});

describe('withTimeout', () => {
  it('gives the value of a promise that settles in time and clears its timer', async () => {
    const before = pendingTimers();
    await expect(withTimeout(Promise.resolve(42), 60_000, 'the answer')).resolves.toBe(42);
    expect(pendingTimers()).toBe(before);
  });

  it("passes on the promise's own error and clears its timer", async () => {
    const before = pendingTimers();
    await expect(withTimeout(Promise.reject(new Error('refused')), 60_000, 'connect')).rejects.toThrow('refused');
    expect(pendingTimers()).toBe(before);
  });

  it('rejects naming what took too long once ms pass', async () => {
    const t = performance.now();
    await expect(withTimeout(new Promise(() => undefined), 100, 'getStats')).rejects.toThrow('getStats took longer than 100ms');
    expect(performance.now() - t).toBeGreaterThanOrEqual(95);
  });
});
