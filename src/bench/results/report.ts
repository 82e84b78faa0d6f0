/** report.html: one self-contained page (inline CSS and SVG, no script) from a Summary and its series. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CommandError } from '../../errors.js';
import { packageFile } from '../../package-file.js';
import { JOIN_FAILURE_REASONS, type Phase } from '../samples.js';
import { colorOf, esc, fmt, MEDIA_COLORS } from './html.js';
import type { RunSeries } from './series.js';
import type { BridgeFigures, Summary } from './summary.js';
import { barChart, lineChart, phaseLegend } from './svg.js';
import { verdictHtml } from './verdict-view.js';
import { climbHtml } from './climb-view.js';

export async function loadTemplate(): Promise<string> {
  // the template ships in the npm package (templates/)
  const template = packageFile('templates/report.html');
  try {
    return await readFile(template, 'utf8');
  } catch (err) {
    throw new CommandError(
      `the report template ${fileURLToPath(template)} cannot be read: ${(err as Error).message}`,
      'the jitsi-k8s installation is incomplete; reinstall it (npm install -g jitsi-k8s)',
    );
  }
}

/** Fills {{title}}, {{generated}}, {{body}}; title and generated are escaped here, body is HTML already. */
export function fillTemplate(template: string, parts: { title: string; generated: string; body: string }): string {
  return template.replace(/\{\{(title|generated|body)\}\}/g, (_, key: 'title' | 'generated' | 'body') =>
    key === 'body' ? parts.body : esc(parts[key]),
  );
}

const NO_BRIDGE = 'No bridge was measured in this run: samples.jsonl holds no bridge samples (a loopback run, or the sampler reached no JVB pod).';

export function bridgeColors(names: string[]): Map<string, string> {
  return new Map([...names].sort().map((n, i) => [n, colorOf(i)]));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function td(value: string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${value}</td>`;
}
function num(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined ? td('—', 'na') : td(esc(fmt(value, digits)));
}
/** Column groups: a group's name spans its columns in a first header row (keeps headers short). */
type Head = { group?: string; cols: string[] }[];
function table(head: Head, rows: string[], leftCols = 1): string {
  const grouped = head.some((h) => h.group);
  let i = 0;
  const sub = head
    .flatMap((h) => h.cols)
    .map((c) => `<th${i++ < leftCols ? ' class="l"' : ''}>${esc(c)}</th>`)
    .join('');
  const top = grouped
    ? `<tr class="groups">${head.map((h) => `<th colspan="${h.cols.length}"${h.group ? ' class="group"' : ''}>${esc(h.group ?? '')}</th>`).join('')}</tr>`
    : '';
  return `<div class="table-wrap"><table><thead>${top}<tr>${sub}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

export function scenarioList(summary: Summary): string {
  const s = summary.scenario;
  const items: [string, unknown][] = [
    ['shape', s.shape],
    ['target', s.target],
    ['url', s.url],
    ['participants', s.participants],
    ['rooms', s.rooms],
    // runs before the shape line counted senders for the whole run
    [s.shape ? 'senders per room' : 'senders', s.senders],
    ['steady window', s.durationS !== undefined ? `${s.durationS} s` : undefined],
    ['ramp', s.ramp],
    ['bridge counts', s.replicas?.join(', ')],
    ['runner', s.runner],
    ['sample interval', s.sampleIntervalMs !== undefined ? `${s.sampleIntervalMs} ms` : undefined],
    ['sender camera', s.video],
    ['page size', s.viewport],
    ['machine', s.machine],
    // the rest as the engine wrote it; "warmupMs: 3000" reads better as "warmup: 3 s"
    ...Object.entries(s.other).map(([k, v]): [string, unknown] =>
      /Ms$/.test(k) && typeof v === 'number' ? [k.replace(/Ms$/, ''), `${v / 1000} s`] : [k, v],
    ),
  ];
  const shown = items.filter(([, v]) => v !== undefined && v !== '');
  if (shown.length === 0) return '<p class="sub">scenario.json holds no scenario fields.</p>';
  return `<dl class="scenario">${shown.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}

function card(label: string, value: string, unit: string, detail: string): string {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value">${esc(value)}${unit && value !== '—' ? `<small>${esc(unit)}</small>` : ''}</div><div class="detail">${esc(detail)}</div></div>`;
}

function steadyCpuPerParticipant(summary: Summary): { bridges: number; value: number | null }[] {
  return summary.steps.map((s) => ({ bridges: s.bridges, value: s.phases.find((p) => p.phase === 'steady')?.cpuPerParticipant ?? null }));
}

export function keyCards(summary: Summary): string {
  const o = summary.overall;
  const c = o.clients;
  const peak = o.bridges.map((b) => b.cpuCoresMax).filter((v): v is number => v !== null);
  const stress = o.bridges.map((b) => b.stressMax).filter((v): v is number => v !== null);
  const cpp = steadyCpuPerParticipant(summary).filter((x) => x.value !== null) as { bridges: number; value: number }[];
  const cppValue = cpp.length === 0 ? '—' : cpp.length === 1 ? fmt(cpp[0]!.value, 3) : `${fmt(Math.min(...cpp.map((x) => x.value)), 3)}–${fmt(Math.max(...cpp.map((x) => x.value)), 3)}`;
  const lg = c.byRole;
  const cards = [
    card('Participants joined', String(o.participants.joined), '', `${o.participants.failed} failed · ${c.participants} measured`),
    card('Audio receive loss', fmt(c.audio.pooledLossPct, 2), '%', `pooled · mean ${fmt(c.audio.lossPctMean)} · p95 ${fmt(c.audio.lossPctP95)} %`),
    card('Video receive loss', fmt(c.video.pooledLossPct, 2), '%', `pooled · p95 ${fmt(c.video.lossPctP95)} % · ${c.video.nackCount ?? '—'} NACKs`),
    card('Round-trip time', fmt(c.rttMsMean, 1), 'ms', `mean · p95 ${fmt(c.rttMsP95, 1)} ms`),
  ];
  if (summary.run.bridgeMeasured) {
    cards.push(
      card('Bridge CPU peak', peak.length ? fmt(Math.max(...peak), 2) : '—', 'cores', `max of ${plural(o.bridges.length, 'bridge')}`),
      card('Bridge CPU per participant', cppValue, 'cores', cpp.length ? 'steady phase, all bridges' : 'no steady bridge CPU'),
      card('Bridge stress max', stress.length ? fmt(Math.max(...stress), 2) : '—', '', '1.0 = overloaded'),
    );
  } else {
    cards.push(card('Bridge CPU', '—', '', 'not measured: no bridge samples in this run'));
  }
  // what the machine driving the browsers spent per page (the engine's per-browser CPU and PSS)
  for (const [label, role] of [['sender', lg.sender], ['receiver', lg.receiver]] as const) {
    if (role.cpuCoresPerParticipantMean === null) continue;
    cards.push(card(`Browser CPU per ${label}`, fmt(role.cpuCoresPerParticipantMean, 3), 'cores', `load generator · ${role.pssMiBPerParticipantMean !== null ? `${fmt(role.pssMiBPerParticipantMean, 0)} MiB PSS` : 'no PSS'}`));
  }
  return `<div class="cards">${cards.join('')}</div>`;
}

export function notices(summary: Summary): string {
  const out: string[] = [];
  if (!summary.run.bridgeMeasured) out.push(`<div class="notice" data-notice="no-bridge"><strong>No bridge measured.</strong> ${esc(NO_BRIDGE)} Client figures below are still real.</div>`);
  if (summary.run.interrupted) out.push('<div class="notice"><strong>Interrupted.</strong> The run was stopped early; the figures cover what was measured until then.</div>');
  const input = summary.input;
  if (input && (input.badLines > 0 || input.truncatedLastLine)) {
    const parts = [];
    if (input.badLines > 0) parts.push(`${input.badLines} unreadable line(s) skipped (${input.badExamples.map((e) => `line ${e.line}: ${e.reason}`).join('; ')})`);
    if (input.truncatedLastLine) parts.push('the last line was cut off mid-write and was skipped');
    out.push(`<div class="notice"><strong>samples.jsonl:</strong> ${esc(parts.join('; '))}.</div>`);
  }
  for (const n of summary.notes) {
    if (n.startsWith('no bridge was measured') || n.startsWith('the run was interrupted')) continue;
    out.push(`<div class="notice">${esc(n)}</div>`);
  }
  return out.join('');
}

export function clientTable(summary: Summary): string {
  const measured = summary.run.bridgeMeasured;
  const rows: string[] = [];
  for (const s of summary.steps) {
    for (const p of s.phases) {
      const c = p.clients;
      rows.push(
        `<tr class="${p.phase === 'steady' ? 'steady' : ''}">${td(esc(String(s.bridges)), 'l')}${td(esc(p.phase), 'l')}${num(p.durationS, 0)}${td(String(p.participants.joined))}${td(String(p.participants.failed))}${td(String(c.participants))}` +
          `${num(c.audio.lossPctMean)}${num(c.audio.lossPctP95)}${num(c.audio.pooledLossPct)}${num(c.video.lossPctMean)}${num(c.video.lossPctP95)}${num(c.video.pooledLossPct)}` +
          `${num(c.video.nackCount, 0)}${num(c.sendLossPctMean)}${num(c.rttMsMean, 1)}${num(c.rttMsP95, 1)}${num(c.bitrateInKbpsMean, 0)}${num(c.bitrateOutKbpsMean, 0)}` +
          `${num(c.byRole.sender.cpuCoresPerParticipantMean, 3)}${num(c.byRole.receiver.cpuCoresPerParticipantMean, 3)}${num(c.loadGenerator.pssMiBPerParticipantMean, 0)}` +
          `${measured ? `${num(p.bridgeCpuCoresTotal)}${num(p.cpuPerParticipant, 4)}` : ''}</tr>`,
      );
    }
  }
  return table(
    [
      { cols: ['bridges', 'phase', 's'] },
      { group: 'participants', cols: ['joined', 'failed', 'measured'] },
      { group: 'audio loss %', cols: ['mean', 'p95', 'pooled'] },
      { group: 'video loss %', cols: ['mean', 'p95', 'pooled', 'NACKs'] },
      { group: 'send loss %', cols: ['mean'] },
      { group: 'RTT ms', cols: ['mean', 'p95'] },
      { group: 'kbps / participant', cols: ['in', 'out'] },
      { group: 'browser cores / page', cols: ['sender', 'receiver'] },
      { group: 'PSS / page', cols: ['MiB'] },
      ...(measured ? [{ group: 'bridge CPU cores', cols: ['Σ', 'per participant'] }] : []),
    ],
    rows,
    2,
  );
}

export function bridgeTable(summary: Summary, colors: Map<string, string>): string {
  const rows: string[] = [];
  for (const s of summary.steps) {
    for (const p of s.phases) {
      for (const b of p.bridges) rows.push(bridgeRow(s.bridges, p.phase, b, colors));
    }
  }
  if (rows.length === 0) return `<p class="sub">${esc(NO_BRIDGE)}</p>`;
  return table(
    [
      { cols: ['bridges', 'phase', 'bridge', 'node'] },
      { group: 'CPU cores', cols: ['mean', 'p95', 'per participant'] },
      { group: 'memory', cols: ['MiB'] },
      { group: 'stress', cols: ['mean', 'max'] },
      { group: 'max', cols: ['conferences', 'participants'] },
      { group: 'incoming loss %', cols: ['mean', 'p95'] },
      { group: 'outgoing loss %', cols: ['mean', 'p95'] },
      { group: 'kbps', cols: ['down', 'up'] },
    ],
    rows,
    4,
  );
}

function bridgeRow(bridges: number, phase: Phase, b: BridgeFigures, colors: Map<string, string>): string {
  const dot = `<span class="dot" style="background:${esc(colors.get(b.bridge) ?? '#999')}"></span>`;
  return (
    `<tr class="${phase === 'steady' ? 'steady' : ''}">${td(esc(String(bridges)), 'l')}${td(esc(phase), 'l')}${td(dot + esc(b.bridge), 'l')}${td(esc(b.node ?? '—'), 'l')}` +
    `${num(b.cpuCoresMean, 3)}${num(b.cpuCoresP95, 3)}${num(b.cpuPerParticipant, 4)}${num(b.memoryMiBMean, 0)}${num(b.stressMean)}${num(b.stressMax)}${num(b.conferencesMax, 0)}${num(b.participantsMax, 0)}` +
    `${num(b.incomingLossPctMean)}${num(b.incomingLossPctP95)}${num(b.outgoingLossPctMean)}${num(b.outgoingLossPctP95)}${num(b.bitrateDownKbpsMean, 0)}${num(b.bitrateUpKbpsMean, 0)}</tr>`
  );
}

export function placementTable(summary: Summary, colors: Map<string, string>): string {
  if (summary.placement.length === 0) return '<p class="sub">No participant samples name a room.</p>';
  const rows = summary.placement.map((p) => {
    const names = p.bridgeNames.length
      ? p.bridgeNames.map((n) => `<span class="dot" style="background:${esc(colors.get(n) ?? '#999')}"></span>${esc(n)}`).join(', ')
      : '<span class="na">unknown</span>';
    return `<tr>${td(esc(String(p.bridges)), 'l')}${td(esc(p.room), 'l')}${td(names, 'l')}${td(String(p.participants))}</tr>`;
  });
  return table([{ cols: ['bridges', 'room', 'landed on', 'participants'] }], rows, 3);
}

function failureList(summary: Summary): string {
  const f = summary.run.failures;
  const reasons = summary.run.reasons ?? [];
  if (f.length === 0 && reasons.length === 0) return '';
  const byReason = reasons.map((r) => `<tr data-reason="${esc(r.reason)}">${td(esc(r.event === 'left' ? 'left early' : 'join failed'), 'l')}${td(esc(r.label), 'l')}${td(String(r.count))}${td(esc(r.example ?? '—'), 'l')}</tr>`);
  const rows = f.map((x) => `<tr>${td(esc(new Date(x.t).toISOString()), 'l')}${td(esc(x.phase), 'l')}${td(esc(x.participant ?? '—'), 'l')}${td(esc(x.reason ? JOIN_FAILURE_REASONS[x.reason] : '—'), 'l')}${td(esc(x.detail ?? '—'), 'l')}</tr>`);
  return `<h2>Why participants did not join</h2>${table([{ cols: ['outcome', 'reason', 'participants', 'first detail'] }], byReason, 4)}${
    rows.length ? table([{ cols: ['time', 'phase', 'participant', 'reason', 'detail'] }], rows, 5) : ''
  }`;
}

/** Per receiver: the video height it received (the layer the bridge sent) and its decode rate; lite receivers decode nothing by design. */
function receiverTable(summary: Summary): string {
  const receivers = summary.receivers ?? [];
  if (receivers.length === 0) return '';
  const rows = receivers.map(
    (r) =>
      `<tr>${td(esc(r.participant), 'l')}${td(esc(r.room ?? '—'), 'l')}${td(r.lite ? 'lite' : 'decodes', 'l')}${td(r.videoHeightIn === null ? '—' : `${r.videoHeightIn}p`)}${td(esc(r.videoHeightsIn.map((h) => `${h}p`).join(', ') || '—'), 'l')}${num(r.framesPerSecondMean, 1)}${td(String(r.samples))}</tr>`,
  );
  return `<h2>Receivers: received video layer and decode rate</h2>${table([{ cols: ['receiver', 'room', 'mode', 'height (most samples)', 'heights seen', 'decode fps', 'samples'] }], rows, 7)}`;
}

function cpuSources(summary: Summary): string {
  const sources = [...new Set(summary.overall.bridges.map((b) => b.cpuSource).filter((x): x is string => x !== null))];
  return sources.length ? `; CPU from ${sources.join(', ')}` : '';
}

/** The charts of one run (also used for each side of a comparison). */
export function runCharts(summary: Summary, series: RunSeries, colors: Map<string, string>): string {
  const phases = [...new Set(series.bands.map((b) => b.phase))] as Phase[];
  const bands = series.bands;
  const bridgeLines = (src: Record<string, RunSeries['bridgeCpu'][string]>) =>
    series.bridgeNames.filter((n) => src[n]).map((n) => ({ name: n, color: colors.get(n) ?? '#999', points: src[n]! }));
  const cpp = steadyCpuPerParticipant(summary);
  const stressMax = Math.max(0, ...Object.values(series.bridgeStress).flatMap((pts) => pts.map(([, y]) => y ?? 0)));
  const stepLabels = summary.steps.length > 1 || summary.run.bridgeMeasured;
  const bridgeCharts = [
    lineChart({
      id: 'bridge-cpu',
      title: 'Bridge CPU over time',
      yLabel: 'CPU (cores)',
      series: bridgeLines(series.bridgeCpu),
      bands,
      stepLabels,
      emptyText: NO_BRIDGE,
      note: `mean per ${series.bucketS} s, one line per JVB pod${cpuSources(summary)}`,
    }),
    barChart({
      id: 'cpu-per-participant',
      title: 'Bridge CPU per participant vs bridge count (steady phase)',
      yLabel: 'CPU per participant (cores)',
      xLabel: 'bridges',
      categories: cpp.map((x) => plural(x.bridges, 'bridge')),
      series: [{ name: 'cores per participant', color: '#2563eb', values: cpp.map((x) => x.value) }],
      emptyText: summary.run.bridgeMeasured ? 'No steady phase with bridge CPU and participants.' : NO_BRIDGE,
      note: 'Σ of the bridges\' mean CPU ÷ distinct participants measured in the steady phase',
      valueDigits: 4,
    }),
  ];
  const clientCharts = [
    lineChart({
      id: 'client-loss',
      title: 'Client receive loss over time',
      yLabel: 'packet loss (%)',
      series: [
        { name: 'audio', color: MEDIA_COLORS.audio, points: series.audioLossPct },
        { name: 'video (after NACK/RTX)', color: MEDIA_COLORS.video, points: series.videoLossPct },
      ],
      bands,
      stepLabels,
      emptyText: 'No participant received media: no loss to show.',
      note: `pooled over all participants per ${series.bucketS} s: Σlost ÷ (Σlost + Σreceived)`,
    }),
  ];
  bridgeCharts.push(
    lineChart({
      id: 'bridge-stress',
      title: 'Bridge stress over time',
      yLabel: 'stress (load ÷ threshold)',
      series: bridgeLines(series.bridgeStress),
      bands,
      stepLabels,
      refLines: stressMax > 0.7 ? [{ y: 1, label: 'overloaded (1.0)' }] : [],
      emptyText: NO_BRIDGE,
      note: 'from /colibri/stats stress_level; the bridge refreshes it every 5–10 s',
    }),
  );
  clientCharts.push(
    lineChart({
      id: 'participants',
      title: 'Participants being measured',
      yLabel: 'participants',
      series: [{ name: 'participants sampled', color: '#16a34a', points: series.participants }],
      bands,
      stepLabels,
      emptyText: 'No participant samples.',
    }),
    lineChart({
      id: 'rtt',
      title: 'Round-trip time (clients)',
      yLabel: 'RTT (ms)',
      series: [{ name: 'mean RTT', color: '#9333ea', points: series.rttMs }],
      bands,
      stepLabels,
      emptyText: 'No participant reported a round-trip time.',
    }),
    lineChart({
      id: 'load-generator',
      title: 'Load generator: browser CPU per participant',
      yLabel: 'CPU per page (cores)',
      series: [
        { name: 'sender pages', color: '#0891b2', points: series.loadGenSenderCpu },
        { name: 'receiver pages', color: '#ca8a04', points: series.loadGenReceiverCpu },
      ],
      bands,
      stepLabels,
      emptyText: 'The engine recorded no browser CPU for this run.',
      note: 'the machine driving the browsers, not the bridge: each browser\'s cores ÷ its pages',
    }),
  );
  const charts = summary.run.bridgeMeasured
    ? [bridgeCharts[0], bridgeCharts[1], clientCharts[0], bridgeCharts[2], ...clientCharts.slice(1)]
    : clientCharts;
  const left = summary.run.bridgeMeasured ? '' : '<p class="sub" data-notice="no-bridge-charts">Bridge charts (CPU, CPU per participant, stress) are left out: no bridge was measured in this run.</p>';
  return `${phaseLegend(phases)}${left}<div class="charts two">${charts.join('')}</div>`;
}

export function renderReport(summary: Summary, series: RunSeries, template: string, generatedAt = new Date()): string {
  const colors = bridgeColors(series.bridgeNames);
  const s = summary.scenario;
  const title = `jitsi-k8s bench — ${s.target ?? 'run'}${summary.capacity ? ', find-capacity' : s.participants !== undefined ? `, ${s.participants} participants` : ''}`;
  const when = summary.run.start !== null ? new Date(summary.run.start).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'no records';
  const body = [
    `<header class="top"><h1>${esc(title)}</h1><p class="sub">${esc(when)} · ${esc(fmt(summary.run.durationS, 0))} s · ${esc(plural(summary.steps.length, 'step'))} · ${esc(`${summary.run.records.participant} participant samples, ${summary.run.records.bridge} bridge samples, ${summary.run.records.event} events`)}</p>${scenarioList(summary)}</header>`,
    summary.verdict ? verdictHtml(summary.verdict) : '',
    summary.capacity ? climbHtml(summary.capacity) : '',
    notices(summary),
    '<h2>Key figures</h2>',
    keyCards(summary),
    '<h2>Charts</h2>',
    runCharts(summary, series, colors),
    '<h2>Participants and clients, per bridge count and phase</h2>',
    clientTable(summary),
    '<h2>Bridges, per bridge count and phase</h2>',
    bridgeTable(summary, colors),
    '<h2>Where each conference landed</h2>',
    placementTable(summary, colors),
    receiverTable(summary),
    failureList(summary),
    definitions(summary),
  ].join('\n');
  return fillTemplate(template, { title, generated: generatedAt.toISOString(), body });
}

export function definitions(summary: Summary): string {
  return `<h2>How the figures are computed</h2><dl class="defs">${Object.entries(summary.definitions)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('')}</dl>`;
}

