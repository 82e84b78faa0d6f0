/**
 * Bench runs against the loopback conference send simulcast and each receiver asks for the layer
 * its page size gets, as a Jitsi client does: real Chromium, the werift forwarding unit on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../../src/bench/runner.js';
import type { ParticipantSample } from '../../src/bench/samples.js';
import { parseScenario } from '../../src/bench/scenario.js';
import { chromiumBin } from '../support/tools.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The received video height in the receiver's last steady samples, with every participant's page this size. */
async function receivedHeights(viewport?: { width: number; height: number }): Promise<number[]> {
  const outDir = mkdtempSync(join(tmpdir(), 'jk8s-layers-'));
  dirs.push(outDir);
  const records: ParticipantSample[] = [];
  // a decoding receiver: lite receivers decode nothing, so they have no frame height to show
  const s = parseScenario({ target: 'loopback', browser: chromiumBin(), participants: 2, senders: 1, liteReceivers: 0, video: { width: 1280, height: 720, fps: 15 }, ...(viewport ? { viewport } : {}), durationMs: '10s', joinTimeoutMs: '60s', warmupMs: '1s', cooldownMs: '0s', outDir });
  const outcome = await runBench(s, { signal: new AbortController().signal, onRecord: (r) => void (r.kind === 'participant' && r.phase === 'steady' && r.role === 'receiver' && records.push(r)) });
  expect(outcome).toMatchObject({ joined: 2, failed: 0 });
  // the last samples: the sender's layers have ramped up and the unit has switched at a keyframe
  return records.slice(-4).map((r) => r.videoHeightIn ?? 0);
}

describe('receiver-driven simulcast layers in bench runs', () => {
  it('a 1280×720 page receives the top layer (720p), a 320×240 page the bottom one (180p)', async () => {
    const large = await receivedHeights();
    const small = await receivedHeights({ width: 320, height: 240 });
    console.log(`received video height: 1280x720 page ${large.join(' ')}, 320x240 page ${small.join(' ')}`);
    expect(large.length).toBeGreaterThan(0);
    expect(Math.max(...large)).toBeGreaterThan(360);
    // a sample with 0 had no frame in its window (a busy machine): the layer is judged on the frames that came
    const smallFrames = small.filter((h) => h > 0);
    expect(smallFrames.length).toBeGreaterThan(0);
    expect(smallFrames.every((h) => h <= 180)).toBe(true);
  }, 180_000);
});
