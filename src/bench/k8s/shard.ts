/**
 * Splitting a scenario over load-generator pods. Pure and deterministic: the same scenario and
 * pod size always give the same shards. Each participant lands in exactly one shard, keeps its
 * place in the global join ramp (joinAtMs), and whole rooms stay in one shard unless asked
 * (a room split over pods still works, it just mixes generators in one conference).
 */
import { UsageError } from '../../errors.js';
import type { Assignment, ParticipantPlan } from '../scenario.js';

export interface Shard {
  index: number;
  /** participant indices (into Assignment.participants), in join order */
  participants: number[];
  rooms: string[];
  senders: number;
}

export interface ShardOptions {
  /** most participants one pod drives */
  perPod: number;
  /** allow a room to span pods (needed when a room is larger than perPod) */
  splitRooms?: boolean;
}

export function shardAssignment(plan: Assignment, opts: ShardOptions): Shard[] {
  if (!Number.isInteger(opts.perPod) || opts.perPod < 1) throw new UsageError(`--per-pod must be a whole number ≥ 1 (got ${opts.perPod})`);
  const people = plan.participants;
  if (people.length === 0) return [];
  const shardCount = Math.ceil(people.length / opts.perPod);
  const shards: Shard[] = Array.from({ length: shardCount }, (_, index) => ({ index, participants: [], rooms: [], senders: 0 }));
  if (opts.splitRooms) {
    // senders first, dealt round-robin, then receivers into the emptiest shard: both spread evenly
    const senders = people.filter((p) => p.role === 'sender');
    const receivers = people.filter((p) => p.role !== 'sender');
    senders.forEach((p, i) => add(shards[i % shardCount]!, p));
    for (const p of receivers) {
      const target = shards.reduce((best, s) => (s.participants.length < best.participants.length ? s : best));
      add(target, p);
    }
  } else {
    const rooms = new Map<string, ParticipantPlan[]>();
    for (const p of people) rooms.set(p.room, [...(rooms.get(p.room) ?? []), p]);
    const tooBig = [...rooms].find(([, members]) => members.length > opts.perPod);
    if (tooBig) {
      throw new UsageError(
        `room ${tooBig[0]} has ${tooBig[1].length} participants, more than --per-pod ${opts.perPod}`,
        'raise --per-pod, add rooms (--rooms), or pass --split-rooms to let a room span load-generator pods',
      );
    }
    // fewest pods that take whole rooms; one room per pod always fits, so this ends
    for (let count = shardCount; ; count++) {
      const packed = packRooms([...rooms.values()], count, opts.perPod);
      if (packed) return packed;
    }
  }
  return finish(shards);
}

/**
 * Senders cost most: rooms with the most senders first, each to the pod (with space) that has the
 * fewest senders, then the fewest participants — longest-processing-time-first on sender load.
 * Undefined when some room finds no pod with space.
 */
function packRooms(rooms: ParticipantPlan[][], count: number, perPod: number): Shard[] | undefined {
  const shards: Shard[] = Array.from({ length: count }, (_, index) => ({ index, participants: [], rooms: [], senders: 0 }));
  const sendersOf = (members: ParticipantPlan[]) => members.filter((m) => m.role === 'sender').length;
  const ordered = [...rooms].sort((a, b) => sendersOf(b) - sendersOf(a) || b.length - a.length || a[0]!.index - b[0]!.index);
  for (const members of ordered) {
    const fits = shards.filter((s) => s.participants.length + members.length <= perPod);
    if (fits.length === 0) return undefined;
    const target = fits.reduce((best, s) => ((s.senders - best.senders || s.participants.length - best.participants.length) < 0 ? s : best));
    for (const m of members) add(target, m);
  }
  return finish(shards);
}

function add(shard: Shard, p: ParticipantPlan): void {
  shard.participants.push(p.index);
  if (p.role === 'sender') shard.senders++;
  if (!shard.rooms.includes(p.room)) shard.rooms.push(p.room);
}

/** Join order inside each shard, empty shards dropped, indices renumbered. */
function finish(shards: Shard[]): Shard[] {
  for (const s of shards) s.participants.sort((a, b) => a - b);
  return shards.filter((s) => s.participants.length > 0).map((s, index) => ({ ...s, index }));
}
