/**
 * Only fakePod from the look-alike API server's module: it builds pod objects for a pure function; no API server is involved.
 */
import { describe, expect, it } from 'vitest';
import { BridgePlacement } from '../../src/bench/placement.js';
import { statsDelta, type RawSnapshot } from '../../src/bench/probe.js';
import type { ParticipantSample, SampleRecord } from '../../src/bench/samples.js';
import { toJvbPod } from '../../src/cluster/jvb.js';
import { fakePod } from '../support/fake-apiserver.js';

const base = { t: 1, step: 0, bridges: 2, phase: 'steady' as const };
const participant = (name: string, remote?: string): ParticipantSample => ({
  ...base,
  kind: 'participant',
  participant: name,
  room: 'r1',
  role: 'receiver',
  intervalMs: 1000,
  audio: { packetsReceived: 50, packetsLost: 0, lossPct: 0, nackCount: 0 },
  video: { packetsReceived: 0, packetsLost: 0, lossPct: 0, nackCount: 0 },
  bitrateInKbps: 40,
  bitrateOutKbps: 0,
  framesDecoded: 0,
  ...(remote ? { transport: { protocol: 'udp', candidateType: 'host', relayed: false, remote } } : {}),
});

describe('which bridge a participant landed on', () => {
  it('behind one Service the port tells the bridges apart', () => {
    const p = new BridgePlacement();
    const records: SampleRecord[] = [
      { ...base, kind: 'bridge', bridge: 'jvb-0-a', addresses: ['203.0.113.10:10000'] },
      { ...base, kind: 'bridge', bridge: 'jvb-1-b', addresses: ['203.0.113.10:10001'] },
      participant('bench-1', '203.0.113.10:10001'),
      participant('bench-2', '203.0.113.10:10000'),
      participant('bench-3', '198.51.100.1:10000'), // not a bridge we know (e.g. a TURN relay)
      participant('bench-4'),
    ];
    const placed = p.place(records).filter((r): r is ParticipantSample => r.kind === 'participant');
    expect(placed.map((r) => [r.participant, r.bridge])).toEqual([
      ['bench-1', 'jvb-1-b'],
      ['bench-2', 'jvb-0-a'],
      ['bench-3', undefined],
      ['bench-4', undefined],
    ]);
    // learnt addresses stay for later ticks without bridge samples
    expect((p.place([participant('bench-5', '[203.0.113.10]:10001')])[0] as ParticipantSample).bridge).toBe('jvb-1-b');
  });

  it('the bridge advertises JVB_ADVERTISE_IPS with JVB_PORT, or ip#port as given', () => {
    expect(toJvbPod(fakePod({ name: 'jvb-1', component: 'jvb', env: { JVB_ADVERTISE_IPS: '203.0.113.10', JVB_PORT: '10001' } }) as never).mediaAddresses).toEqual(['203.0.113.10:10001']);
    expect(toJvbPod(fakePod({ name: 'jvb-0', component: 'jvb', env: { JVB_ADVERTISE_IPS: '203.0.113.10#30001,198.51.100.2#30001', JVB_PORT: '10000' } }) as never).mediaAddresses).toEqual([
      '203.0.113.10:30001',
      '198.51.100.2:30001',
    ]);
  });

  it('the probe passes the remote address of the selected pair through', () => {
    const snap = (t: number, packets: number): RawSnapshot => ({
      t,
      connections: 1,
      streams: [{ key: 'a', kind: 'audio', dir: 'in', packets, bytes: packets * 100, lost: 0, nack: 0, frames: 0 }],
      transport: { protocol: 'udp', candidateType: 'srflx', remote: '203.0.113.10:10001' },
    });
    expect(statsDelta(snap(0, 0), snap(1000, 50)).transport).toEqual({ protocol: 'udp', candidateType: 'srflx', relayed: false, remote: '203.0.113.10:10001' });
  });
});
