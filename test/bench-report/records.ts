/** Builders for SYNTHETIC records in the unit tests: defaults that carry no loss, no RTT, no bridge. */
import type { BridgeSample, EventRecord, MediaStats, ParticipantSample, Phase } from '../../src/bench/samples.js';

const quiet: MediaStats = { packetsReceived: 0, packetsLost: 0, lossPct: 0, nackCount: 0 };

export function media(received: number, lost: number, nackCount = 0): MediaStats {
  return { packetsReceived: received, packetsLost: lost, lossPct: received + lost > 0 ? (lost / (received + lost)) * 100 : 0, nackCount };
}

export function part(o: Partial<ParticipantSample> & { participant: string }): ParticipantSample {
  return {
    kind: 'participant',
    t: 1_000,
    step: 0,
    bridges: 1,
    phase: 'steady',
    room: 'r1',
    role: 'receiver',
    intervalMs: 1000,
    audio: quiet,
    video: quiet,
    bitrateInKbps: 0,
    bitrateOutKbps: 0,
    framesDecoded: 0,
    ...o,
  };
}

export function bridge(o: Partial<BridgeSample> & { bridge: string }): BridgeSample {
  return { kind: 'bridge', t: 1_000, step: 0, bridges: 1, phase: 'steady', ...o };
}

export function event(eventName: EventRecord['event'], o: Partial<EventRecord> = {}): EventRecord {
  return { kind: 'event', t: 1_000, step: 0, bridges: 1, phase: 'ramp-up' as Phase, event: eventName, ...o };
}
