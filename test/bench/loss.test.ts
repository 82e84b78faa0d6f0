/**
 * Loss truth: real packet loss in a network namespace this test creates (veth pair with
 * 10.99.0.1/24 and 10.99.0.2/24, both ends inside; nftables drops 5 % of UDP on the INPUT hook).
 * The loopback conference and Chromium run inside the namespace; the audio receive loss the
 * probe reports must match what was injected. The conference forwards like a bridge, so a packet
 * crosses the input hook twice (sender → forwarding unit → receiver) and audio, which nothing
 * repairs, arrives with 1 − 0.95² ≈ 9.75 % loss. Needs root (the machine and CI run as root).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cluster/exec.js';
import type { ParticipantSample, SampleRecord } from '../../src/bench/samples.js';
import { chromiumBin, repoRoot } from '../support/tools.js';
import { vethNamespace } from '../support/veth-netns.js';

const ns = `jk8s-loss-${process.pid}`;
// inside node_modules so the bundle's bare imports (puppeteer-core, ws, zod) resolve
const driverDir = join(repoRoot, 'node_modules', '.cache', 'jitsi-k8s-tests');
const driver = join(driverDir, `netns-driver-${process.pid}.mjs`);
const work = mkdtempSync(join(tmpdir(), 'jk8s-loss-'));
const ip = (...args: string[]) => run('ip', args, { timeoutMs: 15_000 });

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the loss test needs root (ip netns, nftables); run the tests as root');
  await vethNamespace(ns, ['jk8sa', 'jk8sb'], '10.99.0');
  mkdirSync(driverDir, { recursive: true });
  await build({ entryPoints: [join(repoRoot, 'test/bench/netns-driver.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: driver, logLevel: 'error' });
});

afterAll(async () => {
  await ip('netns', 'del', ns).catch(() => {});
  rmSync(driver, { force: true });
  rmSync(work, { recursive: true, force: true });
});

/** 1 sender (audio + video) → 3 lite receivers in the namespace (~3,000 audio packets); returns the receivers' steady samples. */
async function measure(name: string): Promise<ParticipantSample[]> {
  const outDir = join(work, name);
  const scenario = {
    target: 'loopback',
    listen: '10.99.0.1',
    browser: chromiumBin(),
    participants: 4,
    senders: 1,
    durationMs: '20s',
    rampPerSecond: '5/s',
    warmupMs: '1s',
    cooldownMs: '0s',
    outDir,
  };
  const r = await run('ip', ['netns', 'exec', ns, process.execPath, driver, JSON.stringify(scenario)], { timeoutMs: 120_000 });
  expect(JSON.parse(r.stdout)).toMatchObject({ joined: 4, failed: 0, interrupted: false });
  const records = readFileSync(join(outDir, 'samples.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SampleRecord);
  return records.filter((x): x is ParticipantSample => x.kind === 'participant' && x.phase === 'steady' && x.role === 'receiver');
}

const audioLossPct = (rs: ParticipantSample[]) => {
  const lost = rs.reduce((n, r) => n + r.audio.packetsLost, 0);
  const got = rs.reduce((n, r) => n + r.audio.packetsReceived, 0);
  return { pct: (lost / (lost + got)) * 100, packets: lost + got };
};

describe('packet loss in a network namespace', () => {
  it('no loss injected: audio receive loss < 0.5 %', async () => {
    const rs = await measure('control');
    const loss = audioLossPct(rs);
    expect(loss.packets).toBeGreaterThan(1_800);
    expect(loss.pct).toBeLessThan(0.5);
    console.log(`no loss injected: audio loss ${loss.pct.toFixed(2)} % over ${loss.packets} packets; video NACKs ${rs.reduce((n, r) => n + r.video.nackCount, 0)}`);
    expect(rs.every((r) => r.transport?.protocol === 'udp')).toBe(true);
  }, 150_000);

  it('5 % of UDP dropped on input, on both hops: audio receive loss 9.75 ± 2.5 %, video repaired by NACKs', async () => {
    await run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
      input: 'table inet jk8s {\n chain input {\n  type filter hook input priority 0;\n  meta l4proto udp numgen random mod 20 0 drop\n }\n}\n',
      timeoutMs: 15_000,
    });
    const rs = await measure('loss5');
    const loss = audioLossPct(rs);
    expect(loss.packets).toBeGreaterThan(1_800);
    // the upstream hop's losses are shared by the 3 receivers: a wider band than 3 independent streams
    expect(loss.pct).toBeGreaterThan(7.25);
    expect(loss.pct).toBeLessThan(12.25);
    // per-sample figures agree with the totals
    const perSample = rs.filter((r) => r.audio.packetsReceived > 0).map((r) => r.audio.lossPct);
    expect(perSample.reduce((a, b) => a + b, 0) / perSample.length).toBeGreaterThan(4);
    expect(rs.reduce((n, r) => n + r.video.nackCount, 0)).toBeGreaterThan(0);
    console.log(`injected 5 % per hop: audio loss ${loss.pct.toFixed(2)} % over ${loss.packets} packets; video residual ${(rs.reduce((n, r) => n + r.video.packetsLost, 0) / rs.reduce((n, r) => n + r.video.packetsLost + r.video.packetsReceived, 0) * 100).toFixed(2)} %, NACKs ${rs.reduce((n, r) => n + r.video.nackCount, 0)}`);
  }, 150_000);
});
