/**
 * Thresholds: the grammar of `--threshold` (and `thresholds:` in a scenario file), the figures it
 * can name, and the verdict of a run's Summary against them, per sweep step. Pure.
 *
 *   threshold := figure [ "@" phase ] op number [ unit ]      e.g. audio.loss.p95@steady < 2%
 *   op        := "<" | "<=" | ">" | ">=" | "=="
 */
import { UsageError } from '../../errors.js';
import { PHASES, type Phase } from '../samples.js';
import type { PhaseSummary, StepSummary, Summary } from './summary.js';
import { formatMeasured, type StepVerdict, type ThresholdResult, type Unit, type Verdict } from './verdict.js';

type Op = '<' | '<=' | '>' | '>=' | '==';

interface FigureSpec {
  unit: Unit;
  /** which direction is an improvement (used by --max-regression) */
  better: 'lower' | 'higher';
  /** counted over the whole step (join figures), or read from one phase (steady unless @phase says) */
  scope: 'step' | 'phase';
  /** below this difference two runs count as equal (measurement resolution), for --max-regression */
  resolution: number;
  describe: string;
  pick: (step: StepSummary, phase: PhaseSummary | undefined, summary: Summary) => number | null;
}

const maxOf = (values: (number | null)[]): number | null => {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
};

/** Planned participants that did not join in this step: a failed join, a dead load generator, or no word at all. */
function notJoined(step: StepSummary, summary: Summary): number {
  const planned = summary.scenario.participants;
  return planned === undefined ? step.participants.failed : Math.max(step.participants.failed, planned - step.participants.joined);
}

const LOSS = 0.1;
const CORES = 0.01;

export const FIGURES: Record<string, FigureSpec> = {
  'join.failed': { unit: '', better: 'lower', scope: 'step', resolution: 0, describe: 'participants of the step that did not join', pick: (s, _p, sum) => notJoined(s, sum) },
  'join.joined': { unit: '', better: 'higher', scope: 'step', resolution: 0, describe: 'participants of the step that joined', pick: (s) => s.participants.joined },
  'media.stopped': {
    unit: '',
    better: 'lower',
    scope: 'phase',
    resolution: 0,
    describe: 'sample windows in which a joined participant neither received nor sent a packet',
    pick: (_s, p) => p?.clients.mediaStoppedSamples ?? null,
  },
  'audio.loss.pooled': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'audio receive loss, Σlost ÷ (Σlost + Σreceived)', pick: (_s, p) => p?.clients.audio.pooledLossPct ?? null },
  'audio.loss.mean': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'audio receive loss, mean over samples', pick: (_s, p) => p?.clients.audio.lossPctMean ?? null },
  'audio.loss.p95': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'audio receive loss, p95 over samples', pick: (_s, p) => p?.clients.audio.lossPctP95 ?? null },
  'video.loss.pooled': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'video receive loss (after NACK repair), pooled', pick: (_s, p) => p?.clients.video.pooledLossPct ?? null },
  'video.loss.mean': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'video receive loss, mean over samples', pick: (_s, p) => p?.clients.video.lossPctMean ?? null },
  'video.loss.p95': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'video receive loss, p95 over samples', pick: (_s, p) => p?.clients.video.lossPctP95 ?? null },
  'send.loss.mean': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'upstream loss (remote-inbound-rtp), mean', pick: (_s, p) => p?.clients.sendLossPctMean ?? null },
  'send.loss.p95': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'upstream loss, p95', pick: (_s, p) => p?.clients.sendLossPctP95 ?? null },
  'rtt.mean': { unit: 'ms', better: 'lower', scope: 'phase', resolution: 1, describe: 'round-trip time of the selected candidate pair, mean', pick: (_s, p) => p?.clients.rttMsMean ?? null },
  'rtt.p95': { unit: 'ms', better: 'lower', scope: 'phase', resolution: 1, describe: 'round-trip time, p95', pick: (_s, p) => p?.clients.rttMsP95 ?? null },
  'audio.jitter.mean': { unit: 'ms', better: 'lower', scope: 'phase', resolution: 1, describe: 'audio receive jitter, mean', pick: (_s, p) => p?.clients.audio.jitterMsMean ?? null },
  'bridge.cpu.max': { unit: 'cores', better: 'lower', scope: 'phase', resolution: CORES, describe: 'highest CPU of any bridge', pick: (_s, p) => maxOf(p?.bridges.map((b) => b.cpuCoresMax) ?? []) },
  'bridge.cpu.total': { unit: 'cores', better: 'lower', scope: 'phase', resolution: CORES, describe: 'Σ over bridges of their mean CPU', pick: (_s, p) => p?.bridgeCpuCoresTotal ?? null },
  'bridge.cpu.per-participant': { unit: 'cores', better: 'lower', scope: 'phase', resolution: 0.0005, describe: 'bridge CPU per participant', pick: (_s, p) => p?.cpuPerParticipant ?? null },
  'bridge.stress.max': { unit: '', better: 'lower', scope: 'phase', resolution: 0.01, describe: 'highest JVB stress (1.0 = overloaded)', pick: (_s, p) => p?.stressMax ?? null },
  'bridge.loss.in.p95': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'incoming loss the bridges report, worst bridge p95', pick: (_s, p) => maxOf(p?.bridges.map((b) => b.incomingLossPctP95) ?? []) },
  'bridge.loss.out.p95': { unit: '%', better: 'lower', scope: 'phase', resolution: LOSS, describe: 'outgoing loss the bridges report, worst bridge p95', pick: (_s, p) => maxOf(p?.bridges.map((b) => b.outgoingLossPctP95) ?? []) },
  'loadgen.cpu.per-participant': {
    unit: 'cores',
    better: 'lower',
    scope: 'phase',
    resolution: 0.001,
    describe: 'CPU of the load generator per participant page',
    pick: (_s, p) => p?.clients.loadGenerator.cpuCoresPerParticipantMean ?? null,
  },
};

/** Used when neither --threshold nor the scenario file gives any. */
export const DEFAULT_THRESHOLDS = ['join.failed<=0', 'media.stopped<=0'] as const;

export interface Threshold {
  /** canonical spelling, without spaces */
  expression: string;
  figure: string;
  /** the phase read; null for a figure counted over the whole step */
  phase: Phase | null;
  op: Op;
  limit: number;
  unit: Unit;
}

const OPS: readonly Op[] = ['<=', '>=', '==', '<', '>'];
const GRAMMAR_HINT = 'a threshold is <figure>[@<phase>] <op> <number>[unit], e.g. audio.loss.p95<2% or rtt.p95@steady<=300ms; see `jitsi-k8s bench --help`';

/** The expression with a caret line under the bad part. */
function pointAt(source: string, text: string, from: number, to: number, what: string): UsageError {
  const width = Math.max(1, to - from);
  return new UsageError(`${source}: ${what}\n  ${text}\n  ${' '.repeat(from)}${'^'.repeat(width)}`, GRAMMAR_HINT);
}

/** Parses one expression; `source` names where it came from (`--threshold`, `thresholds[2] in file.yaml`). */
export function parseThreshold(raw: string, source = '--threshold'): Threshold {
  const text = raw.trim();
  if (text === '') throw new UsageError(`${source}: empty threshold`, GRAMMAR_HINT);
  const nameMatch = /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*/i.exec(text);
  if (!nameMatch) return fail(0, 1, 'expected a figure name such as audio.loss.p95');
  const figure = nameMatch[0];
  const spec = FIGURES[figure];
  if (!spec) {
    throw new UsageError(
      `${source}: unknown figure "${figure}"\n  ${text}\n  ${'^'.repeat(figure.length)}`,
      `figures: ${Object.keys(FIGURES).join(', ')}`,
    );
  }
  let at = figure.length;
  let phase: Phase | null = spec.scope === 'phase' ? 'steady' : null;
  const phaseMatch = /^@([a-z-]*)/.exec(text.slice(at));
  if (phaseMatch) {
    const name = phaseMatch[1]!;
    if (spec.scope === 'step') return fail(at, at + phaseMatch[0].length, `${figure} is counted over the whole step: drop "@${name}"`);
    if (!(PHASES as readonly string[]).includes(name)) return fail(at + 1, at + phaseMatch[0].length, `unknown phase "${name}" (phases: ${PHASES.join(', ')})`);
    phase = name as Phase;
    at += phaseMatch[0].length;
  }
  at += /^\s*/.exec(text.slice(at))![0].length;
  const op = OPS.find((o) => text.startsWith(o, at));
  if (!op) return fail(at, at + 1, text.slice(at, at + 1) === '=' ? 'a single "=" is not an operator: use == or <=' : 'expected an operator: <, <=, >, >= or ==');
  at += op.length;
  at += /^\s*/.exec(text.slice(at))![0].length;
  const numberMatch = /^-?(?:\d+(?:\.\d+)?|\.\d+)/.exec(text.slice(at));
  if (!numberMatch) return fail(at, at + Math.max(1, text.length - at), 'expected a number');
  const limit = Number(numberMatch[0]);
  at += numberMatch[0].length;
  const unitText = text.slice(at).trim();
  if (unitText !== '' && unitText !== spec.unit) {
    const from = text.indexOf(unitText, at);
    return fail(from, text.length, spec.unit === '' ? `${figure} is a plain number: no unit` : `${figure} is in ${spec.unit} (got "${unitText}")`);
  }
  // one spelling per threshold, whatever the spacing: "rtt.p95 < 300 ms" → "rtt.p95<300ms"
  const expression = `${figure}${phaseMatch ? phaseMatch[0] : ''}${op}${numberMatch[0]}${unitText}`;
  return { expression, figure, phase, op, limit, unit: spec.unit };

  function fail(from: number, to: number, what: string): never {
    throw pointAt(source, text, from, to, what);
  }
}

/** Parses a list; an empty or absent list means the defaults. `source` names the list in errors. */
export function parseThresholds(list: readonly string[] | undefined, source = '--threshold'): { thresholds: Threshold[]; defaults: boolean } {
  if (!list || list.length === 0) return { thresholds: DEFAULT_THRESHOLDS.map((t) => parseThreshold(t)), defaults: true };
  return { thresholds: list.map((t) => parseThreshold(t, source)), defaults: false };
}

function holds(value: number, op: Op, limit: number): boolean {
  switch (op) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '==':
      return value === limit;
  }
}

/** The verdict of a run: every threshold against every step (a step without a figure's phase has no data: failed). */
export function evaluateThresholds(summary: Summary, thresholds: Threshold[], defaults = false): Verdict {
  const sweep = summary.steps.length > 1 || (summary.scenario.replicas?.length ?? 0) > 0;
  const steps: StepVerdict[] = summary.steps.map((step) => {
    const results = thresholds.map((t): ThresholdResult => {
      const spec = FIGURES[t.figure]!;
      const phase = t.phase ? step.phases.find((p) => p.phase === t.phase) : undefined;
      const measured = spec.pick(step, phase, summary);
      return { expression: t.expression, figure: t.figure, phase: t.phase, unit: t.unit, measured, passed: measured !== null && holds(measured, t.op, t.limit) };
    });
    return { step: step.step, bridges: step.bridges, passed: results.every((r) => r.passed), results };
  });
  const failures = steps.flatMap((s) =>
    s.results.filter((r) => !r.passed).map((r) => `${r.expression}${sweep ? ` at ${s.bridges} bridge${s.bridges === 1 ? '' : 's'}` : ''}: ${r.measured === null ? 'not measured in this run' : `measured ${formatMeasured(r.measured, r.unit)}`}`),
  );
  if (steps.length === 0) failures.push('no step was measured: no records');
  const passing = steps.filter((s) => s.passed).map((s) => s.bridges);
  return {
    passed: steps.length > 0 && steps.every((s) => s.passed),
    defaults,
    thresholds: thresholds.map((t) => t.expression),
    steps,
    largestPassingBridges: sweep && passing.length ? Math.max(...passing) : null,
    failures,
  };
}

/** Help text: the grammar and every figure, for `bench --help`. */
export function thresholdHelp(): string {
  const names = Object.entries(FIGURES).map(([name, f]) => `  ${name.padEnd(30)}${(f.unit || '—').padEnd(7)}${f.describe}${f.scope === 'step' ? ' (whole step)' : ''}`);
  return [
    'Thresholds (--threshold, repeatable; or `thresholds:` in a scenario file):',
    '  <figure>[@<phase>] <op> <number>[unit]   op: < <= > >= ==   unit: optional, the figure\'s own',
    '  e.g. --threshold "audio.loss.p95<2%" --threshold "rtt.p95@ramp-up<=300ms" --threshold join.failed==0',
    `  phase: ${PHASES.join(', ')} (default steady); checked at every bridge count of a sweep.`,
    `  Without any: ${DEFAULT_THRESHOLDS.join(' and ')}. A figure the run did not measure fails.`,
    '  figure                        unit',
    ...names,
    '',
    'Exit codes: 0 every threshold held · 99 the run completed but a threshold failed or the run',
    '  regressed against --baseline · 1 the run could not be carried out (no browser, no participant',
    '  could join, cluster unreachable) · 2 usage error · 130 interrupted.',
  ].join('\n');
}
