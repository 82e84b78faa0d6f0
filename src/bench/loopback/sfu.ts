/**
 * The forwarding unit of the loopback conference (werift, pure TypeScript WebRTC): like a Jitsi
 * bridge, each sender sends one upstream (one encoding per simulcast layer) and the unit forwards
 * its RTP packets to every receiver without decoding or re-encoding. A receiver chooses the layer
 * it gets (by RID); the unit switches at the next keyframe of that layer and rewrites sequence
 * numbers and timestamps so the receiver sees one continuous stream.
 * ICE stays on the one address the conference listens on (loopback or a namespace address).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { reassembleDtlsFragments } from './dtls-fragments.js';
import type { MediaStreamTrack, RTCPeerConnection, RTCRtpSender, RtpPacket, PeerConfig } from 'werift';

/** Sends a signalling message to one participant's page. */
export type Signal = (m: Record<string, unknown>) => void;

/** The simulcast layers a loopback sender offers, smallest first (RIDs as the page names them). */
export const LAYERS = ['q', 'h', 'f'] as const;

type Werift = typeof import('werift');

/** VP8 payload (RFC 7741): true when the packet starts a keyframe. */
export function isVp8Keyframe(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const b0 = payload[0]!;
  const start = (b0 & 0x10) !== 0 && (b0 & 0x07) === 0;
  if (!start) return false;
  let i = 1;
  if (b0 & 0x80) {
    const x = payload[i++] ?? 0;
    if (x & 0x80) i += (payload[i] ?? 0) & 0x80 ? 2 : 1; // picture ID, 7 or 15 bits
    if (x & 0x40) i += 1; // TL0PICIDX
    if (x & 0x30) i += 1; // TID / KEYIDX
  }
  return i < payload.length && ((payload[i] ?? 1) & 0x01) === 0;
}

/** a sender's starting rate (kbps): enough for the top layer of 720p simulcast */
const START_KBPS = 1_500;

/** at most one keyframe request per layer this often, whatever the number of receivers asking */
const KEYFRAME_INTERVAL_MS = 500;

/** receive buffer per socket: a starved event loop (seconds on a busy machine) must not drop media */
const RECEIVE_BUFFER_BYTES = 4 << 20;

/** Best effort (the kernel caps it at net.core.rmem_max): werift keeps its sockets inside its ICE objects. */
function widenReceiveBuffers(pc: RTCPeerConnection): void {
  type Inner = { iceTransport?: { connection?: { protocols?: { transport?: { socket?: { setRecvBufferSize(n: number): void } } }[] } } };
  for (const t of pc.getTransceivers()) {
    for (const p of (t.dtlsTransport as unknown as Inner | undefined)?.iceTransport?.connection?.protocols ?? []) {
      try {
        p.transport?.socket?.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
      } catch {
        // not bound yet or refused: the default buffer stays
      }
    }
  }
}

const U16 = 0x1_0000;
const U32 = 0x1_0000_0000;

/** One receiver's copy of one sender's media: its own connection and the layer it asked for. */
class Subscription {
  /** RID being forwarded ('' without simulcast); undefined until the first keyframe */
  current: string | undefined;
  private seqOffset = 0;
  private tsOffset = 0;
  private lastSeq = -1;
  private lastTs = 0;
  private lastSentAt = 0;
  private askedAt = 0;

  constructor(
    readonly receiver: Member,
    readonly pc: RTCPeerConnection,
    readonly audio: RTCRtpSender | undefined,
    readonly video: RTCRtpSender | undefined,
    readonly requestKeyframe: (rid: string) => void,
  ) {}

  forwardAudio(rtp: RtpPacket): void {
    if (!this.audio) return;
    const p = rtp.clone();
    p.header.extensions = [];
    void this.audio.sendRtp(p).catch(() => {});
  }

  /** A video packet of layer `rid`: forwarded if it is the wanted layer, after a keyframe when switching. */
  forwardVideo(rtp: RtpPacket, rid: string, layers: string[]): void {
    if (!this.video) return;
    // the largest layer sending now that is not above the one asked for (a bridge does the same)
    const asked = LAYERS.indexOf(this.receiver.layer as never);
    const wanted = layers.filter((l) => l === '' || LAYERS.indexOf(l as never) <= asked).at(-1) ?? layers[0];
    if (rid !== this.current) {
      if (rid !== wanted) return;
      if (!isVp8Keyframe(rtp.payload)) {
        // ask the sender for a keyframe of the wanted layer, at most once a second
        if (Date.now() - this.askedAt > 1_000) {
          this.askedAt = Date.now();
          this.requestKeyframe(rid);
        }
        return;
      }
      // switch: the new layer continues the receiver's sequence and clock
      const now = Date.now();
      if (this.lastSeq >= 0) {
        this.seqOffset = (this.lastSeq + 1 - rtp.header.sequenceNumber + U16) % U16;
        const elapsed = Math.max(1, Math.round((now - this.lastSentAt) * 90));
        this.tsOffset = (this.lastTs + elapsed - rtp.header.timestamp + U32) % U32;
      }
      this.current = rid;
    }
    const p = rtp.clone();
    p.header.extensions = [];
    p.header.sequenceNumber = (p.header.sequenceNumber + this.seqOffset) % U16;
    p.header.timestamp = (p.header.timestamp + this.tsOffset) % U32;
    if (this.lastSeq < 0 || ((p.header.sequenceNumber - this.lastSeq + U16) % U16) < U16 / 2) {
      this.lastSeq = p.header.sequenceNumber;
      this.lastTs = p.header.timestamp;
      this.lastSentAt = Date.now();
    }
    void this.video.sendRtp(p).catch(() => {});
  }

  close(): void {
    void this.pc.close().catch(() => {});
  }
}

/** A participant as the forwarding unit sees it. */
export class Member {
  /** RID this participant wants from every sender (the largest by default) */
  layer: string = LAYERS.at(-1)!;
  upstream?: Upstream;
  /** the upstream connection from the moment its offer arrives (candidates may come before the answer) */
  upstreamPc?: RTCPeerConnection;
  left = false;
  /** connections carrying other senders' media to this participant, by sender */
  readonly downstream = new Map<string, Subscription>();
  constructor(
    readonly name: string,
    readonly signal: Signal,
  ) {}
}

/** One sender's single upstream connection and the receivers it is forwarded to. */
class Upstream {
  readonly subscribers = new Set<Subscription>();
  audio?: MediaStreamTrack;
  /** video tracks by RID ('' without simulcast) */
  readonly video = new Map<string, MediaStreamTrack>();
  constructor(
    readonly member: Member,
    readonly pc: RTCPeerConnection,
  ) {}
  get sendsVideo(): boolean {
    return this.pc.getTransceivers().some((t) => t.kind === 'video');
  }
  get sendsAudio(): boolean {
    return this.pc.getTransceivers().some((t) => t.kind === 'audio');
  }
  /** when each layer last sent a packet: the sender drops its top layers when its bandwidth is short */
  readonly lastPacketAt = new Map<string, number>();
  /** the layers sending now, smallest first */
  layers(): string[] {
    const now = Date.now();
    return [...this.lastPacketAt]
      .filter(([, t]) => now - t < 1_000)
      .map(([rid]) => rid)
      .sort((a, b) => LAYERS.indexOf(a as never) - LAYERS.indexOf(b as never));
  }
  private readonly keyframeAskedAt = new Map<string, number>();
  /** Asks the sender for a keyframe of one layer; many receivers asking at once make one request (as a bridge does). */
  keyframe(rid: string): void {
    const now = Date.now();
    if (now - (this.keyframeAskedAt.get(rid) ?? 0) < KEYFRAME_INTERVAL_MS) return;
    this.keyframeAskedAt.set(rid, now);
    const track = this.video.get(rid);
    const ssrc = track?.ssrc ?? track?.header?.ssrc;
    const receiver = this.pc.getTransceivers().find((t) => t.kind === 'video')?.receiver;
    if (receiver && ssrc !== undefined) void receiver.sendRtcpPLI(ssrc).catch(() => {});
  }
}

export class ForwardingUnit {
  private constructor(
    private readonly w: Werift,
    private readonly host: string,
  ) {}

  static async create(host: string): Promise<ForwardingUnit> {
    const w = await import('werift');
    reassembleDtlsFragments(w);
    return new ForwardingUnit(w, host);
  }

  private config(direction: 'up' | 'down'): Partial<PeerConfig> {
    const { useOPUS, useVP8, useNACK, usePLI, useSdesMid, useSdesRTPStreamId, useRepairedRtpStreamId } = this.w;
    const up = direction === 'up';
    return {
      iceUseIpv4: true,
      iceUseIpv6: false,
      iceInterfaceAddresses: { udp4: this.host },
      iceAdditionalHostAddresses: [this.host],
      bundlePolicy: 'max-bundle',
      codecs: {
        audio: [useOPUS({ payloadType: 111 })],
        video: [useVP8({ payloadType: 96, rtcpFeedback: [useNACK(), usePLI()] })],
      },
      headerExtensions: {
        audio: [useSdesMid()],
        video: up ? [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()] : [useSdesMid()],
      },
    };
  }

  /**
   * The unit's SDP with only candidates on the conference's address. An answer to a sender also
   * lets it start at a LAN-like rate: a bridge's transport-wide feedback would ramp it up within
   * seconds, and the unit gives none (werift's under load reads as congestion and pins senders low).
   */
  private async localSdp(pc: RTCPeerConnection): Promise<string> {
    if (pc.iceGatheringState !== 'complete') {
      // up to 5 s, less when gathering completes (the timer goes with it)
      const gathered = new AbortController();
      const { unSubscribe } = pc.iceGatheringStateChange.subscribe((s) => {
        if (s === 'complete') gathered.abort();
      });
      await delay(5_000, undefined, { signal: gathered.signal }).catch(() => undefined);
      unSubscribe();
    }
    widenReceiveBuffers(pc);
    const sdp = pc.localDescription?.sdp ?? '';
    return sdp
      .split('\r\n')
      .filter((l) => !l.startsWith('a=candidate:') || l.split(' ')[4] === this.host)
      .flatMap((l) => {
        const vp8 = /^a=rtpmap:(\d+) VP8\/90000/.exec(l);
        return vp8 && pc.remoteDescription?.type === 'offer' ? [l, `a=fmtp:${vp8[1]} x-google-start-bitrate=${START_KBPS}`] : [l];
      })
      .join('\r\n');
  }

  /** A sender's offer: answer it and forward what arrives to the receivers in `room`. */
  async publish(member: Member, sdp: string, room: Iterable<Member>): Promise<void> {
    if (member.upstreamPc) throw new Error('already publishing');
    const pc = new this.w.RTCPeerConnection(this.config('up'));
    member.upstreamPc = pc;
    const up = new Upstream(member, pc);
    const seen = new WeakSet<MediaStreamTrack>();
    const attach = (track: MediaStreamTrack) => {
      if (seen.has(track)) return;
      seen.add(track);
      if (track.kind === 'audio') {
        up.audio = track;
        track.onReceiveRtp.subscribe((rtp) => {
          for (const s of up.subscribers) s.forwardAudio(rtp);
        });
      } else {
        const rid = track.rid ?? '';
        up.video.set(rid, track);
        track.onReceiveRtp.subscribe((rtp) => {
          up.lastPacketAt.set(rid, Date.now());
          const layers = up.layers();
          for (const s of up.subscribers) s.forwardVideo(rtp, rid, layers);
        });
      }
    };
    await pc.setRemoteDescription({ type: 'offer', sdp });
    if (member.left) return void pc.close().catch(() => {});
    // one track per simulcast layer (werift's connection-level track event names only the first)
    for (const t of pc.getTransceivers()) {
      for (const track of t.receiver.tracks) attach(track);
      t.onTrack.subscribe(attach);
    }
    // receivers can subscribe once the kinds it sends are known
    member.upstream = up;
    // the unit stays the DTLS server, the browser the client (as on its downstreams): werift as client
    // re-sends a flight with its old record numbers, which the browser discards as replays, so a lost
    // final flight from the browser left the upstream without media until werift gave up (~33 s)
    const answer = await pc.createAnswer();
    await pc.setLocalDescription({ type: 'answer', sdp: answer.sdp.replaceAll('a=setup:active', 'a=setup:passive') });
    member.signal({ type: 'published', sdp: await this.localSdp(pc) });
    for (const other of room) if (other !== member) await this.subscribe(other, up);
  }

  /** Starts forwarding `up` to `receiver` over a new connection the unit offers. */
  async subscribe(receiver: Member, up: Upstream): Promise<void> {
    if (receiver.left || up.member.left || receiver.downstream.has(up.member.name)) return;
    const pc = new this.w.RTCPeerConnection(this.config('down'));
    const audio = up.sendsAudio ? pc.addTransceiver('audio', { direction: 'sendonly' }).sender : undefined;
    const video = up.sendsVideo ? pc.addTransceiver('video', { direction: 'sendonly' }).sender : undefined;
    const sub = new Subscription(receiver, pc, audio, video, (rid) => up.keyframe(rid));
    // a receiver that lost a picture asks for a keyframe: pass it upstream for its layer
    video?.onPictureLossIndication.subscribe(() => {
      if (sub.current !== undefined) up.keyframe(sub.current);
    });
    receiver.downstream.set(up.member.name, sub);
    up.subscribers.add(sub);
    await pc.setLocalDescription(await pc.createOffer());
    receiver.signal({ type: 'offer', from: up.member.name, sdp: await this.localSdp(pc) });
  }

  async answer(receiver: Member, from: string, sdp: string): Promise<void> {
    const sub = receiver.downstream.get(from);
    if (!sub) throw new Error(`no media from ${from} offered`);
    await sub.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** A candidate from the page, for its upstream (`pc` = "up") or one of its downstreams (`pc` = sender). */
  async candidate(member: Member, pc: string, candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }): Promise<void> {
    const conn = pc === 'up' ? member.upstreamPc : member.downstream.get(pc)?.pc;
    if (!conn) return;
    await conn.addIceCandidate(new this.w.RTCIceCandidate(candidate));
  }

  /** The receiver's layer choice: applies to every sender it receives. */
  chooseLayer(member: Member, rid: string): void {
    member.layer = rid;
    for (const sub of member.downstream.values()) if (sub.current !== rid) sub.requestKeyframe(rid);
  }

  /** Everything of `member` ends; its receivers drop its media. */
  leave(member: Member, room: Iterable<Member>): void {
    member.left = true;
    for (const sub of member.downstream.values()) sub.close();
    member.downstream.clear();
    const up = member.upstream;
    if (up) {
      for (const sub of up.subscribers) {
        sub.receiver.downstream.delete(member.name);
        sub.close();
      }
      up.subscribers.clear();
      member.upstream = undefined;
    }
    void member.upstreamPc?.close().catch(() => {});
    for (const other of room) {
      const sub = other.downstream.get(member.name);
      if (sub) {
        other.downstream.delete(member.name);
        sub.close();
      }
    }
  }

  /** Joining a room: receive every sender already in it. */
  async joined(member: Member, room: Iterable<Member>): Promise<void> {
    for (const other of room) if (other !== member && other.upstream) await this.subscribe(member, other.upstream);
  }
}
