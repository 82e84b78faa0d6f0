/** summarize() on tiny SYNTHETIC record sets whose figures are worked out by hand in the comments. */
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/bench/results/index.js';
import { scenarioInfo } from '../../src/bench/results/scenario.js';
import { mean, percentile } from '../../src/bench/results/stats.js';
import { bridge, event, media, part } from './records.js';

describe('stats', () => {
  it('p95 is the nearest-rank percentile', () => {
    const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(oneToTwenty, 95)).toBe(19); // ⌈0.95·20⌉ = 19th value
    expect(percentile([3, 1, 2], 95)).toBe(3); // ⌈2.85⌉ = 3rd
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 95)).toBeNull();
    expect(mean([])).toBeNull();
    expect(mean([1, 2, 6])).toBe(3);
  });
});

describe('client loss', () => {
  const summary = summarize(
    [
      // audio: 10 of 100 lost (10 %), then 0 of 10 lost (0 %), then nothing flowed
      part({ participant: 'bench-0', audio: media(90, 10, 2), video: media(0, 0, 5) }),
      part({ participant: 'bench-1', audio: media(10, 0) }),
      part({ participant: 'bench-1', t: 2_000, audio: media(0, 0) }),
    ],
    {},
  );
  const steady = summary.steps[0]!.phases[0]!;
  const c = steady.clients;

  it('averages per-sample loss only over samples in which the kind flowed', () => {
    expect(c.samples).toBe(3);
    expect(c.participants).toBe(2);
    expect(c.audio.samples).toBe(2);
    expect(c.audio.lossPctMean).toBe(5); // (10 + 0) / 2
    expect(c.audio.lossPctP95).toBe(10); // ⌈0.95·2⌉ = 2nd of [0, 10]
  });

  it('pools loss as Σlost ÷ (Σlost + Σreceived)', () => {
    expect(c.audio.pooledLossPct).toBeCloseTo((10 / 110) * 100, 3); // 9.0909 %
    expect(c.audio.packetsReceived).toBe(100);
    expect(c.audio.packetsLost).toBe(10);
    expect(c.audio.nackCount).toBe(2);
  });

  it('leaves figures without data null instead of 0', () => {
    expect(c.video.samples).toBe(0);
    expect(c.video.lossPctMean).toBeNull();
    expect(c.video.lossPctP95).toBeNull();
    expect(c.video.pooledLossPct).toBeNull();
    expect(c.video.nackCount).toBe(5); // NACKs were counted even though no video packet arrived
    expect(c.rttMsMean).toBeNull();
    expect(c.sendLossPctMean).toBeNull();
    expect(c.framesPerSecondMean).toBeNull();
    expect(steady.bridges).toEqual([]);
    expect(steady.bridgeCpuCoresTotal).toBeNull();
    expect(steady.cpuPerParticipant).toBeNull();
    expect(steady.stressMax).toBeNull();
    expect(summary.run.bridgeMeasured).toBe(false);
    expect(summary.notes.some((n) => n.startsWith('no bridge was measured'))).toBe(true);
  });

  it('has RTT, send loss and bitrates as mean and p95 when present', () => {
    const s = summarize(
      [
        part({ participant: 'a', role: 'sender', rttMs: 10, sendLossPct: 1, bitrateInKbps: 100, bitrateOutKbps: 500 }),
        part({ participant: 'b', rttMs: 30, bitrateInKbps: 300, bitrateOutKbps: 0 }),
      ],
      {},
    ).overall.clients;
    expect(s.rttMsMean).toBe(20);
    expect(s.rttMsP95).toBe(30);
    expect(s.sendLossPctMean).toBe(1);
    expect(s.bitrateInKbpsMean).toBe(200);
    expect(s.byRole.sender).toMatchObject({ participants: 1, samples: 1, bitrateInKbpsMean: 100, bitrateOutKbpsMean: 500, cpuCoresPerParticipantMean: null });
    expect(s.byRole.receiver.bitrateInKbpsMean).toBe(300);
  });
});

describe('bridge figures', () => {
  // jvb-a: 20 samples of 0.1 … 2.0 cores with 4 participants each; jvb-b: 0.5 and 0.7 cores, no participant count
  const records = [
    ...Array.from({ length: 20 }, (_, i) => bridge({ bridge: 'jvb-a', t: 1000 + i * 1000, cpuCores: (i + 1) / 10, participants: 4, stress: i === 0 ? 0.2 : i === 19 ? 0.9 : undefined })),
    bridge({ bridge: 'jvb-b', cpuCores: 0.5, incomingLossPct: 1, outgoingLossPct: 3 }),
    bridge({ bridge: 'jvb-b', cpuCores: 0.7, incomingLossPct: 2 }),
    part({ participant: 'p1' }),
    part({ participant: 'p2' }),
    part({ participant: 'p3' }),
    part({ participant: 'p3', t: 2000 }),
  ];
  const phase = summarize(records, {}).steps[0]!.phases[0]!;
  const [a, b] = phase.bridges;

  it('has per-bridge CPU mean, p95 and max in cores', () => {
    expect(a!.bridge).toBe('jvb-a');
    expect(a!.samples).toBe(20);
    expect(a!.cpuCoresMean).toBeCloseTo(1.05, 6); // (0.1 + 2.0) / 2
    expect(a!.cpuCoresP95).toBeCloseTo(1.9, 6); // 19th of 20
    expect(a!.cpuCoresMax).toBeCloseTo(2.0, 6);
    expect(a!.stressMean).toBeCloseTo(0.55, 6); // only two samples carry stress
    expect(a!.stressMax).toBe(0.9);
    expect(b!.cpuCoresMean).toBeCloseTo(0.6, 6);
    expect(b!.incomingLossPctMean).toBeCloseTo(1.5, 6);
    expect(b!.outgoingLossPctMean).toBe(3);
    expect(b!.stressMean).toBeNull();
    expect(b!.memoryMiBMean).toBeNull();
  });

  it('gives CPU per participant per bridge (its own counts) and per phase (participants measured)', () => {
    expect(a!.cpuPerParticipant).toBeCloseTo(21 / 80, 5); // Σ cores 21 ÷ Σ participants 80
    expect(b!.cpuPerParticipant).toBeNull(); // jvb-b never reported participants
    expect(phase.bridgeCpuCoresTotal).toBeCloseTo(1.65, 6); // 1.05 + 0.6
    expect(phase.clients.participants).toBe(3);
    expect(phase.cpuPerParticipant).toBeCloseTo(0.55, 5); // 1.65 ÷ 3
    expect(phase.stressMax).toBe(0.9);
  });
});

describe('load generator', () => {
  it('gives browser CPU and PSS per page, per role, and the browsers\' total', () => {
    // sender page alone in browser 0 (0.3 cores, 400 MiB); two receiver pages share browser 1
    // (0.4 then 0.6 cores, 600 MiB): per page 0.2, 0.2, 0.3, 0.3 cores and 300 MiB
    const recv = (participant: string, t: number, cores: number) =>
      part({ participant, t, browser: 1, browserCpuCores: cores, browserParticipants: 2, browserPssMiB: 600 });
    const all = summarize(
      [
        part({ participant: 's', role: 'sender', browser: 0, browserCpuCores: 0.3, browserParticipants: 1, browserPssMiB: 400 }),
        recv('r1', 1000, 0.4),
        recv('r2', 1000, 0.4),
        recv('r1', 2000, 0.6),
        recv('r2', 2000, 0.6),
        part({ participant: 'x' }), // no browser figures: not counted
        part({ participant: 'r1', t: 3000, browser: 1, browserCpuCores: -0.5, browserParticipants: 1 }), // a page closed: left out
      ],
      {},
    );
    const c = all.overall.clients;
    expect(c.loadGenerator.negativeCpuSkipped).toBe(1);
    expect(all.notes).toContain('1 browser CPU reading(s) below 0 were left out (a browser process exited during the interval)');
    expect(c.byRole.sender.cpuCoresPerParticipantMean).toBeCloseTo(0.3, 6);
    expect(c.byRole.sender.pssMiBPerParticipantMean).toBe(400);
    expect(c.byRole.receiver.cpuCoresPerParticipantMean).toBeCloseTo(0.25, 6);
    expect(c.byRole.receiver.pssMiBPerParticipantMean).toBe(300);
    expect(c.loadGenerator.samples).toBe(5);
    expect(c.loadGenerator.cpuCoresPerParticipantMean).toBeCloseTo(0.26, 6); // 1.3 ÷ 5
    expect(c.loadGenerator.cpuCoresPerParticipantP95).toBeCloseTo(0.3, 6);
    expect(c.loadGenerator.pssMiBPerParticipantMean).toBe(320); // (400 + 4 × 300) ÷ 5
    expect(c.loadGenerator.browsers).toBe(2);
    expect(c.loadGenerator.browserCpuCoresTotal).toBeCloseTo(0.8, 6); // 0.3 + mean(0.4, 0.6)
  });

  it('is null when the engine recorded no browser figures', () => {
    const c = summarize([part({ participant: 'a' })], {}).overall.clients;
    expect(c.loadGenerator).toEqual({ samples: 0, cpuCoresPerParticipantMean: null, cpuCoresPerParticipantP95: null, pssMiBPerParticipantMean: null, browserCpuCoresTotal: null, browsers: 0, negativeCpuSkipped: 0 });
  });
});

describe('participants joined and failed', () => {
  const records = [
    part({ participant: 'p1', step: 0 }), // a steady record before the ramp-up ones: order must not matter
    event('joined', { participant: 'p1' }),
    event('joined', { participant: 'p2' }),
    event('joined', { participant: 'p3' }),
    event('join-failed', { participant: 'p4', detail: 'no media after 30 s' }),
    event('left', { participant: 'p1', phase: 'ramp-down' }),
    event('left', { participant: 'p2', phase: 'ramp-down' }),
    event('joined', { participant: 'p5', step: 1, bridges: 2 }),
    event('join-failed', { participant: 'p6', step: 1, bridges: 2 }),
    event('join-failed', { participant: 'p7', step: 1, bridges: 2 }),
    event('worker-died', { step: 1, bridges: 2, phase: 'steady' }),
    event('interrupted', { step: 1, bridges: 2, phase: 'steady' }),
  ];
  const s = summarize(records, {});

  it('counts events per step and phase, phases in run order', () => {
    expect(s.steps.map((x) => [x.step, x.bridges])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(s.steps[0]!.phases.map((p) => p.phase)).toEqual(['ramp-up', 'steady', 'ramp-down']);
    expect(s.steps[0]!.phases[0]!.participants).toEqual({ joined: 3, failed: 1, left: 0, workerDied: 0 });
    expect(s.steps[0]!.participants).toEqual({ joined: 3, failed: 1, left: 2, workerDied: 0 });
    expect(s.steps[1]!.participants).toEqual({ joined: 1, failed: 2, left: 0, workerDied: 1 });
    expect(s.overall.participants).toEqual({ joined: 4, failed: 3, left: 2, workerDied: 1 });
  });

  it('keeps the failures with their detail and notes the interruption', () => {
    expect(s.run.failures.map((f) => f.participant)).toEqual(['p4', 'p6', 'p7']);
    expect(s.run.failures[0]!.detail).toBe('no media after 30 s');
    expect(s.run.interrupted).toBe(true);
    expect(s.notes).toContain('3 join attempt(s) failed');
    expect(s.run.records).toEqual({ participant: 1, bridge: 0, event: 11 });
  });
});

describe('placement', () => {
  it('records which bridge each conference landed on, per step', () => {
    const s = summarize(
      [
        part({ participant: 'a', room: 'r1', bridge: 'jvb-0' }),
        part({ participant: 'b', room: 'r1', bridge: 'jvb-0' }),
        part({ participant: 'c', room: 'r2', bridge: 'jvb-1' }),
        part({ participant: 'd', room: 'r2', bridge: 'jvb-0' }), // split (Octo)
        part({ participant: 'e', room: 'r3' }), // bridge unknown
        part({ participant: 'a', room: 'r1', bridge: 'jvb-1', step: 1, bridges: 2 }),
      ],
      {},
    );
    expect(s.placement).toEqual([
      { step: 0, bridges: 1, room: 'r1', bridgeNames: ['jvb-0'], participants: 2 },
      { step: 0, bridges: 1, room: 'r2', bridgeNames: ['jvb-0', 'jvb-1'], participants: 2 },
      { step: 0, bridges: 1, room: 'r3', bridgeNames: [], participants: 1 },
      { step: 1, bridges: 2, room: 'r1', bridgeNames: ['jvb-1'], participants: 1 },
    ]);
  });
});

describe('scenario', () => {
  it('reads what it knows and tolerates the rest', () => {
    const s = scenarioInfo({ participants: 200, rooms: 20, duration: '5m', replicas: [1, 2, 4], url: 'https://meet.example.test', runner: 'local', nested: { x: 1 }, lastN: 5 });
    expect(s).toMatchObject({ participants: 200, rooms: 20, durationS: 300, replicas: [1, 2, 4], url: 'https://meet.example.test', runner: 'local' });
    expect(s.other).toEqual({ lastN: 5 });
    expect(scenarioInfo(null)).toEqual({ other: {} } as never);
    expect(scenarioInfo({ duration: 'soon' }).durationS).toBeUndefined();
    expect(scenarioInfo({ durationMs: 20_000 }).durationS).toBe(20);
  });

  it('reads the engine\'s scenario.json shape (ms durations, ramp rate, camera, machine)', () => {
    const s = scenarioInfo({
      target: 'loopback',
      durationMs: 20_000,
      rampPerSecond: 2,
      warmupMs: 3000,
      video: { width: 640, height: 360, fps: 15 },
      machine: { cpus: 2, platform: 'linux', node: 'v20.20.2' },
      startedAt: '2026-01-15T10:00:00.000Z',
      plan: { participants: [] },
    });
    expect(s).toMatchObject({ durationS: 20, ramp: '2/s', video: '640x360@15 fps', machine: '2 CPUs, linux, node v20.20.2', startedAt: '2026-01-15T10:00:00.000Z' });
    expect(s.other).toEqual({ warmupMs: 3000 });
  });

  it('empty records give an empty summary that says so', () => {
    const s = summarize([], {});
    expect(s.steps).toEqual([]);
    expect(s.run.start).toBeNull();
    expect(s.overall.clients.audio.pooledLossPct).toBeNull();
    expect(s.overall.clients.audio.packetsReceived).toBeNull();
    expect(s.notes[0]).toBe('no records: nothing was measured');
  });
});
