/** The verdict of a run against its thresholds, as summary.json carries it (thresholds.ts computes it), and how a measured figure reads. */
import type { Phase } from '../samples.js';

export type Unit = '' | '%' | 'ms' | 'cores';

export interface ThresholdResult {
  expression: string;
  figure: string;
  phase: Phase | null;
  unit: Unit;
  /** null: the run has no data for this figure, which fails the threshold */
  measured: number | null;
  passed: boolean;
}

export interface StepVerdict {
  step: number;
  bridges: number;
  passed: boolean;
  results: ThresholdResult[];
}

export interface Verdict {
  passed: boolean;
  /** true when no threshold was given and the defaults applied */
  defaults: boolean;
  thresholds: string[];
  steps: StepVerdict[];
  /** sweeps: the largest bridge count at which every threshold held; null when none */
  largestPassingBridges: number | null;
  /** one line per failed threshold: "audio.loss.pooled<1 at 2 bridges: measured 4.9 %" */
  failures: string[];
}

export function formatMeasured(value: number | null, unit: Unit): string {
  if (value === null) return 'no data';
  return `${Math.round(value * 1e4) / 1e4}${unit === '' ? '' : unit === '%' ? ' %' : ` ${unit}`}`;
}
