/**
 * The client side of a summary: participant samples accumulated one at a time into loss, RTT,
 * bitrate, frame rate per role, transport and the load generator's cost per page. Pure.
 */
import type { ParticipantSample } from '../samples.js';
import { mean, num, percentile, ratio, round } from './stats.js';
import type { ClientFigures, MediaLoss, RoleFigures } from './summary.js';

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

export class ClientAcc {
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
