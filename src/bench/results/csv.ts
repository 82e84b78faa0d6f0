/**
 * CSV files of a run: clients.csv (one row per step × phase), bridges.csv (one row per
 * step × phase × bridge), placement.csv (one row per step × room). The header row names every
 * column with its unit; an empty cell means no data (never 0).
 */
import type { BridgeFigures, PhaseSummary, Placement, StepSummary, Summary } from './summary.js';

type Cell = string | number | boolean | null | undefined;
type Column<R> = [name: string, value: (row: R) => Cell];

/** One CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused. */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv<R>(columns: Column<R>[], rows: R[]): string {
  const lines = [columns.map(([name]) => name).join(','), ...rows.map((r) => columns.map(([, f]) => csvCell(f(r))).join(','))];
  return `${lines.join('\n')}\n`;
}

type PhaseRow = { step: StepSummary; phase: PhaseSummary };
type BridgeRow = PhaseRow & { bridge: BridgeFigures };

const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : null);

export const CLIENT_COLUMNS: Column<PhaseRow>[] = [
  ['step', (r) => r.step.step],
  ['bridges', (r) => r.step.bridges],
  ['phase', (r) => r.phase.phase],
  ['start_utc', (r) => iso(r.phase.start)],
  ['duration_s', (r) => r.phase.durationS],
  ['joined', (r) => r.phase.participants.joined],
  ['join_failed', (r) => r.phase.participants.failed],
  ['left', (r) => r.phase.participants.left],
  ['participants_measured', (r) => r.phase.clients.participants],
  ['participant_samples', (r) => r.phase.clients.samples],
  ...(['audio', 'video'] as const).flatMap((k): Column<PhaseRow>[] => [
    [`${k}_loss_pct_mean`, (r) => r.phase.clients[k].lossPctMean],
    [`${k}_loss_pct_p95`, (r) => r.phase.clients[k].lossPctP95],
    [`${k}_loss_pct_pooled`, (r) => r.phase.clients[k].pooledLossPct],
    [`${k}_packets_received`, (r) => r.phase.clients[k].packetsReceived],
    [`${k}_packets_lost`, (r) => r.phase.clients[k].packetsLost],
    [`${k}_nacks`, (r) => r.phase.clients[k].nackCount],
    [`${k}_jitter_ms_mean`, (r) => r.phase.clients[k].jitterMsMean],
  ]),
  ['send_loss_pct_mean', (r) => r.phase.clients.sendLossPctMean],
  ['send_loss_pct_p95', (r) => r.phase.clients.sendLossPctP95],
  ['rtt_ms_mean', (r) => r.phase.clients.rttMsMean],
  ['rtt_ms_p95', (r) => r.phase.clients.rttMsP95],
  ['bitrate_in_kbps_mean', (r) => r.phase.clients.bitrateInKbpsMean],
  ['bitrate_out_kbps_mean', (r) => r.phase.clients.bitrateOutKbpsMean],
  ['sender_bitrate_out_kbps_mean', (r) => r.phase.clients.byRole.sender.bitrateOutKbpsMean],
  ['receiver_bitrate_in_kbps_mean', (r) => r.phase.clients.byRole.receiver.bitrateInKbpsMean],
  ['fps_mean', (r) => r.phase.clients.framesPerSecondMean],
  ['loadgen_cpu_cores_per_sender', (r) => r.phase.clients.byRole.sender.cpuCoresPerParticipantMean],
  ['loadgen_cpu_cores_per_receiver', (r) => r.phase.clients.byRole.receiver.cpuCoresPerParticipantMean],
  ['loadgen_pss_mib_per_participant', (r) => r.phase.clients.loadGenerator.pssMiBPerParticipantMean],
  ['loadgen_browser_cpu_cores_total', (r) => r.phase.clients.loadGenerator.browserCpuCoresTotal],
  ['bridge_cpu_cores_total', (r) => r.phase.bridgeCpuCoresTotal],
  ['cpu_cores_per_participant', (r) => r.phase.cpuPerParticipant],
  ['bridge_stress_max', (r) => r.phase.stressMax],
];

export const BRIDGE_COLUMNS: Column<BridgeRow>[] = [
  ['step', (r) => r.step.step],
  ['bridges', (r) => r.step.bridges],
  ['phase', (r) => r.phase.phase],
  ['bridge', (r) => r.bridge.bridge],
  ['node', (r) => r.bridge.node],
  ['samples', (r) => r.bridge.samples],
  ['cpu_source', (r) => r.bridge.cpuSource],
  ['cpu_cores_mean', (r) => r.bridge.cpuCoresMean],
  ['cpu_cores_p95', (r) => r.bridge.cpuCoresP95],
  ['cpu_cores_max', (r) => r.bridge.cpuCoresMax],
  ['cpu_cores_per_participant', (r) => r.bridge.cpuPerParticipant],
  ['memory_mib_mean', (r) => r.bridge.memoryMiBMean],
  ['memory_mib_max', (r) => r.bridge.memoryMiBMax],
  ['stress_mean', (r) => r.bridge.stressMean],
  ['stress_max', (r) => r.bridge.stressMax],
  ['conferences_max', (r) => r.bridge.conferencesMax],
  ['participants_mean', (r) => r.bridge.participantsMean],
  ['participants_max', (r) => r.bridge.participantsMax],
  ['incoming_loss_pct_mean', (r) => r.bridge.incomingLossPctMean],
  ['incoming_loss_pct_p95', (r) => r.bridge.incomingLossPctP95],
  ['outgoing_loss_pct_mean', (r) => r.bridge.outgoingLossPctMean],
  ['outgoing_loss_pct_p95', (r) => r.bridge.outgoingLossPctP95],
  ['bitrate_down_kbps_mean', (r) => r.bridge.bitrateDownKbpsMean],
  ['bitrate_up_kbps_mean', (r) => r.bridge.bitrateUpKbpsMean],
  ['rtt_ms_mean', (r) => r.bridge.rttMsMean],
];

export const PLACEMENT_COLUMNS: Column<Placement>[] = [
  ['step', (r) => r.step],
  ['bridges', (r) => r.bridges],
  ['room', (r) => r.room],
  ['landed_on', (r) => r.bridgeNames.join(' ')],
  ['participants', (r) => r.participants],
];

export function clientsCsv(summary: Summary): string {
  return toCsv(
    CLIENT_COLUMNS,
    summary.steps.flatMap((step) => step.phases.map((phase) => ({ step, phase }))),
  );
}

export function bridgesCsv(summary: Summary): string {
  return toCsv(
    BRIDGE_COLUMNS,
    summary.steps.flatMap((step) => step.phases.flatMap((phase) => phase.bridges.map((bridge) => ({ step, phase, bridge })))),
  );
}

export function placementCsv(summary: Summary): string {
  return toCsv(PLACEMENT_COLUMNS, summary.placement);
}
