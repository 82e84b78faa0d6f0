/**
 * LOOK-ALIKE bridges for the loopback conference (Jitsi cannot run here): N named bridges that share
 * the one forwarding unit. Each room is placed, when first seen, on the bridge with the fewest
 * participants (as jicofo places a conference on the least-loaded bridge), and each bridge reports a
 * stress that rises with its participants at a set rate — by default jicofo's assumed stress per
 * participant (0.01), so 80 participants read jicofo's stress threshold 0.8. They let
 * `bench --find-capacity --target loopback` find a knee the caller chose, on one or more bridges.
 * They measure no CPU: they are not bridges, only their stress is modelled.
 */
import type { BridgeSample } from '../samples.js';
import type { Bridges } from '../bridges.js';
import type { LoopbackConference } from './server.js';

/** jicofo's `bridge.average-participant-stress` default (jicofo-selector reference.conf): 80 participants read its `stress-threshold` 0.8. */
export const LOOKALIKE_STRESS_PER_PARTICIPANT = 0.01;

export const lookalikeBridgeName = (index: number) => `lookalike-bridge-${index + 1}`;

export interface LookalikeBridges extends Bridges {
  /** room → bridge index, as placed so far */
  placement(): Record<string, string>;
}

/** Look-alike bridges over the rooms of `conference`; `count` is where they start (a scale sets it). */
export function lookalikeBridges(conference: Pick<LoopbackConference, 'rooms'>, o: { count: number; stressPerParticipant: number }): LookalikeBridges {
  let count = o.count;
  let placed = new Map<string, number>();
  const load = (rooms: Record<string, string[]>): number[] => {
    const perBridge = Array.from({ length: count }, () => 0);
    for (const [room, members] of Object.entries(rooms)) {
      const at = placed.get(room);
      if (at !== undefined) perBridge[at]! += members.length;
    }
    return perBridge;
  };
  const sample = (): BridgeSample[] => {
    const rooms = conference.rooms();
    for (const room of Object.keys(placed)) if (!(room in rooms)) placed.delete(room);
    // new rooms, in name order, each onto the least-loaded bridge of the moment
    for (const room of Object.keys(rooms).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
      if (placed.has(room)) continue;
      const perBridge = load(rooms);
      placed.set(room, perBridge.indexOf(Math.min(...perBridge)));
    }
    const perBridge = load(rooms);
    return perBridge.map((participants, i) => ({
      kind: 'bridge',
      t: 0,
      step: 0,
      bridges: count,
      phase: 'warmup',
      bridge: lookalikeBridgeName(i),
      // rounded so 80 × 0.01 reads 0.8, not 0.8000000000000002
      stress: Math.round(participants * o.stressPerParticipant * 1e6) / 1e6,
      participants,
      conferences: [...placed.values()].filter((b) => b === i).length,
    }));
  };
  return {
    scaler: {
      current: async () => count,
      scaleTo: async (bridges) => {
        count = bridges;
        placed = new Map();
      },
    },
    sampler: { sample: async () => sample() },
    placement: () => Object.fromEntries([...placed].map(([room, b]) => [room, lookalikeBridgeName(b)])),
  };
}
