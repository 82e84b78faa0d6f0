/** The capacity profile read back and the sizing arithmetic on it: bridges for a peak, HPA bounds, share in use, and the flags on a profile from another setup. */
import { describe, expect, it } from 'vitest';
import { capacityBasis, parseCapacityProfile, planBridges, shareOfCapacity, type CapacityProfile } from '../../src/config/capacity-profile.js';
import { describeCapacity, sizeRelease } from '../../src/config/sizing.js';
import { config } from '../support/config.js';

const profile: CapacityProfile = {
  schema: 'jitsi-k8s/capacity@1',
  measuredAt: '2026-12-07T10:00:00.000Z',
  run: 'bench-results/capacity',
  target: 'jitsi',
  site: 'https://meet.example.com',
  jvbImage: 'ghcr.io/jitsi/jvb:stable-11146-2',
  nodes: { cpu: 8, memoryGiB: 32 },
  bridgeCores: 3.6,
  shape: { roomSize: 5, senders: 5, audioSenders: 5, liteReceivers: null, video: '640x360@15' },
  thresholds: ['bridge.stress.max<=0.8'],
  knees: [{ bridges: 1, participants: 150, conferences: 30, perBridge: 150, perBridgeCore: 41.7 }],
  participantsPerBridge: 150,
  participantsPerBridgeCore: 41.7,
  command: 'jitsi-k8s bench --find-capacity --url https://meet.example.com --room-size 5',
};

describe('sizing from a capacity profile', () => {
  it('plans 900 participants on 150 per bridge at 80 %: 8 bridges, HPA 2-8, with the arithmetic', () => {
    const basis = capacityBasis({ profile, roomSize: 5, bridgeCores: 3.6, nodes: { cpu: 8, memoryGiB: 32 }, jvbImage: profile.jvbImage });
    expect(basis).toMatchObject({ kind: 'profile', perBridge: 150, mismatches: [] });
    const plan = planBridges(900, basis);
    expect(plan).toMatchObject({ bridges: 8, min: 2, max: 8 });
    expect(plan.arithmetic).toEqual([
      '150 participants per bridge (measured) × 80 % (headroom: bridges planned at 80 % of capacity) = 120 per bridge',
      '900 participants ÷ 120 = 7.5 → 8 bridges (HPA max)',
      '25 % of the peak (225) ÷ 120 → 2 bridges (HPA min: new bridges take minutes to start)',
    ]);
    expect(shareOfCapacity(372, 4, basis).text).toBe('62 % of measured capacity (372 of 600: 4 bridges × 150)');
  });

  it('flags a profile from another JVB image, node size, room shape or the loopback look-alike, and scales by cores', () => {
    const other = capacityBasis({ profile, roomSize: 10, bridgeCores: 7.2, nodes: { cpu: 16, memoryGiB: 64 }, jvbImage: 'ghcr.io/jitsi/jvb:stable-9999' });
    expect(other.mismatches).toEqual([
      'measured with JVB ghcr.io/jitsi/jvb:stable-11146-2, this deployment runs ghcr.io/jitsi/jvb:stable-9999',
      'measured on nodes of 8 CPU / 32 GiB, these are 16 CPU / 64 GiB',
      'measured with rooms of 5, planned for rooms of 10',
      'measured on bridges of 3.6 cores, these have 7.2: scaled by cores',
    ]);
    expect(other.perBridge).toBe(Math.floor(41.7 * 7.2));
    const loopback = capacityBasis({ profile: { ...profile, target: 'loopback', jvbImage: 'loopback look-alike bridge (stress 0.4 per participant)' }, roomSize: 5, bridgeCores: 3.6 });
    expect(loopback.mismatches[0]).toMatch(/^measured on the loopback look-alike bridges/);
  });

  it('NOTES say where the figure comes from and what to doubt', () => {
    const s = sizeRelease(config({ nodes: { count: 3, cpu: 8, memoryGiB: 32 }, components: { jvb: { replicas: 2 } }, expect: { peakParticipants: 900, roomSize: 10 } }), { profile, source: 'capacity.json' });
    const lines = describeCapacity(s);
    expect(lines[0]).toMatch(/^capacity: 300 participants on 2 bridges \(150 each, rooms of 10\) — measured: measured 2026-12-07 by bench --find-capacity \(bench-results\/capacity\) from capacity.json/);
    expect(lines).toContain('  profile from another setup: measured with rooms of 5, planned for rooms of 10');
    expect(lines).toContain('for 900 participants at peak: 8 bridges (HPA min 2, max 8)');
  });

  it('refuses what is not a profile, naming the field', () => {
    expect(() => parseCapacityProfile({ ...profile, participantsPerBridge: 0 }, 'x.json')).toThrow(/x.json: participantsPerBridge/);
  });
});
