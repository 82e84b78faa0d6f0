/** The bridge side of a summary: one JVB's samples accumulated into its CPU, memory, stress, loss and bitrate figures. Pure. */
import type { BridgeSample } from '../samples.js';
import { max, mean, num, percentile, ratio, round } from './stats.js';
import type { BridgeFigures } from './summary.js';

export class BridgeAcc {
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
