/** The capacity estimate: per-page costs, room and scenario load, this machine, and pods of whole rooms. */
import { describe, expect, it } from 'vitest';
import type { Calibration } from '../../src/bench/calibrate.js';
import { BUILT_IN_COSTS, checkCapacity, k8sCommand, machineCapacity, participantCosts, podCost, podPlan, roomLoad, scenarioLoad, thisMachine } from '../../src/bench/capacity.js';
import { parseScenario } from '../../src/bench/scenario.js';

const jitsi = (o: object) => parseScenario({ target: 'jitsi', url: 'https://meet.example.com', ...o });

describe('capacity estimate', () => {
  it('a room of 10 with 2 senders behind a bridge: senders send one stream and decode each other, lite receivers take two streams', () => {
    const room = roomLoad({ target: 'jitsi', senders: 2, liteReceivers: undefined }, 10, BUILT_IN_COSTS);
    // 2 × (0.25 + 0.06 + 0.09) + 8 × 2 × 0.06
    expect(room.cores).toBeCloseTo(1.76, 5);
    expect(room.memoryMiB).toBe(2 * 350 + 8 * 115);
  });

  it('the loopback conference forwards like a bridge: the same room costs the same', () => {
    const loopback = roomLoad({ target: 'loopback', senders: 2, liteReceivers: undefined }, 10, BUILT_IN_COSTS);
    expect(loopback.cores).toBeCloseTo(roomLoad({ target: 'jitsi', senders: 2, liteReceivers: undefined }, 10, BUILT_IN_COSTS).cores, 5);
  });

  it('receivers that decode cost a decode per stream more than lite ones', () => {
    const lite = roomLoad({ target: 'jitsi', senders: 2, liteReceivers: undefined }, 10, BUILT_IN_COSTS);
    const decoding = roomLoad({ target: 'jitsi', senders: 2, liteReceivers: 0 }, 10, BUILT_IN_COSTS);
    expect(decoding.cores - lite.cores).toBeCloseTo(8 * 2 * 0.09, 5);
  });

  it('200 participants are 20 such rooms; uneven rooms add up to every participant', () => {
    expect(scenarioLoad(jitsi({ participants: 200 }), BUILT_IN_COSTS).cores).toBeCloseTo(20 * 1.76, 5);
    const uneven = scenarioLoad(jitsi({ participants: 25 }), BUILT_IN_COSTS);
    expect(uneven.biggestRoom.participants).toBe(9);
    expect(uneven.memoryMiB).toBe(6 * 350 + 19 * 115);
  });

  it('a calibration replaces the sender and lite-receiver figures, the rest stays built in', () => {
    const c = { version: 1, measuredAt: '2026-11-27T09:00:00Z', cpus: 2, coresPerSender: 0.21, coresPerLiteReceiver: 0.045, memoryMiBPerSender: 347, memoryMiBPerLiteReceiver: 31 } as Calibration;
    expect(participantCosts(c)).toEqual({ ...BUILT_IN_COSTS, coresPerSender: 0.21, coresPerLiteStream: 0.045, memoryMiBPerSender: 347, memoryMiBPerReceiver: 31, source: 'calibration of 2026-11-27' });
    expect(participantCosts(undefined)).toBe(BUILT_IN_COSTS);
    expect(participantCosts({ ...c, coresPerSender: null })).toBe(BUILT_IN_COSTS);
  });

  it('fits within 75 % of the cores and of the available memory, and says both figures', () => {
    const small = checkCapacity(parseScenario({ participants: 4 }), BUILT_IN_COSTS, machineCapacity(2, 16_000));
    expect(small.fits).toBe(true);
    const big = checkCapacity(parseScenario({ participants: 200 }), BUILT_IN_COSTS, machineCapacity(2, 16_000));
    expect(big.fits).toBe(false);
    expect(big.estimate).toContain('200 participants need about 35 cores and 31.6 GiB to drive');
    expect(big.estimate).toContain('this machine has 2 cores (1.5 usable) and 15.6 GiB available (11.7 GiB usable)');
    // plenty of cores, too little memory
    expect(checkCapacity(jitsi({ participants: 200 }), BUILT_IN_COSTS, machineCapacity(64, 8_000)).fits).toBe(false);
    expect(checkCapacity(jitsi({ participants: 200 }), BUILT_IN_COSTS, machineCapacity(64, 64_000)).fits).toBe(true);
  });

  it('reads this machine: its cores and available memory', () => {
    const m = thisMachine();
    expect(m.cpus).toBeGreaterThan(0);
    expect(m.usableCores).toBe(m.cpus * 0.75);
    expect(m.availableMiB).toBeGreaterThan(0);
  });
});

describe('load-generator pods', () => {
  it('200 participants: whole rooms, as many as 4 cores of participants hold → 10 pods × 20', () => {
    expect(podPlan(jitsi({ participants: 200 }), BUILT_IN_COSTS)).toEqual({ perPod: 20, roomsPerPod: 2, pods: 10 });
  });
  it('one big meeting stays one room in one pod, however costly', () => {
    expect(podPlan(jitsi({ participants: 200, rooms: 1 }), BUILT_IN_COSTS)).toEqual({ perPod: 200, roomsPerPod: 1, pods: 1 });
  });
  it('cheap rooms pack more per pod, never more rooms than there are', () => {
    // a room of 4 with 1 sender costs 0.43 core: 9 would fit, there are 6
    expect(podPlan(jitsi({ participants: 24, roomSize: 4, senders: 1 }), BUILT_IN_COSTS)).toEqual({ perPod: 24, roomsPerPod: 6, pods: 1 });
    expect(podPlan(jitsi({ participants: 40, roomSize: 4, senders: 1 }), BUILT_IN_COSTS)).toEqual({ perPod: 36, roomsPerPod: 9, pods: 2 });
  });
  it('a page costs the pod what it costs in its room: sender and receiver figures for the Job requests', () => {
    expect(podCost(jitsi({ participants: 200 }), BUILT_IN_COSTS)).toEqual({ coresPerSender: 0.4, coresPerReceiver: 0.12, memoryMiBPerSender: 350, memoryMiBPerReceiver: 115 });
  });
  it('the --runner k8s command repeats only what differs from the defaults', () => {
    expect(k8sCommand(parseScenario({ participants: 200 }))).toBe('jitsi-k8s bench --url https://<your Jitsi site> --participants 200 --runner k8s');
    expect(k8sCommand(jitsi({ participants: 200, rooms: 1, senders: 4 }))).toBe('jitsi-k8s bench --url https://meet.example.com --participants 200 --rooms 1 --senders 4 --runner k8s');
    expect(k8sCommand(jitsi({ participants: 60, roomSize: 6 }))).toBe('jitsi-k8s bench --url https://meet.example.com --participants 60 --room-size 6 --runner k8s');
    // the run's length carries over; the default is left out
    expect(k8sCommand(parseScenario({ participants: 200, durationMs: '5s' }))).toBe('jitsi-k8s bench --url https://<your Jitsi site> --participants 200 --duration 5s --runner k8s');
    expect(k8sCommand(parseScenario({ participants: 200, durationMs: '1m30s' }))).toContain(' --duration 1m30s --runner k8s');
  });
});
