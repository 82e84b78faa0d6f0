/**
 * How much CPU and memory a scenario's browsers need, known before any browser starts: per-page
 * costs from `bench calibrate`, else built-in figures measured on the project's machine
 * (bench/results/loopback-2026-11-27.md). Pure but for `thisMachine()`; the bench command uses it to
 * refuse what this machine cannot drive and to size load-generator pods for `--runner k8s`.
 */
import { readFileSync } from 'node:fs';
import { cpus, freemem } from 'node:os';
import type { Calibration } from './calibrate.js';
import type { ParticipantCost } from './k8s/job.js';
import { shardAssignment } from './k8s/shard.js';
import { assignParticipants, DEFAULT_DURATION_MS, DEFAULT_ROOM_SIZE, DEFAULT_SENDERS_PER_ROOM, formatDuration, roomSizes, type Scenario } from './scenario.js';

export interface ParticipantCosts {
  /** cores of a page sending one video stream (to a bridge, or to the loopback conference's forwarding unit) */
  coresPerSender: number;
  /** cores of a lite page per video stream it receives (packets in, no decoding) */
  coresPerLiteStream: number;
  /** cores to decode one received stream: senders and receivers without lite mode decode */
  coresPerDecodedStream: number;
  memoryMiBPerSender: number;
  memoryMiBPerReceiver: number;
  /** where the figures come from, for the message */
  source: string;
}

/**
 * From bench/results/loopback-2026-11-27.md, rounded up: a sender of one 360p@15 stream 0.21 core
 * (§2, first step) and 345–347 MiB PSS (§1, §3); a lite receiver 0.043–0.057 core and 100–114 MiB
 * (§1, §3); a decoding receiver 0.091 core (§3). The loopback conference forwards like a bridge: the same costs.
 */
export const BUILT_IN_COSTS: ParticipantCosts = {
  coresPerSender: 0.25,
  coresPerLiteStream: 0.06,
  coresPerDecodedStream: 0.09,
  memoryMiBPerSender: 350,
  memoryMiBPerReceiver: 115,
  source: 'built-in estimate from bench/results/loopback-2026-11-27.md',
};

/** Share of the machine's cores and free memory the browsers may take: the rest keeps the runner and the OS responsive. */
export const USABLE_SHARE = 0.75;

/** Cores of participants one load-generator pod drives by default (its request adds Chrome's and Node's own). */
export const POD_PARTICIPANT_CORES = 4;

/** The calibration's measured sender and lite-receiver figures over the built-in ones. */
export function participantCosts(c: Calibration | undefined): ParticipantCosts {
  if (!c || !c.coresPerSender || !c.coresPerLiteReceiver) return BUILT_IN_COSTS;
  return {
    ...BUILT_IN_COSTS,
    coresPerSender: c.coresPerSender,
    coresPerLiteStream: c.coresPerLiteReceiver,
    memoryMiBPerSender: c.memoryMiBPerSender ?? BUILT_IN_COSTS.memoryMiBPerSender,
    memoryMiBPerReceiver: c.memoryMiBPerLiteReceiver ?? BUILT_IN_COSTS.memoryMiBPerReceiver,
    source: `calibration of ${c.measuredAt.slice(0, 10)}`,
  };
}

export interface RoomLoad {
  participants: number;
  senders: number;
  /** one sender page */
  coresPerSender: number;
  cores: number;
  memoryMiB: number;
}

/** One room of `size` with the scenario's per-room roles. */
export function roomLoad(
  s: Pick<Scenario, 'target' | 'senders' | 'liteReceivers'>,
  size: number,
  costs: ParticipantCosts,
): RoomLoad {
  const senders = Math.min(s.senders, size);
  const receivers = size - senders;
  const lite = Math.min(receivers, s.liteReceivers ?? receivers);
  // every page receives the video of every sender but itself
  const sender = costs.coresPerSender + (senders - 1) * (costs.coresPerLiteStream + costs.coresPerDecodedStream);
  // a page without video to receive still runs its audio and its connection
  const streams = Math.max(1, senders);
  const liteReceiver = streams * costs.coresPerLiteStream;
  const decodingReceiver = liteReceiver + senders * costs.coresPerDecodedStream;
  return {
    participants: size,
    senders,
    coresPerSender: sender,
    cores: senders * sender + lite * liteReceiver + (receivers - lite) * decodingReceiver,
    memoryMiB: senders * costs.memoryMiBPerSender + receivers * costs.memoryMiBPerReceiver,
  };
}

export interface ScenarioLoad {
  cores: number;
  memoryMiB: number;
  /** the costliest room: a load generator takes whole rooms */
  biggestRoom: RoomLoad;
}

export function scenarioLoad(s: Pick<Scenario, 'target' | 'participants' | 'rooms' | 'senders' | 'liteReceivers'>, costs: ParticipantCosts): ScenarioLoad {
  const rooms = roomSizes(s).map((size) => roomLoad(s, size, costs));
  return {
    cores: rooms.reduce((n, r) => n + r.cores, 0),
    memoryMiB: rooms.reduce((n, r) => n + r.memoryMiB, 0),
    biggestRoom: rooms[0]!,
  };
}

export interface MachineCapacity {
  cpus: number;
  usableCores: number;
  /** MemAvailable (free plus reclaimable), MiB */
  availableMiB: number;
  usableMiB: number;
}

export function machineCapacity(cores: number, availableMiB: number): MachineCapacity {
  return { cpus: cores, usableCores: cores * USABLE_SHARE, availableMiB, usableMiB: Math.floor(availableMiB * USABLE_SHARE) };
}

/** This machine now: its cores and the memory the kernel says is available (free plus reclaimable). */
export function thisMachine(): MachineCapacity {
  let available = Math.floor(freemem() / 1_048_576);
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) available = Math.floor(Number(m[1]) / 1_024);
  } catch {
    // not Linux: free memory is the best figure there is
  }
  return machineCapacity(cpus().length, available);
}

export interface PodPlan {
  /** most participants per pod: whole rooms of the biggest size */
  perPod: number;
  roomsPerPod: number;
  pods: number;
}

/** Whole rooms per load-generator pod, as many as `podCores` of participant load allows (at least one). */
export function podPlan(
  s: Pick<Scenario, 'target' | 'participants' | 'rooms' | 'senders' | 'audioSenders' | 'liteReceivers' | 'rampPerSecond' | 'participantsPerBrowser' | 'roomPrefix'>,
  costs: ParticipantCosts,
  podCores = POD_PARTICIPANT_CORES,
): PodPlan {
  const room = scenarioLoad(s, costs).biggestRoom;
  const roomsPerPod = Math.max(1, Math.min(s.rooms, Math.floor(podCores / room.cores)));
  const perPod = roomsPerPod * room.participants;
  return { perPod, roomsPerPod, pods: shardAssignment(assignParticipants(s), { perPod }).length };
}

export interface CapacityVerdict {
  fits: boolean;
  load: ScenarioLoad;
  machine: MachineCapacity;
  costs: ParticipantCosts;
  /** what the browsers need against what this machine has, one line */
  estimate: string;
}

const gib = (mib: number) => `${(mib / 1_024).toFixed(1)} GiB`;
const cores = (n: number) => (n < 10 ? n.toFixed(2).replace(/\.?0+$/, '') : n.toFixed(0));

/** Can this machine drive the scenario's browsers? Needs at most the usable share of its cores and of its available memory. */
export function checkCapacity(s: Parameters<typeof scenarioLoad>[0], costs: ParticipantCosts, machine: MachineCapacity): CapacityVerdict {
  const load = scenarioLoad(s, costs);
  const fits = load.cores <= machine.usableCores && load.memoryMiB <= machine.usableMiB;
  const estimate =
    `${s.participants} participants need about ${cores(load.cores)} cores and ${gib(load.memoryMiB)} to drive ` +
    `(${costs.source}: ${costs.coresPerSender} core per sender, ${costs.coresPerLiteStream} per lite receiver and stream received); ` +
    `this machine has ${machine.cpus} cores (${cores(machine.usableCores)} usable) and ${gib(machine.availableMiB)} available (${gib(machine.usableMiB)} usable)`;
  return { fits, load, machine, costs, estimate };
}

/** What one page costs a load-generator pod in this scenario (the Job's requests), from the costliest room. */
export function podCost(s: Parameters<typeof scenarioLoad>[0], costs: ParticipantCosts): ParticipantCost {
  const room = scenarioLoad({ ...s, target: 'jitsi' }, costs).biggestRoom;
  const receivers = room.participants - room.senders;
  const receiverCores = receivers > 0 ? (room.cores - room.senders * room.coresPerSender) / receivers : 0;
  return {
    coresPerSender: round2(room.coresPerSender),
    coresPerReceiver: round2(receiverCores),
    memoryMiBPerSender: costs.memoryMiBPerSender,
    memoryMiBPerReceiver: costs.memoryMiBPerReceiver,
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The `--runner k8s` form of the scenario for the message that refuses to run it here. */
export function k8sCommand(s: Pick<Scenario, 'target' | 'url' | 'participants' | 'rooms' | 'roomSize' | 'senders' | 'durationMs'>): string {
  const defaults = { rooms: Math.ceil(s.participants / DEFAULT_ROOM_SIZE), senders: Math.min(DEFAULT_SENDERS_PER_ROOM, Math.floor(s.participants / s.rooms)) };
  const args = ['jitsi-k8s bench', `--url ${s.target === 'jitsi' && s.url ? s.url : 'https://<your Jitsi site>'}`, `--participants ${s.participants}`];
  if (s.roomSize !== undefined) args.push(`--room-size ${s.roomSize}`);
  else if (s.rooms !== defaults.rooms) args.push(`--rooms ${s.rooms}`);
  if (s.senders !== defaults.senders) args.push(`--senders ${s.senders}`);
  if (s.durationMs !== DEFAULT_DURATION_MS) args.push(`--duration ${formatDuration(s.durationMs)}`);
  return [...args, '--runner k8s'].join(' ');
}
