/**
 * `bench --find-capacity`: the climb's arithmetic, then real climbs of the built bin against the
 * loopback conference (real Chromium, real WebRTC) whose LOOK-ALIKE bridges report a stress that rises
 * with their participants at the rate the test sets: the knee they imply is found within one step
 * on one and on two bridges. A climb whose browsers are confined to a CPU cgroup far too small ends
 * with the load generator named as the limit.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuStarved } from '../../src/bench/exhaustion.js';
import { kneeOf, nextRooms, type ClimbStep, type RoomShape } from '../../src/bench/find-capacity.js';
import { lookalikeBridges } from '../../src/bench/loopback/lookalike-bridges.js';
import { cliAsync } from '../support/cli.js';
import { chromiumBin } from '../support/tools.js';
import { procsOf, removeGroup } from '../support/cgroups.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-capacity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the climb', () => {
  it('doubles while loads hold, then halves the gap down to one room', () => {
    const knee = 13;
    const tried: number[] = [];
    let held = 0;
    let broken: number | undefined;
    for (let r = nextRooms(held, broken, 100); r !== undefined; r = nextRooms(held, broken, 100)) {
      tried.push(r);
      if (r <= knee) held = r;
      else broken = r;
    }
    expect(tried).toEqual([1, 2, 4, 8, 16, 12, 14, 13]);
    expect([held, broken]).toEqual([13, 14]);
  });

  it('stops at the ceiling when nothing broke, and starts where it is told', () => {
    expect(nextRooms(0, undefined, 5)).toBe(1);
    expect(nextRooms(4, undefined, 5)).toBe(5);
    expect(nextRooms(5, undefined, 5)).toBeUndefined();
    expect(nextRooms(0, undefined, 50, 6)).toBe(6);
    expect(nextRooms(0, 6, 50, 6)).toBe(3);
  });

  it('reports the largest load that held, per bridge and per bridge core', () => {
    const shape: RoomShape = { roomSize: 5, senders: 5, audioSenders: 5, liteReceivers: null, video: '640x360@15' };
    const step = (rooms: number, held: boolean): ClimbStep => ({ step: rooms, bridges: 2, rooms, participants: rooms * 5, held, broke: held ? [] : ['bridge.stress.max<=0.8: measured 0.9'], stressMax: null, lossPct: null, notJoined: 0, bridgeCpuCores: null, generatorCpuCores: null });
    expect(kneeOf([step(8, true), step(16, false), step(12, true), step(14, false), step(13, false)], 2, shape, 4)).toEqual({
      bridges: 2,
      participants: 60,
      conferences: 12,
      perBridge: 30,
      perBridgeCore: 7.5,
      brokeAt: { participants: 65, broke: ['bridge.stress.max<=0.8: measured 0.9'] },
    });
  });

  it('names a CPU cgroup that spent its periods at its quota, and only one with a quota', () => {
    const before = [{ path: '/g', quotaCores: 0.1, periods: 100, throttled: 10 }];
    expect(cpuStarved(before, [{ path: '/g', quotaCores: 0.1, periods: 200, throttled: 80 }])).toBe('its CPU cgroup /g (a quota of 0.1 cores) was held back in 70 % of 100 scheduler periods');
    expect(cpuStarved(before, [{ path: '/g', quotaCores: 0.1, periods: 200, throttled: 20 }])).toBeUndefined();
    expect(cpuStarved([{ path: '/g', periods: 0, throttled: 0 }], [{ path: '/g', periods: 200, throttled: 190 }])).toBeUndefined();
  });
});

describe('the look-alike bridges', () => {
  it('place each new room on the least-loaded bridge and report stress at the set rate', async () => {
    let rooms: Record<string, string[]> = { 'r-1': ['a', 'b'], 'r-2': ['c', 'd'], 'r-3': ['e'] };
    const bridges = lookalikeBridges({ rooms: () => rooms }, { count: 2, stressPerParticipant: 0.1 });
    const signal = new AbortController().signal;
    const first = await bridges.sampler!.sample({ step: 0, bridges: 2, phase: 'steady' }, signal);
    expect(first.map((b) => [b.bridge, b.participants, b.conferences, b.stress])).toEqual([
      ['lookalike-bridge-1', 3, 2, 0.3],
      ['lookalike-bridge-2', 2, 1, 0.2],
    ]);
    await bridges.scaler!.scaleTo(1, signal);
    rooms = { 'r-1': ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] };
    const one = await bridges.sampler!.sample({ step: 1, bridges: 1, phase: 'steady' }, signal);
    // 8 × 0.1 reads 0.8, not 0.8000000000000002: the threshold "stress ≤ 0.8" holds at exactly 8
    expect(one.map((b) => [b.bridge, b.stress])).toEqual([['lookalike-bridge-1', 0.8]]);
    expect(await bridges.scaler!.current(signal)).toBe(1);
  });
});

interface Summary {
  capacity: { outcome: string; knees: { bridges: number; participants: number | null; perBridge: number | null; brokeAt: { participants: number } | null }[]; steps: { held: boolean }[] };
}

/** A climb of the built bin on the loopback conference: rooms of 2 (one small video sender, one lite receiver), short steps. */
const climb = (out: string, extra: string[], timeoutMs: number, env: Record<string, string> = {}) =>
  cliAsync(
    ['bench', '--find-capacity', '--target', 'loopback', '--room-size', '2', '--senders', '1', '--video', '320x180@10', '--duration', '4s', '--warmup', '1s', '--cooldown', '1s', '--ramp', '8/s', '--join-timeout', '20s', '--out', out, ...extra],
    { cwd: work, env: { XDG_CACHE_HOME: join(work, 'cache'), ...env }, timeoutMs },
  );

describe('a real climb on the loopback conference', () => {
  it('finds the knee the look-alike bridges imply within one step, on one and on two bridges', async () => {
    // 0.4 per participant: 2 participants read 0.8 and hold, 3 break, so one room of 2 per bridge
    const rate = 0.4;
    const perBridge = Math.floor(0.8 / rate + 1e-9);
    const out = join(work, 'climb');
    const r = await climb(out, ['--replicas', '1,2', '--lookalike-stress', String(rate)], 240_000);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.capacity.outcome).toBe('knee');
    for (const bridges of [1, 2]) {
      const k = summary.capacity.knees.find((x) => x.bridges === bridges)!;
      const expected = bridges * Math.floor(perBridge / 2) * 2;
      // within one step (one room of 2) of the knee the rate implies, and the next room broke it
      expect(Math.abs(k.participants! - expected), JSON.stringify(k)).toBeLessThanOrEqual(2);
      expect(k.brokeAt!.participants - k.participants!).toBe(2);
      expect(r.stderr).toContain(`${bridges} bridge${bridges === 1 ? '' : 's'}: ${k.participants} participants held`);
    }
    // the climb went up and came back: some steps held, some broke
    expect(summary.capacity.steps.some((s) => s.held) && summary.capacity.steps.some((s) => !s.held)).toBe(true);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toContain('data-chart="capacity-stress"');
    expect(report).toMatch(/knee: 2 participants, 1 bridge/);
    expect(report).toMatch(/knee: 4 participants, 2 bridges/);
    const profile = JSON.parse(readFileSync(join(out, 'capacity.json'), 'utf8')) as { participantsPerBridge: number; jvbImage: string; shape: { roomSize: number } };
    expect(profile.participantsPerBridge).toBe(2);
    expect(profile.jvbImage).toMatch(/look-alike/);
    expect(profile.shape.roomSize).toBe(2);
    expect(r.stdout).toContain(join(out, 'capacity.json'));
  }, 260_000);
});

/** The cpu controller's root where root may make a child cgroup (v1 cpu hierarchy, or v2 with cpu enabled). */
function cpuRoot(): { root: string; limit: (group: string, cores: number) => void } {
  if (existsSync('/sys/fs/cgroup/cpu/cgroup.procs')) {
    return {
      root: '/sys/fs/cgroup/cpu',
      limit: (g, cores) => {
        writeFileSync(join(g, 'cpu.cfs_period_us'), '100000');
        writeFileSync(join(g, 'cpu.cfs_quota_us'), String(Math.round(cores * 100_000)));
      },
    };
  }
  if (existsSync('/sys/fs/cgroup/cgroup.subtree_control') && readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').includes('cpu')) {
    return { root: '/sys/fs/cgroup', limit: (g, cores) => writeFileSync(join(g, 'cpu.max'), `${Math.round(cores * 100_000)} 100000`) };
  }
  throw new Error('no cpu cgroup controller to confine the browsers in (needs root and cgroup v1 cpu or v2 with cpu enabled)');
}



describe('a climb whose load generator is too small', () => {
  it('ends with "the load generator, not the bridges, is the limit" and exit 1', async () => {
    const { root, limit } = cpuRoot();
    const group = join(root, `jk8s-capacity-cpu-${process.pid}`);
    mkdirSync(group);
    try {
      // a twentieth of a core for every browser together: Chromium alone needs more to start a page
      limit(group, 0.05);
      const wrapper = join(work, 'chromium-in-cpu-cgroup.sh');
      writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${group}/cgroup.procs\nexec ${chromiumBin()} "$@"\n`);
      chmodSync(wrapper, 0o755);
      const out = join(work, 'starved');
      const r = await climb(out, ['--browser', wrapper], 240_000);
      expect(r.stderr).toContain('error: the load generator, not the bridges, is the limit');
      expect(r.stderr).toMatch(/CPU cgroup .*jk8s-capacity-cpu-\d+ \(a quota of 0\.05 cores\) was held back in \d+ % of/);
      expect(r.code).toBe(1);
      expect(existsSync(join(out, 'capacity.json'))).toBe(false);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
      expect(summary.capacity.outcome).toBe('generator-limit');
      // it stopped at once: one step, not a climb into a machine that cannot drive it
      expect(summary.capacity.steps).toHaveLength(1);
      for (let until = Date.now() + 5_000; procsOf(group).length && Date.now() < until; ) await new Promise((res) => setTimeout(res, 200));
      expect(procsOf(group)).toEqual([]);
    } finally {
      await removeGroup(group);
    }
  }, 260_000);
});

afterAll(() => expect(readdirSync(cpuRoot().root).filter((d) => d.startsWith(`jk8s-capacity-cpu-${process.pid}`))).toEqual([]));
