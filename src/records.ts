/**
 * The records of samples.jsonl — one JSON object per line, appended as measured. Every figure in a
 * report comes from these records (and scenario.json); nothing else.
 */

/** Where in the run a record was taken, in run order. A sweep repeats the phases once per bridge count. */
export const PHASES = ['warmup', 'ramp-up', 'steady', 'ramp-down', 'cooldown'] as const;
export type Phase = (typeof PHASES)[number];

interface Base {
  /** wall-clock time, ms since the epoch */
  t: number;
  /** index of the step in a --replicas sweep (0 when there is no sweep) */
  step: number;
  /** bridges running during this step */
  bridges: number;
  phase: Phase;
  /** shard and pod of a Kubernetes load generator (runner k8s); absent for the local runner */
  shard?: number;
  pod?: string;
}

/** One participant's in-page getStats() over one sample interval. */
export interface ParticipantSample extends Base {
  kind: 'participant';
  participant: string; // "bench-7"
  room: string;
  role: 'sender' | 'receiver';
  /** a receiver in lite mode: drops received video before decoding, so it has no decode frame rate */
  lite?: boolean;
  /** bridge the participant's conference landed on, when known */
  bridge?: string;
  intervalMs: number;
  audio: MediaStats;
  video: MediaStats;
  /** upstream: from remote-inbound-rtp */
  sendLossPct?: number;
  rttMs?: number;
  bitrateInKbps: number;
  bitrateOutKbps: number;
  framesDecoded: number;
  /** decoded video frames per second per received stream (absent for lite receivers) */
  framesPerSecond?: number;
  /** height of the received video (the simulcast layer the bridge sent): the largest over received streams; absent when nothing was decoded */
  videoHeightIn?: number;
  /** selected candidate pair; `remote` is the bridge's (or peer's) address:port */
  transport?: { protocol: 'udp' | 'tcp'; candidateType: string; relayed: boolean; remote?: string };
  /** added by the bench engine: video frames encoded per second per sending stream (senders) */
  framesSentPerSecond?: number;
  /** added by the bench engine: RTP packets sent over the interval (Δ, all streams) */
  packetsSent?: number;
  /** added by the bench engine: index of the local browser process the page runs in */
  browser?: number;
  /** added by the bench engine: cores used by that whole browser over the interval (all its processes; Linux) */
  browserCpuCores?: number;
  /** added by the bench engine: pages open in that browser during the interval (CPU per participant = browserCpuCores / browserParticipants) */
  browserParticipants?: number;
  /** added by the bench engine: proportional set size of that browser's processes, MiB (Linux) */
  browserPssMiB?: number;
}

export interface MediaStats {
  packetsReceived: number; // Δ over the interval
  packetsLost: number; // Δ over the interval (clamped ≥ 0)
  lossPct: number; // Δlost / (Δlost + Δreceived) × 100, 0 when nothing flowed
  nackCount: number; // Δ
  jitterMs?: number;
}

/** One bridge sample (JVB pod): CPU from the kubelet Summary API or the metrics API, the rest from /colibri/stats. */
export interface BridgeSample extends Base {
  kind: 'bridge';
  bridge: string; // pod name
  node?: string;
  /** media addresses the bridge advertises, "ip:port" — participants are placed on a bridge by these */
  addresses?: string[];
  cpuCores?: number;
  cpuSource?: 'kubelet' | 'metrics-api' | 'process';
  memoryMiB?: number;
  stress?: number;
  conferences?: number;
  participants?: number;
  incomingLossPct?: number;
  outgoingLossPct?: number;
  bitrateDownKbps?: number;
  bitrateUpKbps?: number;
  packetRateDown?: number;
  packetRateUp?: number;
  rttMs?: number;
}

/** Why a participant did not join (or left early), each with the words the reports use. */
export const JOIN_FAILURE_REASONS = {
  'page-not-loaded': 'page did not load',
  'not-jitsi': 'not a Jitsi Meet site',
  'browser-unsupported': 'browser not supported',
  lobby: 'lobby',
  'password-required': 'password required',
  'auth-required': 'authentication required',
  'waiting-for-host': 'waiting for the host',
  'room-full': 'room full',
  removed: 'removed from the room',
  'ice-failed': 'ICE failed',
  'no-media': 'joined but no media',
  'conference-failed': 'conference failed',
  'page-crashed': 'page crashed',
  'browser-died': 'browser died',
  timeout: 'join timed out',
} as const;
export type JoinFailureReason = keyof typeof JOIN_FAILURE_REASONS;

/** Join attempts, failures and worker events, so nothing is hidden. */
export interface EventRecord extends Base {
  kind: 'event';
  event: 'joined' | 'join-failed' | 'left' | 'worker-died' | 'worker-stopped' | 'ramp-stopped' | 'scaled' | 'interrupted' | 'clock-offset' | 'resources-exhausted';
  participant?: string;
  /** join-failed (and a left that was not ours): the named reason */
  reason?: JoinFailureReason;
  detail?: string;
  /** for clock-offset: worker clock minus coordinator clock, ms */
  offsetMs?: number;
  /** for scaled: how long the bridges that went drained first, ms */
  drainMs?: number;
}

export type SampleRecord = ParticipantSample | BridgeSample | EventRecord;
