/**
 * What the bench runner needs from the bridges, injected: the Kubernetes implementation lives in
 * src/cluster/ (scale JVB the way the chart requires, sample pod CPU and /colibri/stats); the
 * loopback conference has no bridges and passes neither.
 */
import { CommandError } from '../errors.js';
import type { BridgeSample, Phase } from './samples.js';

export type { Phase } from './samples.js';

/** What a scale did besides scaling: going down, the bridges that went were drained first. */
export interface ScaleOutcome {
  drained?: { bridges: number; drainedMs: number; left: number };
}

/** Changes and reports the number of running bridges. scaleTo resolves when they are ready. */
export interface BridgeScaler {
  current(signal: AbortSignal): Promise<number>;
  scaleTo(bridges: number, signal: AbortSignal): Promise<ScaleOutcome | void>;
}

/** The words of a `scaled` event: "bridges scaled to 2 after draining 2 bridge(s) for 4 s". */
export function scaledDetail(verb: 'scaled' | 'restored', bridges: number, outcome: ScaleOutcome | void): string {
  const d = outcome?.drained;
  const drain = d ? ` after draining ${d.bridges} bridge(s) for ${Math.round(d.drainedMs / 1000)} s${d.left ? ` (${d.left} participants dropped)` : ''}` : '';
  return `bridges ${verb} to ${bridges}${drain}`;
}

/** Reads every bridge once; called each sample interval. Records without t/step/bridges/phase are completed by the runner. */
export interface BridgeSampler {
  sample(ctx: { step: number; bridges: number; phase: Phase }, signal: AbortSignal): Promise<BridgeSample[]>;
}

export interface Bridges {
  scaler?: BridgeScaler;
  sampler?: BridgeSampler;
}

/**
 * Runs `body` once per bridge count, in the order given, and puts the original count back
 * afterwards — also when a step fails or the run is interrupted. The restore uses its own
 * signal: the run's signal is already aborted after Ctrl-C.
 */
export async function sweepReplicas<T>(
  scaler: BridgeScaler,
  replicas: number[],
  signal: AbortSignal,
  body: (step: number, bridges: number) => Promise<T>,
  hooks: { onScaled?: (step: number, bridges: number, outcome: ScaleOutcome | void) => void; onRestored?: (bridges: number, outcome: ScaleOutcome | void) => void; restoreTimeoutMs?: number } = {},
): Promise<T[]> {
  const original = await scaler.current(signal);
  let changed = false;
  let failure: unknown;
  const results: T[] = [];
  try {
    for (const [step, bridges] of replicas.entries()) {
      if (signal.aborted) break;
      changed = true;
      const outcome = await scaler.scaleTo(bridges, signal);
      hooks.onScaled?.(step, bridges, outcome);
      results.push(await body(step, bridges));
    }
  } catch (e) {
    failure = e;
  }
  if (changed) {
    try {
      const outcome = await scaler.scaleTo(original, AbortSignal.timeout(hooks.restoreTimeoutMs ?? 10 * 60_000));
      hooks.onRestored?.(original, outcome);
    } catch (e) {
      const after = failure instanceof Error ? ` (after: ${failure.message})` : '';
      throw new CommandError(`could not put the bridges back to ${original}: ${(e as Error).message}${after}`, `restore them with \`jitsi-k8s scale jvb ${original}\``);
    }
  }
  if (failure !== undefined) throw failure;
  return results;
}
