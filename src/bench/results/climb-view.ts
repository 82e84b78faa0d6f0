/** The find-capacity climb in the terminal and in report.html: each step, the knee per bridge count, the chart. */
import { formatTable } from '../../ui/table.js';
import { describeKnee, describeRoomShape, GENERATOR_LIMIT, type CapacitySearch } from '../climb-record.js';
import { colorOf, esc, fmt } from './html.js';
import { lineChart, type LineSeries } from './svg.js';

const b = (n: number) => `${n} bridge${n === 1 ? '' : 's'}`;

/** The lines of the knee(s): what held, per bridge count, with the shape. */
export function climbHeadline(c: CapacitySearch): string[] {
  const lines = [`capacity (${describeRoomShape(c.shape)}; thresholds ${c.thresholds.join(', ')}${c.defaults ? ' (defaults)' : ''}):`];
  for (const k of c.knees) lines.push(`  ${describeKnee(k, c.shape, c.outcome === 'generator-limit')}`);
  if (c.outcome === 'generator-limit') lines.push(`  ${GENERATOR_LIMIT}: ${c.generatorLimit}`);
  if (c.outcome === 'no-knee' && c.knees.some((k) => k.participants !== null)) lines.push('  no threshold broke up to the ceiling of the climb (--participants per bridge)');
  return lines;
}

export function formatClimbText(c: CapacitySearch): string {
  const rows = c.steps.map((s) => [
    s.step + 1,
    s.bridges,
    s.rooms,
    s.participants,
    fmt(s.stressMax, 2),
    fmt(s.lossPct, 2),
    s.notJoined,
    fmt(s.generatorCpuCores, 2),
    s.held ? 'held' : `broke: ${s.broke.join('; ')}`,
  ]);
  return [...climbHeadline(c), '', formatTable(['step', 'bridges', 'rooms', 'participants', 'stress max', 'loss %', 'not joined', 'browser cores', 'verdict'], rows)].join('\n');
}

/** The climb's section of report.html: the knee(s), a chart (load on x; stress, loss and CPU on y; the knee marked) and the steps. */
export function climbHtml(c: CapacitySearch): string {
  const counts = [...new Set(c.steps.map((s) => s.bridges))];
  const series: LineSeries[] = [];
  const knees: LineSeries[] = [];
  // the knee's mark spans the chart: up to the highest value drawn
  const top = Math.max(1, ...c.steps.flatMap((s) => [s.stressMax ?? 0, s.lossPct ?? 0, s.generatorCpuCores ?? 0]));
  counts.forEach((bridges, i) => {
    const at = c.steps.filter((s) => s.bridges === bridges).sort((x, y) => x.participants - y.participants);
    const color = colorOf(i);
    series.push({ name: `stress, ${b(bridges)}`, color, points: at.map((s) => [s.participants, s.stressMax]) });
    const k = c.knees.find((x) => x.bridges === bridges);
    if (k?.participants) knees.push({ name: `knee: ${k.participants} participants, ${b(bridges)}`, color, dashed: true, points: [[k.participants, 0], [k.participants, top]] });
  });
  const stress = lineChart({
    id: 'capacity-stress',
    title: 'The climb: bridge stress against load',
    yLabel: 'JVB stress (max, steady)',
    xLabel: 'participants',
    series: [...series, ...knees],
    refLines: [{ y: 0.8, label: "jicofo's stress threshold 0.8" }],
    stepLabels: false,
    emptyText: 'No bridge stress was measured during the climb.',
    note: 'each point is one step of the climb; the dashed line marks the largest load that held',
  });
  const loss = lineChart({
    id: 'capacity-loss',
    title: 'The climb: participant loss and load-generator CPU',
    yLabel: 'loss % · browser cores',
    xLabel: 'participants',
    series: [
      ...counts.map((bridges, i) => ({ name: `loss %, ${b(bridges)}`, color: colorOf(i), points: c.steps.filter((s) => s.bridges === bridges).sort((x, y) => x.participants - y.participants).map((s) => [s.participants, s.lossPct] as [number, number | null]) })),
      ...counts.map((bridges, i) => ({ name: `browser cores, ${b(bridges)}`, color: colorOf(i + counts.length), dashed: true, points: c.steps.filter((s) => s.bridges === bridges).sort((x, y) => x.participants - y.participants).map((s) => [s.participants, s.generatorCpuCores] as [number, number | null]) })),
      ...knees,
    ],
    stepLabels: false,
    emptyText: 'No loss or CPU was measured during the climb.',
  });
  const rows = c.steps
    .map(
      (s) =>
        `<tr data-step="${s.step}" data-held="${s.held}"><td>${s.step + 1}</td><td>${s.bridges}</td><td>${s.rooms}</td><td>${s.participants}</td><td>${esc(fmt(s.stressMax, 2))}</td><td>${esc(fmt(s.lossPct, 2))}</td><td>${s.notJoined}</td><td>${esc(fmt(s.generatorCpuCores, 2))}</td><td>${s.held ? 'held' : esc(`broke: ${s.broke.join('; ')}`)}</td></tr>`,
    )
    .join('');
  const headline = climbHeadline(c)
    .map((l) => `<li>${esc(l.trim())}</li>`)
    .join('');
  return [
    '<h2>Capacity: the climb</h2>',
    `<ul class="capacity" data-outcome="${esc(c.outcome)}">${headline}</ul>`,
    `<div class="charts two">${stress}${loss}</div>`,
    `<table class="climb"><thead><tr><th>step</th><th>bridges</th><th>rooms</th><th>participants</th><th>stress max</th><th>loss %</th><th>not joined</th><th>browser cores</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table>`,
  ].join('\n');
}
