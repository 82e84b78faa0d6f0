/** The compact table printed at the end of a run (stderr; plain text, no colour inside cells). */
import { formatTable } from '../../ui/table.js';
import { fmt } from './html.js';
import type { Summary } from './summary.js';
import { formatVerdictText } from './verdict-view.js';
import { formatClimbText } from './climb-view.js';

const withP95 = (v: number | null, p95: number | null, digits = 2) => (v === null ? '—' : `${fmt(v, digits)} (${fmt(p95, digits)})`);

export function formatTerminalSummary(summary: Summary): string {
  const out: string[] = [];
  const measured = summary.run.bridgeMeasured;
  const loadGen = summary.overall.clients.loadGenerator.samples > 0;
  const header = ['bridges', 'phase', 'joined', 'failed', 'measured', 'audio loss % (p95)', 'video loss % (p95)', 'RTT ms (p95)'];
  if (measured) header.push('bridge cores', 'cores/participant', 'stress max');
  if (loadGen) header.push('browser cores/sender', '/receiver');
  const clientRows = summary.steps.flatMap((s) =>
    s.phases.map((p) => {
      const row: (string | number)[] = [
        s.bridges,
        p.phase,
        p.participants.joined,
        p.participants.failed,
        p.clients.participants,
        withP95(p.clients.audio.pooledLossPct, p.clients.audio.lossPctP95),
        withP95(p.clients.video.pooledLossPct, p.clients.video.lossPctP95),
        withP95(p.clients.rttMsMean, p.clients.rttMsP95, 0),
      ];
      if (measured) row.push(fmt(p.bridgeCpuCoresTotal, 2), fmt(p.cpuPerParticipant, 4), fmt(p.stressMax, 2));
      if (loadGen) row.push(fmt(p.clients.byRole.sender.cpuCoresPerParticipantMean, 3), fmt(p.clients.byRole.receiver.cpuCoresPerParticipantMean, 3));
      return row;
    }),
  );
  if (summary.verdict) out.push(formatVerdictText(summary.verdict), '');
  if (summary.capacity) out.push(formatClimbText(summary.capacity), '');
  if (clientRows.length === 0) return [...out, 'no records: nothing was measured'].join('\n');
  out.push(formatTable(header, clientRows));
  if (summary.run.bridgeMeasured) {
    // per bridge in the steady phase, where the comparison between bridge counts is fair
    const rows = summary.steps.flatMap((s) => {
      const phases = s.phases.some((p) => p.phase === 'steady') ? s.phases.filter((p) => p.phase === 'steady') : s.phases;
      return phases.flatMap((p) =>
        p.bridges.map((b) => [
          s.bridges,
          p.phase,
          b.bridge,
          withP95(b.cpuCoresMean, b.cpuCoresP95, 3),
          fmt(b.cpuPerParticipant, 4),
          fmt(b.stressMax, 2),
          b.participantsMax ?? '—',
          fmt(b.incomingLossPctMean, 2),
          fmt(b.outgoingLossPctMean, 2),
        ]),
      );
    });
    out.push('', formatTable(['bridges', 'phase', 'bridge', 'CPU cores (p95)', 'cores/participant', 'stress max', 'participants', 'in loss %', 'out loss %'], rows));
  } else {
    out.push('', 'no bridge was measured (no bridge samples): client figures only');
  }
  out.push(...reasonLines(summary), ...receiverLines(summary));
  const notes = summary.notes.filter((n) => !n.startsWith('no bridge was measured'));
  const input = summary.input;
  if (input?.badLines) notes.push(`${input.badLines} unreadable line(s) in samples.jsonl skipped`);
  if (input?.truncatedLastLine) notes.push('the last line of samples.jsonl was cut off and skipped');
  if (notes.length) out.push('', ...notes.map((n) => `note: ${n}`));
  return out.join('\n');
}

/** One line per named reason a participant did not join (or was put out): count, words, first detail. */
function reasonLines(summary: Summary): string[] {
  const reasons = summary.run.reasons ?? [];
  if (reasons.length === 0) return [];
  return ['', ...reasons.map((r) => `${r.event === 'left' ? 'left early' : 'join failed'}: ${r.count} × ${r.label}${r.example ? ` — ${r.example}` : ''}`)];
}

/** Receivers: decode rate of those that decode, lite ones apart, and the video heights they received. */
function receiverLines(summary: Summary): string[] {
  const receivers = summary.receivers ?? [];
  if (receivers.length === 0) return [];
  const r = summary.overall.clients.byRole.receiver;
  const decoding = receivers.filter((x) => !x.lite).length;
  const heights = new Map<number, number>();
  for (const x of receivers) if (x.videoHeightIn !== null) heights.set(x.videoHeightIn, (heights.get(x.videoHeightIn) ?? 0) + 1);
  const layers = [...heights.entries()].sort((a, b) => b[0] - a[0]).map(([h, n]) => `${h}p × ${n}`);
  return [
    '',
    `receivers: ${decoding} decoding at ${fmt(r.framesPerSecondMean, 1)} fps${r.liteParticipants ? `, ${r.liteParticipants} lite (decode nothing by design)` : ''}; received video height ${layers.length ? layers.join(', ') : '— (nothing decoded)'}`,
  ];
}
