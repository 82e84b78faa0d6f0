/** The join decision of a step, on its own: what a page shows in one interval → joined, failed or waiting. */
import { describe, expect, it } from 'vitest';
import { judgeJoin } from '../../src/bench/step/join.js';
import type { StatsDelta } from '../../src/bench/probe.js';

const media = (packets: number): StatsDelta => ({
  intervalMs: 1_000,
  audio: { packetsReceived: packets, packetsLost: 0, lossPct: 0, nackCount: 0 },
  video: { packetsReceived: 0, packetsLost: 0, lossPct: 0, nackCount: 0 },
  bitrateInKbps: 0,
  bitrateOutKbps: 0,
  framesDecoded: 0,
  packetsSent: 0,
});

describe('judgeJoin', () => {
  it.each([
    ['media flows', { elapsedMs: 2_000, timeoutMs: 30_000, delta: media(50), connections: 1 }, 'joined'],
    ['no media yet', { elapsedMs: 2_000, timeoutMs: 30_000, delta: media(0), connections: 1 }, 'waiting'],
    ['no media by the timeout', { elapsedMs: 31_000, timeoutMs: 30_000, delta: media(0), connections: 1 }, 'failed'],
    ['no stats by the timeout', { elapsedMs: 31_000, timeoutMs: 30_000 }, 'failed'],
  ])('%s', (_what, observation, kind) => {
    expect(judgeJoin(observation).kind).toBe(kind);
  });
});
