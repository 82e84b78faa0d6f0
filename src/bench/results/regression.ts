/**
 * Regressions: a run against a baseline run, figure by figure (the threshold figures), at every
 * bridge count both runs measured. `--max-regression 10%` allows every figure to be 10 % worse;
 * `10%,rtt.p95=25%` gives one figure its own allowance; `rtt.p95=25%` alone compares only that figure.
 * The load generator's own cost (loadgen.*) is compared only when named.
 * Pure.
 */
import { UsageError } from '../../errors.js';
import type { Phase } from '../samples.js';
import type { Summary } from './summary.js';
import { FIGURES } from './thresholds.js';
import { formatMeasured, type Unit } from './verdict.js';

export interface Allowance {
  /** as written */
  text: string;
  /** % every figure may worsen; null: only the figures named */
  all: number | null;
  perFigure: Record<string, number>;
}

const HINT = 'an allowance such as 10% (every figure), rtt.p95=25% (one figure) or 10%,rtt.p95=25%; figures as in `bench --help`';

/** Parses `--max-regression`; errors point at the bad entry. */
export function parseMaxRegression(raw: string): Allowance {
  const text = raw.trim();
  const allowance: Allowance = { text, all: null, perFigure: {} };
  let at = 0;
  for (const entry of text.split(',')) {
    const from = text.indexOf(entry, at);
    at = from + entry.length + 1; // past the comma
    const bad = (what: string, start = from, end = from + entry.length): never => {
      const lead = entry.length - entry.trimStart().length;
      const s = start === from ? from + lead : start;
      throw new UsageError(`--max-regression: ${what}\n  ${text}\n  ${' '.repeat(s)}${'^'.repeat(Math.max(1, end - s))}`, HINT);
    };
    const m = /^\s*(?:([a-z][a-z0-9.-]*)\s*=\s*)?(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/i.exec(entry);
    if (!m) {
      if (entry.trim() === '') bad('empty entry', from, from + 1);
      bad('expected a percentage such as 10% or figure=10%');
    }
    const figure = m![1];
    const pct = Number(m![2]);
    if (figure === undefined) {
      if (allowance.all !== null) bad('the allowance for every figure is given twice');
      allowance.all = pct;
    } else {
      if (!FIGURES[figure]) {
        const s = from + entry.indexOf(figure);
        throw new UsageError(`--max-regression: unknown figure "${figure}"\n  ${text}\n  ${' '.repeat(s)}${'^'.repeat(figure.length)}`, `figures: ${Object.keys(FIGURES).join(', ')}`);
      }
      allowance.perFigure[figure] = pct;
    }
  }
  return allowance;
}

export interface RegressionResult {
  figure: string;
  phase: Phase | null;
  bridges: number;
  unit: Unit;
  baseline: number;
  /** null: the run did not measure what the baseline did, which counts as a regression */
  run: number | null;
  /** (run − baseline) ÷ |baseline| × 100; null when the baseline is 0 or the run has no data */
  changePct: number | null;
  allowedPct: number;
  regressed: boolean;
}

export interface RegressionVerdict {
  maxRegression: string;
  passed: boolean;
  /** every figure compared (both runs measured it at that bridge count, or the run lost it) */
  results: RegressionResult[];
  /** one line per regression, naming the figure */
  regressions: string[];
  /** bridge counts of the run the baseline did not measure (not compared) */
  unmatchedBridges: number[];
}

/**
 * A figure regressed when it is worse than the baseline by more than the allowance (a % of the
 * baseline) AND by more than the figure's resolution, so 0 % → 0.01 % loss is not "infinitely worse".
 */
export function evaluateRegression(baseline: Summary, run: Summary, allowance: Allowance): RegressionVerdict {
  const results: RegressionResult[] = [];
  const unmatchedBridges: number[] = [];
  // loadgen.* measures the machine driving the browsers, not the deployment: compared only when named
  const figures = Object.entries(FIGURES).filter(([name]) => name in allowance.perFigure || (allowance.all !== null && !name.startsWith('loadgen.')));
  for (const step of run.steps) {
    const base = baseline.steps.find((s) => s.bridges === step.bridges);
    if (!base) {
      unmatchedBridges.push(step.bridges);
      continue;
    }
    for (const [figure, spec] of figures) {
      const phase: Phase | null = spec.scope === 'phase' ? 'steady' : null;
      const pick = (summary: Summary, s: typeof step) => spec.pick(s, phase ? s.phases.find((p) => p.phase === phase) : undefined, summary);
      const b = pick(baseline, base);
      if (b === null) continue;
      const r = pick(run, step);
      const allowedPct = allowance.perFigure[figure] ?? allowance.all!;
      const worse = r === null ? Infinity : spec.better === 'lower' ? r - b : b - r;
      const regressed = worse > spec.resolution && worse > (allowedPct / 100) * Math.abs(b);
      const changePct = r === null || b === 0 ? null : Math.round(((r - b) / Math.abs(b)) * 1000) / 10;
      results.push({ figure, phase, bridges: step.bridges, unit: spec.unit, baseline: b, run: r, changePct, allowedPct, regressed });
    }
  }
  const sweep = run.steps.length > 1;
  const regressions = results
    .filter((x) => x.regressed)
    .map(
      (x) =>
        `${x.figure}${sweep ? ` at ${x.bridges} bridge${x.bridges === 1 ? '' : 's'}` : ''}: ${formatMeasured(x.baseline, x.unit)} → ${formatMeasured(x.run, x.unit)}` +
        `${x.changePct !== null ? ` (${x.changePct > 0 ? '+' : ''}${x.changePct} %)` : ''}, allowed ${x.allowedPct} %`,
    );
  if (results.length === 0) regressions.push('nothing to compare: the runs share no bridge count with figures measured in both');
  return { maxRegression: allowance.text, passed: regressions.length === 0, results, regressions, unmatchedBridges };
}
