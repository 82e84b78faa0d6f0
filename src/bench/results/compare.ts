/** Two runs side by side: key figures with deltas, and their charts overlaid, in compare.html. */
import { basename, resolve } from 'node:path';
import { esc, fmt, fmtAuto, MEDIA_COLORS } from './html.js';
import { definitions, fillTemplate, scenarioList } from './report.js';
import type { LoadedRun } from './run.js';
import type { Summary } from './summary.js';
import type { RegressionVerdict } from './regression.js';
import { barChart, lineChart } from './svg.js';
import { regressionHtml } from './verdict-view.js';

export interface ComparedFigure {
  /** "overall" or "<n> bridges, steady" */
  scope: string;
  figure: string;
  unit: string;
  /** which direction is an improvement; null when neither is */
  better: 'lower' | 'higher' | null;
  a: number | null;
  b: number | null;
  /** b − a */
  delta: number | null;
  /** (b − a) ÷ a × 100 */
  deltaPct: number | null;
}

export interface RunRef {
  dir: string;
  label: string;
  scenario: Summary['scenario'];
  run: Summary['run'];
}

export interface Comparison {
  schema: 'jitsi-k8s/bench-compare@1';
  a: RunRef;
  b: RunRef;
  figures: ComparedFigure[];
  /** with --max-regression: the second run against the first as a baseline */
  regression?: RegressionVerdict;
}

const RUN_COLORS = { a: '#2563eb', b: '#ea580c' } as const;

function maxOf(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
}

type Pick = (s: Summary, bridges?: number) => number | null;
type FigureSpec = { figure: string; unit: string; better: ComparedFigure['better']; pick: Pick };

const steady = (s: Summary, bridges: number) => s.steps.find((x) => x.bridges === bridges)?.phases.find((p) => p.phase === 'steady');

const OVERALL: FigureSpec[] = [
  { figure: 'participants joined', unit: '', better: 'higher', pick: (s) => s.overall.participants.joined },
  { figure: 'join failures', unit: '', better: 'lower', pick: (s) => s.overall.participants.failed },
  { figure: 'audio receive loss, pooled', unit: '%', better: 'lower', pick: (s) => s.overall.clients.audio.pooledLossPct },
  { figure: 'audio receive loss, p95', unit: '%', better: 'lower', pick: (s) => s.overall.clients.audio.lossPctP95 },
  { figure: 'video receive loss, pooled', unit: '%', better: 'lower', pick: (s) => s.overall.clients.video.pooledLossPct },
  { figure: 'video receive loss, p95', unit: '%', better: 'lower', pick: (s) => s.overall.clients.video.lossPctP95 },
  { figure: 'send loss, mean', unit: '%', better: 'lower', pick: (s) => s.overall.clients.sendLossPctMean },
  { figure: 'RTT, mean', unit: 'ms', better: 'lower', pick: (s) => s.overall.clients.rttMsMean },
  { figure: 'RTT, p95', unit: 'ms', better: 'lower', pick: (s) => s.overall.clients.rttMsP95 },
  { figure: 'bitrate in per participant', unit: 'kbps', better: null, pick: (s) => s.overall.clients.bitrateInKbpsMean },
  { figure: 'bitrate out per participant', unit: 'kbps', better: null, pick: (s) => s.overall.clients.bitrateOutKbpsMean },
  { figure: 'bridge CPU peak', unit: 'cores', better: 'lower', pick: (s) => maxOf(s.overall.bridges.map((b) => b.cpuCoresMax)) },
  { figure: 'bridge stress max', unit: '', better: 'lower', pick: (s) => maxOf(s.overall.bridges.map((b) => b.stressMax)) },
];

const PER_STEP: FigureSpec[] = [
  { figure: 'participants measured', unit: '', better: 'higher', pick: (s, n) => steady(s, n!)?.clients.participants ?? null },
  { figure: 'bridge CPU, Σ of means', unit: 'cores', better: 'lower', pick: (s, n) => steady(s, n!)?.bridgeCpuCoresTotal ?? null },
  { figure: 'CPU per participant', unit: 'cores', better: 'lower', pick: (s, n) => steady(s, n!)?.cpuPerParticipant ?? null },
  { figure: 'bridge stress max', unit: '', better: 'lower', pick: (s, n) => steady(s, n!)?.stressMax ?? null },
  { figure: 'audio receive loss, pooled', unit: '%', better: 'lower', pick: (s, n) => steady(s, n!)?.clients.audio.pooledLossPct ?? null },
  { figure: 'video receive loss, pooled', unit: '%', better: 'lower', pick: (s, n) => steady(s, n!)?.clients.video.pooledLossPct ?? null },
  { figure: 'RTT, mean', unit: 'ms', better: 'lower', pick: (s, n) => steady(s, n!)?.clients.rttMsMean ?? null },
];

function compared(scope: string, spec: FigureSpec, a: number | null, b: number | null): ComparedFigure {
  const delta = a !== null && b !== null ? Math.round((b - a) * 1e6) / 1e6 : null;
  const deltaPct = delta !== null && a !== null && a !== 0 ? Math.round((delta / a) * 1000) / 10 : null;
  return { scope, figure: spec.figure, unit: spec.unit, better: spec.better, a, b, delta, deltaPct };
}

/** The comparison object (pure): overall figures, then per bridge count (steady phase). */
export function compareSummaries(a: { dir: string; summary: Summary }, b: { dir: string; summary: Summary }): Comparison {
  const figures: ComparedFigure[] = OVERALL.map((f) => compared('overall', f, f.pick(a.summary), f.pick(b.summary)));
  const counts = [...new Set([...a.summary.steps, ...b.summary.steps].map((s) => s.bridges))].sort((x, y) => x - y);
  for (const n of counts) {
    for (const f of PER_STEP) {
      const fa = f.pick(a.summary, n);
      const fb = f.pick(b.summary, n);
      if (fa === null && fb === null) continue;
      figures.push(compared(`${n} bridge${n === 1 ? '' : 's'}, steady`, f, fa, fb));
    }
  }
  const ref = (r: { dir: string; summary: Summary }): RunRef => ({ dir: resolve(r.dir), label: basename(resolve(r.dir)), scenario: r.summary.scenario, run: r.summary.run });
  const refA = ref(a);
  const refB = ref(b);
  if (refA.label === refB.label) {
    refA.label = `A: ${refA.label}`;
    refB.label = `B: ${refB.label}`;
  }
  return { schema: 'jitsi-k8s/bench-compare@1', a: refA, b: refB, figures };
}

function deltaCell(f: ComparedFigure): string {
  if (f.delta === null) return '<td class="na">—</td>';
  const sign = f.delta > 0 ? '+' : '';
  const text = `${sign}${fmtAuto(f.delta)}${f.deltaPct !== null ? ` (${sign}${fmt(f.deltaPct, 1)} %)` : ''}`;
  const improved = f.better === null || f.delta === 0 ? null : (f.better === 'lower') === f.delta < 0;
  const cls = improved === null ? '' : improved ? ' class="delta-better"' : ' class="delta-worse"';
  return `<td${cls}>${esc(text)}</td>`;
}

const cell = (v: number | null) => (v === null ? '<td class="na">—</td>' : `<td>${esc(fmtAuto(v))}</td>`);

export function renderCompare(comparison: Comparison, a: LoadedRun, b: LoadedRun, template: string, generatedAt = new Date()): string {
  const la = comparison.a.label;
  const lb = comparison.b.label;
  const rows = comparison.figures.map(
    (f) => `<tr><td class="l">${esc(f.scope)}</td><td class="l">${esc(f.figure)}</td><td class="l">${esc(f.unit)}</td>${cell(f.a)}${cell(f.b)}${deltaCell(f)}</tr>`,
  );
  const counts = [...new Set([...a.summary.steps, ...b.summary.steps].map((s) => s.bridges))].sort((x, y) => x - y);
  const cpp = (s: Summary) => counts.map((n) => steady(s, n)?.cpuPerParticipant ?? null);
  const noBridge = 'Neither run measured a bridge (no bridge samples).';
  const charts = [
    barChart({
      id: 'compare-cpu-per-participant',
      title: 'Bridge CPU per participant vs bridge count (steady phase)',
      yLabel: 'CPU per participant (cores)',
      xLabel: 'bridges',
      categories: counts.map((n) => `${n} bridge${n === 1 ? '' : 's'}`),
      series: [
        { name: la, color: RUN_COLORS.a, values: cpp(a.summary) },
        { name: lb, color: RUN_COLORS.b, values: cpp(b.summary) },
      ],
      emptyText: noBridge,
      valueDigits: 4,
    }),
    lineChart({
      id: 'compare-client-loss',
      title: 'Client receive loss over time',
      yLabel: 'packet loss (%)',
      series: [
        { name: `audio · ${la}`, color: MEDIA_COLORS.audio, points: a.series.audioLossPct },
        { name: `audio · ${lb}`, color: MEDIA_COLORS.audio, points: b.series.audioLossPct, dashed: true },
        { name: `video · ${la}`, color: MEDIA_COLORS.video, points: a.series.videoLossPct },
        { name: `video · ${lb}`, color: MEDIA_COLORS.video, points: b.series.videoLossPct, dashed: true },
      ],
      emptyText: 'No participant received media in either run.',
      note: 'each run from its own start; solid = first run, dashed = second run',
    }),
    // one run against the other, same axes: solid = first run, dashed = second run
    ...(
      [
        ['compare-bridge-cpu', 'Bridge CPU over time, all bridges together', 'CPU (cores)', 'bridgeCpuTotal', noBridge],
        ['compare-bridge-stress', 'Highest bridge stress over time', 'stress (load ÷ threshold)', 'bridgeStressMax', noBridge],
        ['compare-participants', 'Participants being measured', 'participants', 'participants', 'No participant samples in either run.'],
        ['compare-rtt', 'Round-trip time (clients)', 'RTT (ms)', 'rttMs', 'No participant reported a round-trip time in either run.'],
      ] as const
    ).map(([id, title, yLabel, key, emptyText]) =>
      lineChart({
        id,
        title,
        yLabel,
        series: [
          { name: la, color: RUN_COLORS.a, points: a.series[key] },
          { name: lb, color: RUN_COLORS.b, points: b.series[key], dashed: true },
        ],
        emptyText,
      }),
    ),
  ];
  const side = (label: string, run: LoadedRun, color: string) => {
    const s = run.summary;
    const when = s.run.start !== null ? new Date(s.run.start).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'no records';
    return `<section><h3><span class="dot" style="background:${color}"></span>${esc(label)}</h3><p class="sub"><code>${esc(resolve(run.dir))}</code><br>${esc(when)} · ${esc(fmt(s.run.durationS, 0))} s${s.run.bridgeMeasured ? '' : ' · no bridge measured'}${s.run.interrupted ? ' · interrupted' : ''}</p>${scenarioList(s)}</section>`;
  };
  const body = [
    `<header class="top"><h1>${esc(`jitsi-k8s bench — ${la} vs ${lb}`)}</h1><p class="sub">Δ = second run − first run; green is better, red is worse.</p></header>`,
    comparison.regression ? regressionHtml(comparison.regression) : '',
    `<div class="runs">${side(la, a, RUN_COLORS.a)}${side(lb, b, RUN_COLORS.b)}</div>`,
    '<h2>Key figures</h2>',
    `<div class="table-wrap"><table><thead><tr><th class="l">scope</th><th class="l">figure</th><th class="l">unit</th><th>${esc(la)}</th><th>${esc(lb)}</th><th>Δ</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
    '<h2>Charts</h2>',
    `<div class="charts two">${charts.join('')}</div>`,
    definitions(a.summary),
  ].join('\n');
  return fillTemplate(template, { title: `jitsi-k8s bench compare — ${la} vs ${lb}`, generated: generatedAt.toISOString(), body });
}
