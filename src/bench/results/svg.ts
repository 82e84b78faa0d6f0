/** Inline SVG charts, drawn by our own code: the report needs no script, font or network. */
import type { Phase } from '../samples.js';
import { esc, tickLabel } from './html.js';
import type { PhaseBand, Point } from './series.js';

export interface LineSeries {
  name: string;
  color: string;
  points: Point[];
  dashed?: boolean;
}

export interface LineChartSpec {
  /** stable id, written as data-chart (tests and styles find charts by it) */
  id: string;
  title: string;
  yLabel: string;
  xLabel?: string;
  series: LineSeries[];
  bands?: PhaseBand[];
  refLines?: { y: number; label: string }[];
  /** label where each sweep step begins ("2 bridges"); off for a run without bridges */
  stepLabels?: boolean;
  /** shown instead of a chart when no series holds a value */
  emptyText: string;
  note?: string;
}

export interface BarChartSpec {
  id: string;
  title: string;
  yLabel: string;
  xLabel: string;
  categories: string[];
  series: { name: string; color: string; values: (number | null)[] }[];
  emptyText: string;
  note?: string;
  valueDigits?: number;
}

export const PHASE_COLORS: Record<Phase, string> = {
  warmup: '#eceef2',
  'ramp-up': '#dde9fb',
  steady: '#dcf1e0',
  'ramp-down': '#fbe8d2',
  cooldown: '#eceef2',
};

// sized for a half-width column of the report, so 11 px text stays about 11 px on screen
const W = 620;
const H = 300;
const M = { left: 58, right: 14, top: 26, bottom: 46 };

function niceStep(range: number, targetTicks: number): number {
  const raw = range / targetTicks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

/** 0 .. a nice maximum at or above `hi`, with its ticks. */
export function niceScale(hi: number, targetTicks = 5): { max: number; ticks: number[] } {
  if (!(hi > 0)) return { max: 1, ticks: [0, 0.25, 0.5, 0.75, 1] };
  const step = niceStep(hi, targetTicks);
  const max = Number((Math.ceil(hi / step - 1e-9) * step).toPrecision(12));
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { max, ticks };
}

const n1 = (v: number) => (Math.round(v * 10) / 10).toString();

function legend(items: { name: string; color: string; dashed?: boolean }[]): string {
  if (items.length === 0) return '';
  return `<ul class="legend">${items
    .map(
      (s) =>
        `<li><svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" stroke="${esc(s.color)}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/></svg>${esc(s.name)}</li>`,
    )
    .join('')}</ul>`;
}

function frame(id: string, title: string, body: string, note?: string): string {
  return `<figure class="chart-box" data-chart-box="${esc(id)}"><figcaption>${esc(title)}</figcaption>${body}${note ? `<p class="chart-note">${esc(note)}</p>` : ''}</figure>`;
}

function empty(id: string, title: string, text: string): string {
  return frame(id, title, `<div class="chart-empty" data-chart-empty="${esc(id)}">${esc(text)}</div>`);
}

/**
 * How far apart two points may be and still be joined by a line: 2.5 × the usual spacing. Sources
 * sample at different rates (bridges every 5–15 s), so an empty bucket alone is no gap; a sampler
 * that went quiet for longer is, and the line breaks there.
 */
function gapLimit(xs: number[]): number {
  const gaps = xs.slice(1).map((x, i) => x - xs[i]!).sort((a, b) => a - b);
  const typical = gaps[Math.floor(gaps.length / 2)];
  return typical === undefined ? Infinity : typical * 2.5;
}

/** Ticks for the time axis: the domain ends at the data, ticks at a nice step within it. */
function timeScale(hi: number): { max: number; ticks: number[] } {
  const step = niceScale(hi, 6).ticks[1] ?? hi;
  const ticks: number[] = [];
  for (let v = 0; v <= hi + 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return { max: hi, ticks };
}

export function lineChart(spec: LineChartSpec): string {
  const values = spec.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y): y is number => y !== null);
  if (values.length === 0) return empty(spec.id, spec.title, spec.emptyText);
  const xMax = Math.max(1, ...spec.series.flatMap((s) => s.points.map(([x]) => x)), ...(spec.bands ?? []).map((b) => b.endS));
  const yHi = Math.max(...values, ...(spec.refLines ?? []).map((r) => r.y));
  const ys = niceScale(yHi);
  // runs longer than 20 minutes read better in minutes; the data stays in seconds
  const perUnit = xMax > 1200 ? 60 : 1;
  const xsUnit = timeScale(xMax / perUnit);
  const xs = { max: xsUnit.max * perUnit, ticks: xsUnit.ticks.map((t) => t * perUnit) };
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number) => M.left + (x / xs.max) * pw;
  const py = (y: number) => M.top + ph - (y / ys.max) * ph;
  const parts: string[] = [];

  // phase shading, with a line and a label where each sweep step begins
  let lastStep: number | undefined;
  for (const b of spec.bands ?? []) {
    const x1 = px(Math.max(0, b.startS));
    const x2 = px(Math.min(xs.max, b.endS));
    parts.push(
      `<rect class="band" data-phase="${esc(b.phase)}" x="${n1(x1)}" y="${M.top}" width="${n1(Math.max(0.5, x2 - x1))}" height="${ph}" fill="${PHASE_COLORS[b.phase] ?? '#f1f3f6'}"><title>${esc(`step ${b.step} (${b.bridges} bridge${b.bridges === 1 ? '' : 's'}): ${b.phase}`)}</title></rect>`,
    );
    if (b.step !== lastStep && spec.stepLabels !== false) {
      if (lastStep !== undefined) parts.push(`<line class="step-line" x1="${n1(x1)}" x2="${n1(x1)}" y1="${M.top}" y2="${M.top + ph}"/>`);
      parts.push(`<text class="step-label" x="${n1(x1 + 4)}" y="${M.top - 8}">${esc(`${b.bridges} bridge${b.bridges === 1 ? '' : 's'}`)}</text>`);
      lastStep = b.step;
    }
  }
  // grid and axes
  for (const t of ys.ticks) {
    parts.push(`<line class="grid" x1="${M.left}" x2="${M.left + pw}" y1="${n1(py(t))}" y2="${n1(py(t))}"/>`);
    parts.push(`<text class="tick" x="${M.left - 6}" y="${n1(py(t) + 4)}" text-anchor="end">${esc(tickLabel(t))}</text>`);
  }
  for (const t of xs.ticks) {
    parts.push(`<line class="tick-mark" x1="${n1(px(t))}" x2="${n1(px(t))}" y1="${M.top + ph}" y2="${M.top + ph + 4}"/>`);
    parts.push(`<text class="tick" x="${n1(px(t))}" y="${M.top + ph + 17}" text-anchor="middle">${esc(tickLabel(t / perUnit))}</text>`);
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}"/>`);
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}"/>`);
  parts.push(
    `<text class="axis-label" x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle">${esc(spec.xLabel ?? `time since start (${perUnit === 60 ? 'min' : 's'})`)}</text>`,
  );
  parts.push(
    `<text class="axis-label" transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  for (const r of spec.refLines ?? []) {
    parts.push(`<line class="ref-line" x1="${M.left}" x2="${M.left + pw}" y1="${n1(py(r.y))}" y2="${n1(py(r.y))}"/>`);
    parts.push(`<text class="ref-label" x="${M.left + pw - 4}" y="${n1(py(r.y) - 4)}" text-anchor="end">${esc(r.label)}</text>`);
  }
  // data: a path per series, broken where a bucket holds no value
  for (const s of spec.series) {
    let d = '';
    const defined = s.points.filter(([, y]) => y !== null) as [number, number][];
    const maxGap = gapLimit(defined.map(([x]) => x));
    let prevX: number | undefined;
    for (const [x, y] of defined) {
      d += `${prevX === undefined || x - prevX > maxGap ? 'M' : 'L'}${n1(px(x))} ${n1(py(y))}`;
      prevX = x;
    }
    if (d === '') continue;
    parts.push(
      `<path class="series" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    // markers where points are few enough to hover (and so a lone point is visible at all)
    if (defined.length <= 60) {
      for (const [x, y] of defined) {
        parts.push(
          `<circle class="marker" cx="${n1(px(x))}" cy="${n1(py(y))}" r="2.6" fill="${esc(s.color)}"><title>${esc(`${s.name}: ${tickLabel(y)} at ${tickLabel(x)} s`)}</title></circle>`,
        );
      }
    }
  }
  const svg = `<svg class="chart" data-chart="${esc(spec.id)}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
  return frame(spec.id, spec.title, legend(spec.series) + svg, spec.note);
}

export function barChart(spec: BarChartSpec): string {
  const values = spec.series.flatMap((s) => s.values).filter((v): v is number => v !== null);
  if (values.length === 0 || spec.categories.length === 0) return empty(spec.id, spec.title, spec.emptyText);
  const ys = niceScale(Math.max(...values) * 1.12);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const py = (y: number) => M.top + ph - (y / ys.max) * ph;
  const groupW = pw / spec.categories.length;
  const barW = Math.min(64, (groupW * 0.7) / spec.series.length);
  const digits = spec.valueDigits ?? 3;
  const parts: string[] = [];
  for (const t of ys.ticks) {
    parts.push(`<line class="grid" x1="${M.left}" x2="${M.left + pw}" y1="${n1(py(t))}" y2="${n1(py(t))}"/>`);
    parts.push(`<text class="tick" x="${M.left - 6}" y="${n1(py(t) + 4)}" text-anchor="end">${esc(tickLabel(t))}</text>`);
  }
  spec.categories.forEach((cat, ci) => {
    const cx = M.left + groupW * (ci + 0.5);
    parts.push(`<text class="tick" x="${n1(cx)}" y="${M.top + ph + 17}" text-anchor="middle">${esc(cat)}</text>`);
    spec.series.forEach((s, si) => {
      const x = cx - (barW * spec.series.length) / 2 + si * barW;
      const v = s.values[ci] ?? null;
      if (v === null) {
        parts.push(`<text class="bar-missing" x="${n1(x + barW / 2)}" y="${M.top + ph - 6}" text-anchor="middle">no data</text>`);
        return;
      }
      const y = py(v);
      // the bar itself is the data path (a closed path, so tests and tools find it like a line's)
      parts.push(
        `<path class="series bar" data-series="${esc(s.name)}" d="M${n1(x + 2)} ${n1(M.top + ph)}V${n1(y)}H${n1(x + barW - 2)}V${n1(M.top + ph)}Z" fill="${esc(s.color)}"><title>${esc(`${s.name}, ${cat}: ${v.toFixed(digits)}`)}</title></path>`,
      );
      parts.push(`<text class="bar-value" x="${n1(x + barW / 2)}" y="${n1(y - 5)}" text-anchor="middle">${esc(v.toFixed(digits))}</text>`);
    });
  });
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}"/>`);
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}"/>`);
  parts.push(`<text class="axis-label" x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  const svg = `<svg class="chart" data-chart="${esc(spec.id)}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
  return frame(spec.id, spec.title, legend(spec.series.length > 1 ? spec.series : []) + svg, spec.note);
}

/** The phase colours, as a legend shared by every time chart. */
export function phaseLegend(phases: Phase[]): string {
  if (phases.length === 0) return '';
  return `<ul class="legend phases">${phases
    .map((p) => `<li><span class="swatch" style="background:${PHASE_COLORS[p]}"></span>${esc(p)}</li>`)
    .join('')}</ul>`;
}
