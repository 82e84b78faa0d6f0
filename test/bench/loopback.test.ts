/** The engine end to end: real Chromium, real WebRTC between local pages, the loopback conference on 127.0.0.1. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../../src/bench/runner.js';
import { parseScenario } from '../../src/bench/scenario.js';
import type { EventRecord, ParticipantSample, SampleRecord } from '../../src/bench/samples.js';
import { chromiumBin } from '../support/tools.js';
import { processTree } from '../../src/bench/procstats.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'jk8s-bench-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const readRecords = (file: string): SampleRecord[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SampleRecord);

/** Running (a zombie waiting for its reaper has ended). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Chromium's helpers exit a moment after the browser: allow them a few seconds. */
async function stillAlive(pids: number[], withinMs = 5_000): Promise<number[]> {
  const until = Date.now() + withinMs;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  return pids.filter(alive);
}

describe('loopback conference', () => {
  it('1 sender + 2 receivers (one lite): samples stream, packets flow, the lite receiver decodes nothing', async () => {
    const outDir = tempDir();
    const s = parseScenario({
      target: 'loopback',
      browser: chromiumBin(),
      participants: 3,
      senders: 1,
      liteReceivers: 1,
      // the engine's mechanics, not realism: small pages keep it light on a shared machine
      viewport: { width: 320, height: 240 },
      durationMs: '6s',
      rampPerSecond: '5/s',
      warmupMs: '1s',
      cooldownMs: '1s',
      outDir,
    });
    const pids: (number | undefined)[] = [];
    const outcome = await runBench(s, { signal: new AbortController().signal, onBrowser: (pid) => pids.push(pid) });
    expect(outcome.interrupted).toBe(false);
    expect(outcome).toMatchObject({ joined: 3, failed: 0, steps: 1 });
    const records = readRecords(outcome.samplesFile);
    expect(records.length).toBe(outcome.records);
    const events = records.filter((r): r is EventRecord => r.kind === 'event');
    expect(events.filter((e) => e.event === 'joined').map((e) => e.participant).sort()).toEqual(['bench-1', 'bench-2', 'bench-3']);
    expect(events.filter((e) => e.event === 'left')).toHaveLength(3);
    const steady = records.filter((r): r is ParticipantSample => r.kind === 'participant' && r.phase === 'steady');
    const of = (name: string) => steady.filter((r) => r.participant === name);
    // bench-1 sends, bench-2 is the lite receiver, bench-3 decodes
    expect(of('bench-1').length).toBeGreaterThanOrEqual(4);
    expect(of('bench-1').every((r) => r.role === 'sender' && r.packetsSent! > 0 && r.bitrateOutKbps > 50)).toBe(true);
    for (const name of ['bench-2', 'bench-3']) {
      const rs = of(name);
      expect(rs.length).toBeGreaterThanOrEqual(4);
      // a 240-pixel-high page asks for the bottom layer (90p of a 360p camera): about one packet per frame
      expect(rs.every((r) => r.audio.packetsReceived > 20 && r.video.packetsReceived > 5)).toBe(true);
      expect(rs.every((r) => r.transport?.protocol === 'udp' && r.transport.relayed === false)).toBe(true);
      expect(rs.every((r) => r.audio.lossPct < 1)).toBe(true);
    }
    expect(of('bench-2').reduce((n, r) => n + r.framesDecoded, 0)).toBe(0);
    expect(of('bench-3').reduce((n, r) => n + r.framesDecoded, 0)).toBeGreaterThan(30);
    // the browser's CPU is attributed to its pages
    expect(steady.some((r) => (r.browserCpuCores ?? 0) > 0 && r.browserParticipants! >= 1)).toBe(true);
    // phases in order, timestamps not going back
    const phases = [...new Set(records.map((r) => r.phase))];
    expect(phases).toEqual(['ramp-up', 'steady', 'ramp-down', 'cooldown'].filter((p) => phases.includes(p as never)));
    expect(phases).toContain('steady');
    const scenario = JSON.parse(readFileSync(outcome.scenarioFile, 'utf8'));
    expect(scenario).toMatchObject({ target: 'loopback', participants: 3, ramp: '5/s', runner: 'local' });
    expect(pids.length).toBe(2);
    expect(await stillAlive(pids as number[])).toEqual([]);
  });

  it('participants without media count as failed joins, with the reason, and the room is warned about', async () => {
    const s = parseScenario({ target: 'loopback', browser: chromiumBin(), participants: 2, senders: 0, durationMs: '1s', joinTimeoutMs: '3s', rampPerSecond: '10/s', warmupMs: '0s', cooldownMs: '0s', outDir: tempDir() });
    const warnings: string[] = [];
    const outcome = await runBench(s, { signal: new AbortController().signal, log: { info: () => {}, debug: () => {}, warn: (m) => warnings.push(m) } });
    expect(outcome).toMatchObject({ joined: 0, failed: 2, interrupted: false });
    expect(warnings).toEqual(['no one sends in jk8s-bench-1: their participants will have no media and count as failed joins']);
    const failures = readRecords(outcome.samplesFile).filter((r): r is EventRecord => r.kind === 'event' && r.event === 'join-failed');
    expect(failures.map((f) => f.participant).sort()).toEqual(['bench-1', 'bench-2']);
    expect(failures[0]!.detail).toMatch(/^no media after 3000ms \(\d+ connection\(s\); page joined, 1 peer\(s\)\)$/);
  });

  it('Ctrl-C mid-run: stops, keeps the samples, closes every browser', async () => {
    const outDir = tempDir();
    const s = parseScenario({ target: 'loopback', browser: chromiumBin(), participants: 2, senders: 1, durationMs: '5m', rampPerSecond: '10/s', warmupMs: '0s', outDir });
    const ctl = new AbortController();
    const pids: (number | undefined)[] = [];
    let steadySamples = 0;
    let tree: number[] = [];
    const started = Date.now();
    const outcome = await runBench(s, {
      signal: ctl.signal,
      onBrowser: (pid) => pids.push(pid),
      onRecord: (r) => {
        if (r.kind === 'participant' && r.phase === 'steady' && ++steadySamples === 4) {
          tree = pids.flatMap((pid) => processTree(pid!));
          ctl.abort();
        }
      },
    });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(outcome.interrupted).toBe(true);
    const records = readRecords(outcome.samplesFile);
    expect(records.filter((r) => r.kind === 'participant').length).toBeGreaterThanOrEqual(4);
    expect(records.at(-1)).toMatchObject({ kind: 'event', event: 'interrupted' });
    expect(pids.length).toBe(2);
    // every Chromium process of the run (browser, renderers, GPU, utility) is gone
    expect(tree.length).toBeGreaterThan(4);
    expect(await stillAlive(tree)).toEqual([]);
  });
});
