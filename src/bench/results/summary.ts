/**
 * summarize(records, scenario) → Summary: the figures of a run, per sweep step and phase, computed
 * only from samples.jsonl records. Pure; a figure without data is null, never an invented 0.
 */
import { JOIN_FAILURE_REASONS, PHASES, type BridgeSample, type EventRecord, type JoinFailureReason, type ParticipantSample, type Phase, type SampleRecord } from '../samples.js';
import type { ReadStats } from './read.js';
import { scenarioInfo, type ScenarioInfo } from './scenario.js';
import { max, mean, num, percentile, ratio, round } from './stats.js';

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
  /** every threshold against every step (set when a run folder is loaded; see thresholds.ts) */
  verdict?: import('./thresholds.js').Verdict;
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

const MAX_FAILURES = 50;

class MediaAcc {
  lossPct: number[] = [];
  received = 0;
  lost = 0;
  nacks = 0;
  jitter: number[] = [];
  samples = 0;
  add(m: Partial<ParticipantSample['audio']> | undefined): void {
    if (!m) return;
    const received = num(m.packetsReceived) ?? 0;
    const lost = Math.max(0, num(m.packetsLost) ?? 0);
    this.nacks += num(m.nackCount) ?? 0;
    const jitter = num(m.jitterMs);
    if (jitter !== undefined) this.jitter.push(jitter);
    if (received + lost <= 0) return; // nothing flowed: the sample's 0 % would be invented
    this.samples++;
    this.received += received;
    this.lost += lost;
    this.lossPct.push(num(m.lossPct) ?? (lost / (received + lost)) * 100);
  }
  finish(anySamples: boolean): MediaLoss {
    return {
      samples: this.samples,
      lossPctMean: round(mean(this.lossPct)),
      lossPctP95: round(percentile(this.lossPct, 95)),
      pooledLossPct: round(ratio(this.lost * 100, this.lost + this.received)),
      packetsReceived: anySamples ? this.received : null,
      packetsLost: anySamples ? this.lost : null,
      nackCount: anySamples ? this.nacks : null,
      jitterMsMean: round(mean(this.jitter)),
    };
  }
}

class RoleAcc {
  participants = new Set<string>();
  samples = 0;
  bitIn: number[] = [];
  bitOut: number[] = [];
  cpuPerPage: number[] = [];
  pssPerPage: number[] = [];
  fps: number[] = [];
  lite = new Set<string>();
  finish(): RoleFigures {
    return {
      participants: this.participants.size,
      samples: this.samples,
      framesPerSecondMean: round(mean(this.fps), 2),
      liteParticipants: this.lite.size,
      bitrateInKbpsMean: round(mean(this.bitIn), 1),
      bitrateOutKbpsMean: round(mean(this.bitOut), 1),
      cpuCoresPerParticipantMean: round(mean(this.cpuPerPage)),
      pssMiBPerParticipantMean: round(mean(this.pssPerPage), 1),
    };
  }
}

class ClientAcc {
  participants = new Set<string>();
  samples = 0;
  mediaStopped = 0;
  audio = new MediaAcc();
  video = new MediaAcc();
  sendLoss: number[] = [];
  rtt: number[] = [];
  bitIn: number[] = [];
  bitOut: number[] = [];
  fps: number[] = [];
  roles = { sender: new RoleAcc(), receiver: new RoleAcc() };
  transport = new Map<string, ParticipantSample['transport']>();
  cpuPerPage: number[] = [];
  pssPerPage: number[] = [];
  /**
   * Each browser's CPU, weighted 1/pages per page sample: every page repeats its browser's reading,
   * so when all pages report, a tick weighs 1 and the result is the browser's time mean.
   */
  browserCpu = new Map<string, { sum: number; weight: number }>();
  negativeCpu = 0;
  add(s: ParticipantSample): void {
    this.samples++;
    this.participants.add(s.participant);
    this.audio.add(s.audio);
    this.video.add(s.video);
    // records without packetsSent (older engines) fall back to the outgoing bitrate
    const sent = num(s.packetsSent) ?? num(s.bitrateOutKbps) ?? 0;
    if ((num(s.audio?.packetsReceived) ?? 0) + (num(s.video?.packetsReceived) ?? 0) + sent <= 0) this.mediaStopped++;
    const sendLoss = num(s.sendLossPct);
    if (sendLoss !== undefined) this.sendLoss.push(sendLoss);
    const rtt = num(s.rttMs);
    if (rtt !== undefined) this.rtt.push(rtt);
    const bi = num(s.bitrateInKbps);
    const bo = num(s.bitrateOutKbps);
    if (bi !== undefined) this.bitIn.push(bi);
    if (bo !== undefined) this.bitOut.push(bo);
    // a lite receiver's decode rate is 0 by design, not a measurement (older runs recorded it)
    const fps = s.lite === true ? undefined : num(s.framesPerSecond);
    if (fps !== undefined) this.fps.push(fps);
    const role = s.role === 'sender' ? this.roles.sender : this.roles.receiver;
    role.participants.add(s.participant);
    role.samples++;
    if (s.lite === true) role.lite.add(s.participant);
    const roleFps = s.role === 'sender' ? num(s.framesSentPerSecond) : fps;
    if (roleFps !== undefined) role.fps.push(roleFps);
    if (bi !== undefined) role.bitIn.push(bi);
    if (bo !== undefined) role.bitOut.push(bo);
    if (s.transport || !this.transport.has(s.participant)) this.transport.set(s.participant, s.transport);
    let browserCpu = num(s.browserCpuCores);
    // a browser whose page closed mid-interval can report a negative delta: not a measurement
    if (browserCpu !== undefined && browserCpu < 0) {
      this.negativeCpu++;
      browserCpu = undefined;
    }
    const pages = num(s.browserParticipants);
    const pss = num(s.browserPssMiB);
    if (browserCpu !== undefined && pages !== undefined && pages > 0) {
      this.cpuPerPage.push(browserCpu / pages);
      role.cpuPerPage.push(browserCpu / pages);
    }
    if (pss !== undefined && pages !== undefined && pages > 0) {
      this.pssPerPage.push(pss / pages);
      role.pssPerPage.push(pss / pages);
    }
    if (browserCpu !== undefined && pages !== undefined && pages > 0 && s.browser !== undefined) {
      // browser indexes restart in every load-generator pod
      const key = `${s.pod ?? ''}/${s.shard ?? ''}/${s.browser}`;
      let acc = this.browserCpu.get(key);
      if (!acc) this.browserCpu.set(key, (acc = { sum: 0, weight: 0 }));
      acc.sum += browserCpu / pages;
      acc.weight += 1 / pages;
    }
  }
  finish(): ClientFigures {
    const transport = { udp: 0, tcp: 0, relayed: 0, unknown: 0 };
    for (const t of this.transport.values()) {
      if (!t) transport.unknown++;
      else {
        if (t.protocol === 'tcp') transport.tcp++;
        else transport.udp++;
        if (t.relayed) transport.relayed++;
      }
    }
    const any = this.samples > 0;
    return {
      participants: this.participants.size,
      samples: this.samples,
      mediaStoppedSamples: this.mediaStopped,
      audio: this.audio.finish(any),
      video: this.video.finish(any),
      sendLossPctMean: round(mean(this.sendLoss)),
      sendLossPctP95: round(percentile(this.sendLoss, 95)),
      rttMsMean: round(mean(this.rtt), 2),
      rttMsP95: round(percentile(this.rtt, 95), 2),
      bitrateInKbpsMean: round(mean(this.bitIn), 1),
      bitrateOutKbpsMean: round(mean(this.bitOut), 1),
      framesPerSecondMean: round(mean(this.fps), 2),
      byRole: { sender: this.roles.sender.finish(), receiver: this.roles.receiver.finish() },
      transport,
      loadGenerator: {
        samples: this.cpuPerPage.length,
        cpuCoresPerParticipantMean: round(mean(this.cpuPerPage)),
        cpuCoresPerParticipantP95: round(percentile(this.cpuPerPage, 95)),
        pssMiBPerParticipantMean: round(mean(this.pssPerPage), 1),
        browserCpuCoresTotal:
          this.browserCpu.size > 0 ? round([...this.browserCpu.values()].reduce((sum, b) => sum + b.sum / b.weight, 0)) : null,
        browsers: this.browserCpu.size,
        negativeCpuSkipped: this.negativeCpu,
      },
    };
  }
}

class BridgeAcc {
  samples = 0;
  node: string | undefined;
  cpuSources = new Set<string>();
  cpu: number[] = [];
  mem: number[] = [];
  stress: number[] = [];
  conferences: number[] = [];
  participants: number[] = [];
  inLoss: number[] = [];
  outLoss: number[] = [];
  down: number[] = [];
  up: number[] = [];
  rtt: number[] = [];
  cpuWithParticipants = 0;
  participantsWithCpu = 0;
  constructor(readonly bridge: string) {}
  add(s: BridgeSample): void {
    this.samples++;
    if (typeof s.node === 'string') this.node = s.node;
    if (typeof s.cpuSource === 'string') this.cpuSources.add(s.cpuSource);
    const push = (arr: number[], v: unknown) => {
      const n = num(v);
      if (n !== undefined) arr.push(n);
    };
    // a counter reset (container restart) can give a negative rate: not a measurement
    const rawCores = num(s.cpuCores);
    const cores = rawCores !== undefined && rawCores >= 0 ? rawCores : undefined;
    push(this.cpu, cores);
    push(this.mem, s.memoryMiB);
    push(this.stress, s.stress);
    push(this.conferences, s.conferences);
    push(this.participants, s.participants);
    push(this.inLoss, s.incomingLossPct);
    push(this.outLoss, s.outgoingLossPct);
    push(this.down, s.bitrateDownKbps);
    push(this.up, s.bitrateUpKbps);
    push(this.rtt, s.rttMs);
    const parts = num(s.participants);
    if (cores !== undefined && parts !== undefined) {
      this.cpuWithParticipants += cores;
      this.participantsWithCpu += parts;
    }
  }
  finish(): BridgeFigures {
    return {
      bridge: this.bridge,
      node: this.node ?? null,
      samples: this.samples,
      cpuSource: this.cpuSources.size > 0 ? [...this.cpuSources].sort().join('+') : null,
      cpuCoresMean: round(mean(this.cpu)),
      cpuCoresP95: round(percentile(this.cpu, 95)),
      cpuCoresMax: round(max(this.cpu)),
      memoryMiBMean: round(mean(this.mem), 1),
      memoryMiBMax: round(max(this.mem), 1),
      stressMean: round(mean(this.stress)),
      stressMax: round(max(this.stress)),
      conferencesMax: max(this.conferences),
      participantsMean: round(mean(this.participants), 2),
      participantsMax: max(this.participants),
      cpuPerParticipant: round(ratio(this.cpuWithParticipants, this.participantsWithCpu), 5),
      incomingLossPctMean: round(mean(this.inLoss)),
      incomingLossPctP95: round(percentile(this.inLoss, 95)),
      outgoingLossPctMean: round(mean(this.outLoss)),
      outgoingLossPctP95: round(percentile(this.outLoss, 95)),
      bitrateDownKbpsMean: round(mean(this.down), 1),
      bitrateUpKbpsMean: round(mean(this.up), 1),
      rttMsMean: round(mean(this.rtt), 2),
    };
  }
}

const emptyCounts = (): ParticipantCounts => ({ joined: 0, failed: 0, left: 0, workerDied: 0 });

class GroupAcc {
  start = Infinity;
  end = -Infinity;
  counts = emptyCounts();
  clients = new ClientAcc();
  bridges = new Map<string, BridgeAcc>();
  add(r: SampleRecord): void {
    if (r.t < this.start) this.start = r.t;
    if (r.t > this.end) this.end = r.t;
    if (r.kind === 'participant') this.clients.add(r);
    else if (r.kind === 'bridge') {
      let b = this.bridges.get(r.bridge);
      if (!b) this.bridges.set(r.bridge, (b = new BridgeAcc(r.bridge)));
      b.add(r);
    } else countEvent(this.counts, r);
  }
  bridgeFigures(): BridgeFigures[] {
    return [...this.bridges.values()].sort((a, b) => a.bridge.localeCompare(b.bridge)).map((b) => b.finish());
  }
}

function countEvent(c: ParticipantCounts, e: EventRecord): void {
  if (e.event === 'joined') c.joined++;
  else if (e.event === 'join-failed') c.failed++;
  else if (e.event === 'left') c.left++;
  else if (e.event === 'worker-died') c.workerDied++;
}

function sumCounts(list: ParticipantCounts[]): ParticipantCounts {
  const c = emptyCounts();
  for (const x of list) {
    c.joined += x.joined;
    c.failed += x.failed;
    c.left += x.left;
    c.workerDied += x.workerDied;
  }
  return c;
}

/** Accumulates records one at a time (so a large file never has to sit in memory), then finishes. */
export class SummaryBuilder {
  private overall = new GroupAcc();
  private groups = new Map<number, { bridges: number; phases: Map<Phase, GroupAcc> }>();
  private placement = new Map<string, { step: number; bridges: number; room: string; bridgeNames: Set<string>; participants: Set<string> }>();
  private counts = { participant: 0, bridge: 0, event: 0 };
  private interrupted = false;
  /** why a ramp-up or a load generator stopped early (ramp-stopped, worker-stopped events) */
  private stops: string[] = [];
  private failures: JoinFailure[] = [];
  private reasons = new Map<string, ReasonCount>();
  private receivers = new Map<string, { room: string | null; lite: boolean; samples: number; heights: Map<number, number>; fps: number[] }>();

  add(r: SampleRecord): void {
    this.counts[r.kind]++;
    this.overall.add(r);
    let step = this.groups.get(r.step);
    if (!step) this.groups.set(r.step, (step = { bridges: r.bridges, phases: new Map() }));
    let group = step.phases.get(r.phase);
    if (!group) step.phases.set(r.phase, (group = new GroupAcc()));
    group.add(r);
    if (r.kind === 'participant' && typeof r.room === 'string') {
      const key = `${r.step}\u0000${r.room}`;
      let p = this.placement.get(key);
      if (!p) this.placement.set(key, (p = { step: r.step, bridges: r.bridges, room: r.room, bridgeNames: new Set(), participants: new Set() }));
      p.participants.add(r.participant);
      if (typeof r.bridge === 'string' && r.bridge !== '') p.bridgeNames.add(r.bridge);
    }
    if (r.kind === 'participant' && r.role === 'receiver' && typeof r.participant === 'string') {
      let rc = this.receivers.get(r.participant);
      if (!rc) this.receivers.set(r.participant, (rc = { room: typeof r.room === 'string' ? r.room : null, lite: false, samples: 0, heights: new Map(), fps: [] }));
      rc.samples++;
      if (r.lite === true) rc.lite = true;
      const h = num(r.videoHeightIn);
      if (h !== undefined) rc.heights.set(h, (rc.heights.get(h) ?? 0) + 1);
      const fps = num(r.framesPerSecond);
      if (fps !== undefined && r.lite !== true) rc.fps.push(fps);
    }
    if (r.kind === 'event') {
      if (r.event === 'interrupted') this.interrupted = true;
      if (r.event === 'ramp-stopped') this.stops.push(`ramp-up stopped early: ${r.detail ?? 'no reason given'}`);
      if (r.event === 'worker-stopped') this.stops.push(r.detail ?? `load generator of shard ${r.shard} was stopped`);
      // each step down (and the restore) drained the bridges that went: how long it took, per step
      if (r.event === 'scaled' && typeof r.drainMs === 'number') this.stops.push(`step ${r.step + 1} (${r.bridges} bridges): ${r.detail ?? `drained for ${Math.round(r.drainMs / 1000)} s`}`);
      const reason = typeof r.reason === 'string' && r.reason in JOIN_FAILURE_REASONS ? r.reason : null;
      if (r.event === 'join-failed' && this.failures.length < MAX_FAILURES) {
        this.failures.push({ t: r.t, step: r.step, phase: r.phase, participant: r.participant ?? null, reason, detail: r.detail ?? null });
      }
      if (r.event === 'join-failed' || (r.event === 'left' && reason)) {
        const key = `${r.event}\u0000${reason ?? 'unknown'}`;
        let c = this.reasons.get(key);
        if (!c) this.reasons.set(key, (c = { event: r.event, reason: reason ?? 'unknown', label: reason ? JOIN_FAILURE_REASONS[reason] : 'no reason recorded', count: 0, example: r.detail ?? null }));
        c.count++;
      }
    }
  }

  finish(scenario: unknown): Summary {
    const steps: StepSummary[] = [...this.groups.entries()]
      .sort(([a], [b]) => a - b)
      .map(([step, g]) => {
        const phases = PHASES.filter((p) => g.phases.has(p)).map((phase) => phaseSummary(phase, g.phases.get(phase)!));
        return {
          step,
          bridges: g.bridges,
          start: Math.min(...phases.map((p) => p.start)),
          end: Math.max(...phases.map((p) => p.end)),
          participants: sumCounts(phases.map((p) => p.participants)),
          phases,
        };
      });
    const placement: Placement[] = [...this.placement.values()]
      .sort((a, b) => a.step - b.step || a.room.localeCompare(b.room))
      .map((p) => ({ step: p.step, bridges: p.bridges, room: p.room, bridgeNames: [...p.bridgeNames].sort(), participants: p.participants.size }));
    const total = this.counts.participant + this.counts.bridge + this.counts.event;
    const bridgeMeasured = this.counts.bridge > 0;
    const notes: string[] = [];
    if (total === 0) notes.push('no records: nothing was measured');
    if (!bridgeMeasured) notes.push('no bridge was measured: there are no bridge samples (a loopback run, or the bridge sampler reached no JVB pod)');
    if (this.counts.participant === 0 && total > 0) notes.push('no participant samples: no client figures');
    if (bridgeMeasured && placement.length > 0 && placement.every((p) => p.bridgeNames.length === 0)) notes.push('participant samples do not say which bridge they landed on');
    const negative = this.overall.clients.negativeCpu;
    if (negative > 0) notes.push(`${negative} browser CPU reading(s) below 0 were left out (a browser process exited during the interval)`);
    if (this.interrupted) notes.push('the run was interrupted: figures cover what was measured until then');
    notes.push(...this.stops);
    const overallCounts = sumCounts(steps.map((s) => s.participants));
    if (overallCounts.failed > 0) notes.push(`${overallCounts.failed} join attempt(s) failed`);
    const start = Number.isFinite(this.overall.start) ? this.overall.start : null;
    const end = Number.isFinite(this.overall.end) ? this.overall.end : null;
    return {
      schema: 'jitsi-k8s/bench-summary@1',
      scenario: scenarioInfo(scenario),
      run: {
        start,
        end,
        durationS: start !== null && end !== null ? round((end - start) / 1000, 3) : null,
        records: { ...this.counts },
        bridgeMeasured,
        interrupted: this.interrupted,
        failures: this.failures,
        reasons: [...this.reasons.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
      },
      receivers: [...this.receivers.entries()]
        .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
        .map(([participant, rc]) => ({
          participant,
          room: rc.room,
          lite: rc.lite,
          samples: rc.samples,
          videoHeightIn: rc.heights.size ? [...rc.heights.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0] : null,
          videoHeightsIn: [...rc.heights.keys()].sort((a, b) => a - b),
          framesPerSecondMean: round(mean(rc.fps), 2),
        })),
      overall: { participants: overallCounts, clients: this.overall.clients.finish(), bridges: this.overall.bridgeFigures() },
      steps,
      placement,
      definitions: { ...DEFINITIONS },
      notes,
    };
  }
}

function phaseSummary(phase: Phase, g: GroupAcc): PhaseSummary {
  const clients = g.clients.finish();
  const bridges = g.bridgeFigures();
  const cpuMeans = bridges.map((b) => b.cpuCoresMean).filter((v): v is number => v !== null);
  const bridgeCpuCoresTotal = cpuMeans.length > 0 ? round(cpuMeans.reduce((a, b) => a + b, 0)) : null;
  const stress = bridges.map((b) => b.stressMax).filter((v): v is number => v !== null);
  return {
    phase,
    start: g.start,
    end: g.end,
    durationS: round((g.end - g.start) / 1000, 3) ?? 0,
    participants: g.counts,
    clients,
    bridges,
    bridgeCpuCoresTotal,
    cpuPerParticipant: round(ratio(bridgeCpuCoresTotal, clients.participants > 0 ? clients.participants : null), 5),
    stressMax: max(stress),
  };
}

/** The summary of a run from its records (any iterable) and its scenario.json object. */
export function summarize(records: Iterable<SampleRecord>, scenario: unknown): Summary {
  const builder = new SummaryBuilder();
  for (const r of records) builder.add(r);
  return builder.finish(scenario);
}

/** The phase a figure "for the step" comes from: steady if there was one, else none. */
export function steadyPhase(step: StepSummary): PhaseSummary | undefined {
  return step.phases.find((p) => p.phase === 'steady');
}
