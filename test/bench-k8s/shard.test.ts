import { describe, expect, it } from 'vitest';
import { shardAssignment } from '../../src/bench/k8s/shard.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';
import { UsageError } from '../../src/errors.js';

/** mulberry32: a small seeded PRNG, so the property runs are repeatable */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** senders per room */
function plan(participants: number, rooms: number, senders: number) {
  return assignParticipants(parseScenario({ participants, rooms, senders, target: 'loopback' }));
}

describe('sharding', () => {
  it('200 participants in 20 rooms, 20 per pod: 10 pods of whole rooms, 4 senders each', () => {
    const shards = shardAssignment(plan(200, 20, 2), { perPod: 20 });
    expect(shards.map((s) => s.participants.length)).toEqual(Array(10).fill(20));
    expect(shards.map((s) => s.senders)).toEqual(Array(10).fill(4));
    expect(shards.every((s) => s.rooms.length === 2)).toBe(true);
  });

  it('is deterministic', () => {
    expect(shardAssignment(plan(97, 13, 2), { perPod: 15 })).toEqual(shardAssignment(plan(97, 13, 2), { perPod: 15 }));
  });

  it('a room larger than a pod is refused unless --split-rooms', () => {
    expect(() => shardAssignment(plan(30, 1, 3), { perPod: 10 })).toThrow(UsageError);
    try {
      shardAssignment(plan(30, 1, 3), { perPod: 10 });
    } catch (e) {
      expect((e as UsageError).message).toBe('room jk8s-bench-1 has 30 participants, more than --per-pod 10');
      expect((e as UsageError).hint).toContain('--split-rooms');
    }
    const split = shardAssignment(plan(30, 1, 3), { perPod: 10, splitRooms: true });
    expect(split.map((s) => [s.participants.length, s.senders])).toEqual([[10, 1], [10, 1], [10, 1]]);
  });

  it('property: every participant exactly once, pods within size, rooms whole, senders spread (300 random scenarios)', () => {
    const random = rng(42);
    for (let run = 0; run < 300; run++) {
      const participants = 1 + Math.floor(random() * 150);
      const rooms = 1 + Math.floor(random() * participants);
      const senders = Math.floor(random() * (Math.floor(participants / rooms) + 1));
      const perPod = 1 + Math.floor(random() * 40);
      const splitRooms = random() < 0.5;
      const p = plan(participants, rooms, senders);
      const roomSize = Math.ceil(participants / rooms);
      let shards;
      try {
        shards = shardAssignment(p, { perPod, splitRooms });
      } catch (e) {
        // only refusal: a room bigger than a pod without --split-rooms
        expect(splitRooms).toBe(false);
        expect(roomSize).toBeGreaterThan(perPod);
        continue;
      }
      const seen = shards.flatMap((s) => s.participants).sort((a, b) => a - b);
      expect(seen).toEqual(p.participants.map((x) => x.index));
      expect(shards.every((s) => s.participants.length >= 1 && s.participants.length <= perPod)).toBe(true);
      expect(shards.map((s) => s.index)).toEqual(shards.map((_, i) => i));
      const sendersPer = shards.map((s) => s.senders);
      expect(sendersPer.reduce((a, b) => a + b, 0)).toBe(senders * rooms);
      if (splitRooms) {
        expect(Math.max(...sendersPer) - Math.min(...sendersPer)).toBeLessThanOrEqual(1);
        expect(shards.length).toBe(Math.ceil(participants / perPod));
      } else {
        for (const room of new Set(p.participants.map((x) => x.room))) {
          expect(shards.filter((s) => s.rooms.includes(room)).length).toBe(1);
        }
        // whole rooms: the spread of senders is bounded by what one room holds
        const maxRoomSenders = Math.max(...[...new Set(p.participants.map((x) => x.room))].map((r) => p.participants.filter((x) => x.room === r && x.role === 'sender').length));
        expect(Math.max(...sendersPer) - Math.min(...sendersPer), JSON.stringify({ participants, rooms, senders, perPod, shards: shards.map((s) => [s.participants.length, s.senders]) })).toBeLessThanOrEqual(Math.max(1, maxRoomSenders));
      }
    }
  });
});
