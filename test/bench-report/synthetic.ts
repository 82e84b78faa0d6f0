/**
 * SYNTHETIC bench runs for the report tests: deterministic, made-up records shaped like the engine's
 * samples.jsonl (src/bench/samples.ts). They exercise the summary, CSV and HTML code; they are not
 * measurements of anything.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeSample, EventRecord, ParticipantSample, Phase, SampleRecord } from '../../src/bench/samples.js';

export interface SyntheticOptions {
  bridgeCounts?: number[];
  participants?: number;
  rooms?: number;
  senders?: number;
  withBridges?: boolean;
  /** every n-th audio packet is lost (0 = none) */
  audioLossEvery?: number;
  /** multiplies bridge CPU (to make two runs differ) */
  cpuScale?: number;
  failEvery?: number;
  roomName?: (i: number) => string;
  seed?: number;
}

export const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const PHASE_S: [Phase, number][] = [
  ['warmup', 10],
  ['ramp-up', 20],
  ['steady', 60],
  ['ramp-down', 10],
  ['cooldown', 10],
];
const INTERVAL_MS = 2000;
const BRIDGE_INTERVAL_MS = 5000;

/** A small deterministic pseudo-random generator, so the synthetic runs are the same every time. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function syntheticRecords(opts: SyntheticOptions = {}): SampleRecord[] {
  const counts = opts.bridgeCounts ?? [1, 2];
  const n = opts.participants ?? 6;
  const rooms = opts.rooms ?? 3;
  const senders = opts.senders ?? 2;
  const withBridges = opts.withBridges ?? true;
  const lossEvery = opts.audioLossEvery ?? 25;
  const cpuScale = opts.cpuScale ?? 1;
  const roomName = opts.roomName ?? ((i: number) => `room-${i % rooms}`);
  const rand = rng(opts.seed ?? 7);
  const out: SampleRecord[] = [];
  let t = T0;
  counts.forEach((bridges, step) => {
    const bridgeOf = (room: number) => `jitsi-jvb-${room % bridges}`;
    const joined = new Set<number>();
    for (const [phase, seconds] of PHASE_S) {
      const phaseStart = t;
      const phaseEnd = t + seconds * 1000;
      const base = { step, bridges, phase };
      for (let now = phaseStart; now < phaseEnd; now += 1000) {
        if (phase === 'ramp-up') {
          // one join per 2 s across rooms
          const i = Math.floor((now - phaseStart) / 2000);
          if ((now - phaseStart) % 2000 === 0 && i < n) {
            if (opts.failEvery && (i + 1) % opts.failEvery === 0) {
              out.push({ kind: 'event', t: now, ...base, event: 'join-failed', participant: `bench-${i}`, detail: 'timeout waiting for media' } satisfies EventRecord);
            } else {
              joined.add(i);
              out.push({ kind: 'event', t: now, ...base, event: 'joined', participant: `bench-${i}` } satisfies EventRecord);
            }
          }
        }
        if (phase === 'ramp-down' && (now - phaseStart) % 2000 === 0) {
          const first = [...joined][0];
          if (first !== undefined) {
            joined.delete(first);
            out.push({ kind: 'event', t: now, ...base, event: 'left', participant: `bench-${first}` } satisfies EventRecord);
          }
        }
        if ((now - T0) % INTERVAL_MS === 0) {
          // senders share browser 0, receivers go 4 to a browser (as the engine packs them)
          const browserOf = (i: number) => (i < senders ? 0 : 1 + Math.floor((i - senders) / 4));
          const pagesIn = new Map<number, number>();
          for (const i of joined) pagesIn.set(browserOf(i), (pagesIn.get(browserOf(i)) ?? 0) + 1);
          const browserCores = new Map([...pagesIn].map(([b, pages]) => [b, pages * (b === 0 ? 0.12 : 0.05) + rand() * 0.02]));
          for (const i of joined) {
            const role = i < senders ? 'sender' : 'receiver';
            const browser = browserOf(i);
            const received = 100;
            const lost = lossEvery > 0 ? Math.round(received / lossEvery + (rand() - 0.5) * 2) : 0;
            const vReceived = 300;
            const vLost = rand() < 0.1 ? 1 : 0;
            out.push({
              kind: 'participant',
              t: now + Math.round(rand() * 40),
              ...base,
              participant: `bench-${i}`,
              room: roomName(i % rooms),
              role,
              bridge: withBridges ? bridgeOf(i % rooms) : undefined,
              intervalMs: INTERVAL_MS,
              audio: { packetsReceived: received, packetsLost: lost, lossPct: (lost / (received + lost)) * 100, nackCount: 0, jitterMs: 4 + rand() * 3 },
              video: { packetsReceived: vReceived, packetsLost: vLost, lossPct: (vLost / (vReceived + vLost)) * 100, nackCount: Math.round(rand() * 4), jitterMs: 8 + rand() * 4 },
              sendLossPct: role === 'sender' ? rand() * 2 : undefined,
              rttMs: 18 + rand() * 10 + step * 3,
              bitrateInKbps: 600 + rand() * 100,
              bitrateOutKbps: role === 'sender' ? 450 + rand() * 50 : 30,
              framesDecoded: 0,
              framesPerSecond: role === 'sender' ? 15 : undefined,
              transport: { protocol: 'udp', candidateType: 'host', relayed: false },
              browser,
              browserCpuCores: Math.round(browserCores.get(browser)! * 1000) / 1000,
              browserParticipants: pagesIn.get(browser)!,
              browserPssMiB: 250 + pagesIn.get(browser)! * 140,
            } satisfies ParticipantSample);
          }
        }
        if (withBridges && (now - T0) % BRIDGE_INTERVAL_MS === 0) {
          for (let b = 0; b < bridges; b++) {
            const name = `jitsi-jvb-${b}`;
            const on = [...joined].filter((i) => (i % rooms) % bridges === b).length;
            const cores = cpuScale * (0.05 + 0.04 * on + rand() * 0.02);
            out.push({
              kind: 'bridge',
              t: now + 100,
              ...base,
              bridge: name,
              node: `node-${b}`,
              cpuCores: Math.round(cores * 1000) / 1000,
              cpuSource: 'kubelet',
              memoryMiB: 700 + on * 12,
              stress: Math.round((cores / 0.9 / 2) * 1000) / 1000,
              conferences: Math.ceil(on / 2),
              participants: on,
              incomingLossPct: rand() * 0.5,
              outgoingLossPct: rand() * 0.8,
              bitrateDownKbps: on * 500,
              bitrateUpKbps: on * 1200,
              rttMs: 20 + rand() * 5,
            } satisfies BridgeSample);
          }
        }
      }
      t = phaseEnd;
    }
  });
  return out;
}

export function syntheticScenario(opts: SyntheticOptions = {}): Record<string, unknown> {
  return {
    target: opts.withBridges === false ? 'loopback' : 'jitsi',
    url: opts.withBridges === false ? 'http://127.0.0.1:0/' : 'https://meet.example.test/',
    participants: opts.participants ?? 6,
    rooms: opts.rooms ?? 3,
    senders: opts.senders ?? 2,
    duration: '60s',
    ramp: '0.5/s',
    replicas: opts.bridgeCounts ?? [1, 2],
    sampleIntervalMs: INTERVAL_MS,
    synthetic: 'yes: made-up records for tests',
  };
}

/** Writes a synthetic run folder (samples.jsonl + scenario.json) and returns its path. */
export function writeSyntheticRun(dir: string, opts: SyntheticOptions = {}, extraLines = ''): string {
  mkdirSync(dir, { recursive: true });
  const lines = syntheticRecords(opts).map((r) => JSON.stringify(r)).join('\n');
  writeFileSync(join(dir, 'samples.jsonl'), `${lines}\n${extraLines}`);
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify(syntheticScenario(opts), null, 2));
  return dir;
}
