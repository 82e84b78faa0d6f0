import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCalibration, recommend, runCalibration, saveCalibration, summariseStep, type Calibration, type CalibrationStep } from '../../src/bench/calibrate.js';
import type { ParticipantSample, SampleRecord } from '../../src/bench/samples.js';
import { chromiumBin } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-cal-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const media = (received: number, lost: number) => ({ packetsReceived: received, packetsLost: lost, lossPct: 0, nackCount: 0 });
function sample(o: Partial<ParticipantSample>): ParticipantSample {
  return { t: 0, step: 0, bridges: 0, phase: 'steady', kind: 'participant', participant: 'bench-1', room: 'r', role: 'sender', intervalMs: 1000, audio: media(0, 0), video: media(0, 0), bitrateInKbps: 0, bitrateOutKbps: 0, framesDecoded: 0, ...o };
}
const step = (o: Partial<CalibrationStep>): CalibrationStep => ({
  liteReceivers: 1, senderCores: 0.2, receiverCores: 0.1, coresPerLiteReceiver: 0.1, pssMiBPerLiteReceiver: 100, senderPssMiB: 300, senderFps: 15, audioLossPct: 0, machineBusy: 0.3, joinFailures: 0, ok: true, reasons: [], ...o,
});

describe('calibration math', () => {
  it('summarises a step: browser cores per page, sender fps, loss; degraded when fps drops', () => {
    const records: SampleRecord[] = [
      sample({ role: 'sender', browserCpuCores: 0.3, framesSentPerSecond: 15, browserPssMiB: 300 }),
      sample({ role: 'sender', browserCpuCores: 0.5, framesSentPerSecond: 7, browserPssMiB: 300 }),
      sample({ participant: 'bench-2', role: 'receiver', browserCpuCores: 0.2, browserPssMiB: 400, audio: media(97, 3) }),
      sample({ participant: 'bench-3', role: 'receiver', browserCpuCores: 0.2, browserPssMiB: 400, audio: media(100, 0) }),
      sample({ participant: 'bench-2', role: 'receiver', phase: 'ramp-up', browserCpuCores: 9 }),
    ];
    const s = summariseStep(records, 2, { width: 640, height: 360, fps: 15 }, 0.5);
    expect(s).toMatchObject({ senderCores: 0.4, receiverCores: 0.2, coresPerLiteReceiver: 0.1, pssMiBPerLiteReceiver: 200, senderFps: 11, audioLossPct: 1.5, ok: false });
    expect(s.reasons).toEqual(['sender at 11.0 fps of 15', 'audio loss 1.50 %']);
  });
  it('recommends from 75 % of the cores', () => {
    const r = recommend([step({ liteReceivers: 1, senderCores: 0.25 }), step({ liteReceivers: 4, coresPerLiteReceiver: 0.05 }), step({ liteReceivers: 8, ok: false, coresPerLiteReceiver: 0.2 })], 2);
    expect(r.coresPerSender).toBe(0.25);
    expect(r.coresPerLiteReceiver).toBe(0.05);
    expect(r.maxLiteReceiversTested).toBe(4);
    expect(r.recommended).toEqual({ senders: 6, liteReceivers: 30, participantsAt10PctSenders: 21 });
  });
  it('stores and loads the calibration', () => {
    const file = join(work, 'cache', 'calibration.json');
    const c = { version: 1, measuredAt: 'x', cpus: 2, coresPerSender: 0.3, coresPerLiteReceiver: 0.05 } as Calibration;
    saveCalibration(c, file);
    expect(loadCalibration(file)).toEqual(c);
    expect(loadCalibration(join(work, 'none.json'))).toBeUndefined();
  });
});

describe('calibrate for real', () => {
  it('two short steps on the loopback conference give costs and a recommendation', async () => {
    const c = await runCalibration({ browser: chromiumBin(), outDir: join(work, 'cal'), steps: [1, 2], steadyMs: 4_000, signal: new AbortController().signal });
    expect(c.steps.map((s) => s.liteReceivers)).toEqual([1, 2].slice(0, c.steps.length));
    const first = c.steps[0]!;
    expect(first.senderCores).toBeGreaterThan(0.01);
    expect(first.coresPerLiteReceiver).toBeGreaterThan(0.001);
    expect(first.senderFps).toBeGreaterThan(5);
    expect(first.audioLossPct).toBeLessThan(1);
    expect(c.recommended.senders).toBeGreaterThan(0);
    expect(c.durationS).toBeLessThan(60);
  });
});
