/**
 * The shape of summary.json: the figures of a run, per sweep step and phase, and what each means.
 * summarize.ts computes it from samples.jsonl records; a figure without data is null, never an invented 0.
 */
import type { JoinFailureReason, Phase } from '../samples.js';
import type { ReadStats } from './read.js';
import type { ScenarioInfo } from './scenario.js';
import type { Verdict } from './verdict.js';
import type { CapacitySearch } from '../climb-record.js';

export interface MediaLoss {
  /** participant samples in which this kind flowed (received + lost > 0); the others carry no loss figure */
  samples: number;
  /** mean and p95 of the per-sample loss (Δlost ÷ (Δlost + Δreceived), %) */
  lossPctMean: number | null;
  lossPctP95: number | null;
  /** Σlost ÷ (Σlost + Σreceived) × 100 over every sample: weighs busy intervals more */
  pooledLossPct: number | null;
  packetsReceived: number | null;
  packetsLost: number | null;
  nackCount: number | null;
  jitterMsMean: number | null;
}

export interface RoleFigures {
  participants: number;
  samples: number;
  bitrateInKbpsMean: number | null;
  bitrateOutKbpsMean: number | null;
  /** load generator cost of one page of this role (senders and receivers run in separate browsers) */
  cpuCoresPerParticipantMean: number | null;
  pssMiBPerParticipantMean: number | null;
  /** senders: frames encoded per second per sent stream; receivers: frames decoded per second per received stream, decoding receivers only */
  framesPerSecondMean: number | null;
  /** receivers: participants in lite mode (they decode nothing by design and are not in framesPerSecondMean) */
  liteParticipants: number;
}

/** What the machine driving the browsers spent: the engine's per-browser CPU and memory, per page. */
export interface LoadGeneratorFigures {
  /** participant samples that carry the browser's CPU and page count */
  samples: number;
  /** mean over samples of browserCpuCores ÷ browserParticipants, cores */
  cpuCoresPerParticipantMean: number | null;
  cpuCoresPerParticipantP95: number | null;
  /** mean over samples of browserPssMiB ÷ browserParticipants, MiB */
  pssMiBPerParticipantMean: number | null;
  /** Σ over browsers of each browser's mean CPU, cores */
  browserCpuCoresTotal: number | null;
  browsers: number;
  /** browser CPU readings below 0 (a page closed mid-interval), left out */
  negativeCpuSkipped: number;
}

export interface ClientFigures {
  /** distinct participants with at least one sample */
  participants: number;
  samples: number;
  /** samples of joined participants in which no packet was received or sent (see definitions.mediaStopped) */
  mediaStoppedSamples: number;
  audio: MediaLoss;
  video: MediaLoss;
  /** upstream loss from remote-inbound-rtp, % */
  sendLossPctMean: number | null;
  sendLossPctP95: number | null;
  rttMsMean: number | null;
  rttMsP95: number | null;
  /** per participant */
  bitrateInKbpsMean: number | null;
  bitrateOutKbpsMean: number | null;
  /** decode frame rate of the receivers that decode (lite receivers left out) */
  framesPerSecondMean: number | null;
  byRole: { sender: RoleFigures; receiver: RoleFigures };
  /** distinct participants by their last selected candidate pair */
  transport: { udp: number; tcp: number; relayed: number; unknown: number };
  loadGenerator: LoadGeneratorFigures;
}

export interface BridgeFigures {
  bridge: string;
  node: string | null;
  samples: number;
  cpuSource: string | null;
  cpuCoresMean: number | null;
  cpuCoresP95: number | null;
  cpuCoresMax: number | null;
  memoryMiBMean: number | null;
  memoryMiBMax: number | null;
  stressMean: number | null;
  stressMax: number | null;
  conferencesMax: number | null;
  participantsMean: number | null;
  participantsMax: number | null;
  /** Σ cores ÷ Σ participants over this bridge's samples that carry both (participants from /colibri/stats) */
  cpuPerParticipant: number | null;
  incomingLossPctMean: number | null;
  incomingLossPctP95: number | null;
  outgoingLossPctMean: number | null;
  outgoingLossPctP95: number | null;
  bitrateDownKbpsMean: number | null;
  bitrateUpKbpsMean: number | null;
  rttMsMean: number | null;
}

export interface ParticipantCounts {
  /** `joined` events */
  joined: number;
  /** `join-failed` events */
  failed: number;
  left: number;
  workerDied: number;
}

export interface PhaseSummary {
  phase: Phase;
  /** first and last record time, ms since the epoch */
  start: number;
  end: number;
  durationS: number;
  participants: ParticipantCounts;
  clients: ClientFigures;
  bridges: BridgeFigures[];
  /** Σ over bridges of their mean CPU, cores */
  bridgeCpuCoresTotal: number | null;
  /** bridgeCpuCoresTotal ÷ clients.participants (see definitions.cpuPerParticipant) */
  cpuPerParticipant: number | null;
  stressMax: number | null;
}

export interface StepSummary {
  step: number;
  bridges: number;
  start: number;
  end: number;
  participants: ParticipantCounts;
  phases: PhaseSummary[];
}

export interface Placement {
  step: number;
  bridges: number;
  room: string;
  /** bridges the room's participants reported (more than one: the conference was split, e.g. Octo) */
  bridgeNames: string[];
  participants: number;
}

export interface JoinFailure {
  t: number;
  step: number;
  phase: Phase;
  participant: string | null;
  /** the named reason (absent in runs recorded before reasons existed) */
  reason: JoinFailureReason | null;
  detail: string | null;
}

/** How many participants failed to join (or were put out after joining) for one reason. */
export interface ReasonCount {
  event: 'join-failed' | 'left';
  reason: JoinFailureReason | 'unknown';
  /** the reason in the report's words */
  label: string;
  count: number;
  /** the first such event's detail */
  example: string | null;
}

/** One receiver over the whole run: which layer it got, and whether it decoded. */
export interface ReceiverFigures {
  participant: string;
  room: string | null;
  lite: boolean;
  samples: number;
  /** the received video height seen in most samples (the simulcast layer the bridge sent); null when nothing was decoded */
  videoHeightIn: number | null;
  /** every height seen, ascending */
  videoHeightsIn: number[];
  framesPerSecondMean: number | null;
}

export interface Summary {
  schema: 'jitsi-k8s/bench-summary@1';
  scenario: ScenarioInfo;
  run: {
    start: number | null;
    end: number | null;
    durationS: number | null;
    records: { participant: number; bridge: number; event: number };
    /** false when no bridge sample exists (loopback target, or the sampler never reached a bridge) */
    bridgeMeasured: boolean;
    interrupted: boolean;
    /** the first join failures, with the engine's detail */
    failures: JoinFailure[];
    /** join failures (and participants put out after joining) counted by named reason, most frequent first */
    reasons: ReasonCount[];
  };
  /** per receiver: received video height and decode rate */
  receivers: ReceiverFigures[];
  overall: { participants: ParticipantCounts; clients: ClientFigures; bridges: BridgeFigures[] };
  steps: StepSummary[];
  placement: Placement[];
  definitions: Record<string, string>;
  notes: string[];
  /** every threshold against every step (set when a run folder is loaded; see thresholds.ts); a climb judges its own steps instead */
  verdict?: Verdict;
  /** bench --find-capacity: the climb, each step held or broke, and the knee per bridge count (capacity-search.json) */
  capacity?: CapacitySearch;
  /** how samples.jsonl read (set by writeResults) */
  input?: ReadStats & { file: string };
}

export const DEFINITIONS: Record<string, string> = {
  p95: 'nearest-rank 95th percentile over the samples: the smallest value with ≥ 95 % of samples at or below it',
  clientLoss:
    'receive loss per media kind from inbound-rtp: per sample Δlost ÷ (Δlost + Δreceived) × 100; mean/p95 over samples in which that kind flowed; pooled = Σlost ÷ (Σlost + Σreceived) × 100',
  cpuPerParticipant:
    'phase: Σ over bridges of mean CPU cores ÷ distinct participants sampled in the phase; per bridge: Σ cores ÷ Σ participants (from /colibri/stats) over its samples',
  bridgeLoss: 'incoming/outgoing loss reported by /colibri/stats, in %',
  participants: 'joined/failed/left count the engine\'s join events; "participants" in client figures counts distinct participants with samples',
  mediaStopped: 'participant samples (taken only while a participant is joined) in which it received no audio or video packet and sent none',
  framesPerSecond:
    'receivers: frames decoded per second per received video stream, only receivers that decode (lite receivers drop video before decoding by design and are left out); senders: frames encoded per second per sent stream',
  videoHeightIn: 'height of the video a receiver decoded (the simulcast layer the bridge sent it), from inbound-rtp frameHeight; lite receivers decode nothing and have none',
  loadGenerator:
    'the machine driving the browsers, not the bridge: per participant sample browserCpuCores ÷ browserParticipants (one page\'s share of its browser), likewise PSS; total = Σ over browsers of each browser\'s mean CPU',
};
