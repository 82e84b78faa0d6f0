/**
 * The in-page probe. `installProbe` runs in the page before the app (evaluateOnNewDocument) and
 * wraps RTCPeerConnection so every connection is seen; `readProbe` runs in the page each interval
 * and returns raw cumulative counters per RTP stream; `statsDelta` (pure, in Node) turns two
 * snapshots into the figures of a ParticipantSample. The two in-page functions are serialised by
 * puppeteer: they must not use anything outside their own body.
 */
import type { MediaStats, ParticipantSample } from './samples.js';

export type MediaKind = 'audio' | 'video';

/** Cumulative counters of one RTP stream (inbound or outbound) at one moment. */
export interface RawStream {
  /** connection index + stats id: unique for the page's lifetime */
  key: string;
  kind: MediaKind;
  dir: 'in' | 'out';
  packets: number; // received (in) / sent (out)
  bytes: number;
  /** in: packetsLost (may be negative); out: packetsLost reported by the far end (remote-inbound-rtp) */
  lost: number;
  /** in: NACKs sent; out: NACKs received */
  nack: number;
  /** in: framesDecoded; out: framesEncoded */
  frames: number;
  /** in: jitter in seconds (a gauge, not a counter) */
  jitter?: number;
  /** out: round-trip time in seconds from remote-inbound-rtp (a gauge) */
  rtt?: number;
  /** in, video: frameHeight of the last decoded frame (a gauge) */
  height?: number;
}

export interface RawSnapshot {
  /** page clock, ms */
  t: number;
  connections: number;
  streams: RawStream[];
  /** selected candidate pair of the first connected connection */
  transport?: { protocol: string; candidateType: string; rtt?: number; remote?: string };
}

/** Runs in the page before any of its scripts: every RTCPeerConnection created is remembered. */
export function installProbe(): void {
  const w = window as unknown as Record<string, unknown>;
  if (w.__jk8sProbe) return;
  const Native = w.RTCPeerConnection as typeof RTCPeerConnection | undefined;
  if (!Native) return;
  const pcs: RTCPeerConnection[] = [];
  class ProbedPeerConnection extends Native {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      pcs.push(this);
    }
  }
  w.RTCPeerConnection = ProbedPeerConnection;
  w.webkitRTCPeerConnection = ProbedPeerConnection;
  w.__jk8sProbe = { pcs, created: () => pcs.length };
}

/** Runs in the page: getStats() of every open connection, reduced to the counters we need. */
export async function readProbe(): Promise<RawSnapshot> {
  const probe = (window as unknown as { __jk8sProbe?: { pcs: RTCPeerConnection[] } }).__jk8sProbe;
  const snapshot: RawSnapshot = { t: Date.now(), connections: 0, streams: [] };
  if (!probe) return snapshot;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  for (let i = 0; i < probe.pcs.length; i++) {
    const pc = probe.pcs[i]!;
    if (pc.signalingState === 'closed') continue;
    snapshot.connections++;
    let report: RTCStatsReport;
    try {
      report = await pc.getStats();
    } catch {
      continue;
    }
    const all = new Map<string, Record<string, unknown>>();
    report.forEach((s: Record<string, unknown>) => all.set(s.id as string, s));
    const remote = new Map<string, Record<string, unknown>>();
    for (const s of all.values()) if (s.type === 'remote-inbound-rtp' && typeof s.localId === 'string') remote.set(s.localId, s);
    for (const s of all.values()) {
      const kind = (s.kind ?? s.mediaType) as string;
      if (kind !== 'audio' && kind !== 'video') continue;
      if (s.type === 'inbound-rtp') {
        snapshot.streams.push({
          key: `${i}:${s.id as string}`,
          kind,
          dir: 'in',
          packets: num(s.packetsReceived),
          bytes: num(s.bytesReceived),
          lost: num(s.packetsLost),
          nack: num(s.nackCount),
          frames: num(s.framesDecoded),
          jitter: typeof s.jitter === 'number' ? s.jitter : undefined,
          height: typeof s.frameHeight === 'number' ? s.frameHeight : undefined,
        });
      } else if (s.type === 'outbound-rtp') {
        const r = remote.get(s.id as string);
        snapshot.streams.push({
          key: `${i}:${s.id as string}`,
          kind,
          dir: 'out',
          packets: num(s.packetsSent),
          bytes: num(s.bytesSent),
          lost: num(r?.packetsLost),
          nack: num(s.nackCount),
          frames: num(s.framesEncoded),
          rtt: typeof r?.roundTripTime === 'number' ? r.roundTripTime : undefined,
        });
      }
    }
    if (!snapshot.transport) {
      let pair: Record<string, unknown> | undefined;
      for (const s of all.values()) if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = all.get(s.selectedCandidatePairId);
      if (!pair) for (const s of all.values()) if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
      const local = pair && all.get(pair.localCandidateId as string);
      const remote = pair && all.get(pair.remoteCandidateId as string);
      if (local) {
        const remoteAddress = remote && (remote.address ?? remote.ip);
        snapshot.transport = {
          protocol: String(local.protocol ?? ''),
          candidateType: String(local.candidateType ?? ''),
          rtt: typeof pair!.currentRoundTripTime === 'number' ? pair!.currentRoundTripTime : undefined,
          // the bridge's address:port (a bridge behind a Service is told apart by its port)
          ...(remoteAddress && remote!.port !== undefined ? { remote: `${String(remoteAddress)}:${String(remote!.port)}` } : {}),
        };
      }
    }
  }
  return snapshot;
}

export type StatsDelta = Pick<
  ParticipantSample,
  | 'intervalMs'
  | 'audio'
  | 'video'
  | 'sendLossPct'
  | 'rttMs'
  | 'bitrateInKbps'
  | 'bitrateOutKbps'
  | 'framesDecoded'
  | 'framesPerSecond'
  | 'framesSentPerSecond'
  | 'transport'
  | 'packetsSent'
  | 'videoHeightIn'
>;

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

/**
 * The figures of one interval from two snapshots of the same page. Counters are differenced per
 * stream (a stream new since `prev` counts from 0, a vanished one not at all); lost packets are
 * clamped at ≥ 0 per stream, because packetsLost falls when late packets arrive.
 */
export function statsDelta(prev: RawSnapshot | undefined, cur: RawSnapshot): StatsDelta {
  const before = new Map((prev?.streams ?? []).map((s) => [s.key, s]));
  const intervalMs = Math.max(1, prev ? cur.t - prev.t : 0);
  const seconds = intervalMs / 1_000;
  const media = (kind: MediaKind): MediaStats => {
    let received = 0;
    let lost = 0;
    let nack = 0;
    const jitters: number[] = [];
    for (const s of cur.streams) {
      if (s.kind !== kind || s.dir !== 'in') continue;
      const p = before.get(s.key);
      received += Math.max(0, s.packets - (p?.packets ?? 0));
      lost += Math.max(0, s.lost - (p?.lost ?? 0));
      nack += Math.max(0, s.nack - (p?.nack ?? 0));
      if (s.jitter !== undefined) jitters.push(s.jitter * 1_000);
    }
    const jitterMs = mean(jitters);
    return {
      packetsReceived: received,
      packetsLost: lost,
      lossPct: received + lost > 0 ? round((lost / (received + lost)) * 100, 3) : 0,
      nackCount: nack,
      ...(jitterMs !== undefined ? { jitterMs: round(jitterMs) } : {}),
    };
  };
  let bytesIn = 0;
  let bytesOut = 0;
  let sent = 0;
  let sentWithReports = 0;
  let remoteLost = 0;
  let framesDecoded = 0;
  let framesEncoded = 0;
  let videoIn = 0;
  let videoOut = 0;
  let heightIn: number | undefined;
  const rtts: number[] = [];
  for (const s of cur.streams) {
    const p = before.get(s.key);
    const d = (f: 'packets' | 'bytes' | 'lost' | 'frames') => Math.max(0, s[f] - (p?.[f] ?? 0));
    if (s.dir === 'in') {
      bytesIn += d('bytes');
      if (s.kind === 'video') {
        framesDecoded += d('frames');
        videoIn++;
        // only a stream that decoded frames this interval shows the layer being received now
        if (s.height !== undefined && d('frames') > 0) heightIn = Math.max(heightIn ?? 0, s.height);
      }
    } else {
      bytesOut += d('bytes');
      sent += d('packets');
      if (s.rtt !== undefined) {
        rtts.push(s.rtt * 1_000);
        sentWithReports += d('packets');
        remoteLost += d('lost');
      }
      if (s.kind === 'video') {
        framesEncoded += d('frames');
        videoOut++;
      }
    }
  }
  const rttMs = mean(rtts) ?? (cur.transport?.rtt !== undefined ? cur.transport.rtt * 1_000 : undefined);
  const t = cur.transport;
  return {
    intervalMs,
    audio: media('audio'),
    video: media('video'),
    ...(sentWithReports > 0 ? { sendLossPct: round(Math.min(100, (remoteLost / sentWithReports) * 100), 3) } : {}),
    ...(rttMs !== undefined ? { rttMs: round(rttMs, 1) } : {}),
    bitrateInKbps: round((bytesIn * 8) / 1_000 / seconds, 1),
    bitrateOutKbps: round((bytesOut * 8) / 1_000 / seconds, 1),
    framesDecoded,
    ...(videoIn > 0 ? { framesPerSecond: round(framesDecoded / videoIn / seconds, 1) } : {}),
    ...(heightIn !== undefined ? { videoHeightIn: heightIn } : {}),
    ...(videoOut > 0 ? { framesSentPerSecond: round(framesEncoded / videoOut / seconds, 1) } : {}),
    packetsSent: sent,
    ...(t && (t.protocol === 'udp' || t.protocol === 'tcp') ? { transport: { protocol: t.protocol, candidateType: t.candidateType, relayed: t.candidateType === 'relay', ...(t.remote ? { remote: t.remote } : {}) } } : {}),
  };
}

/**
 * The init script: the wrapper, plus the reader installed as window.__jk8sRead so each interval
 * sends a short expression over CDP instead of the reader's whole source.
 */
export const PROBE_SCRIPT = `(${installProbe.toString()})();\nwindow.__jk8sRead = ${readProbe.toString()};`;

/** The expression the collector evaluates each interval. */
export const READ_EXPRESSION = 'window.__jk8sRead ? window.__jk8sRead() : { t: Date.now(), connections: 0, streams: [] }';

/** Media flows on this page's connections: the test for "joined" (Jitsi: the bridge connection carries media). */
export function mediaFlowing(d: Pick<StatsDelta, 'audio' | 'video' | 'packetsSent'>): boolean {
  return d.audio.packetsReceived + d.video.packetsReceived + (d.packetsSent ?? 0) > 0;
}
