import { describe, expect, it } from 'vitest';
import { assignParticipants, describeShape, formatDuration, parseDuration, parseRamp, parseScenario, roomSizes, scenarioSchema } from '../../src/bench/scenario.js';
import { mediaFlowing, statsDelta, type RawSnapshot, type RawStream } from '../../src/bench/probe.js';
import { botOverrides, encodeOverrides, jitsiRoomUrl } from '../../src/bench/jitsi.js';
import { cpuBetween, parseProcStat, parsePssKiB, processTreeUsage } from '../../src/bench/procstats.js';
import { browserFlags } from '../../src/bench/browsers.js';

describe('durations and ramps', () => {
  it.each([
    ['20s', 20_000],
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['90', 90_000],
    ['1.5s', 1_500],
    ['1h', 3_600_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each([5_000, 90_000, 500, 3_723_004, 60_000, 1_500])('formatDuration(%d) reads back as the same duration', (ms) => expect(parseDuration(formatDuration(ms))).toBe(ms));
  it('formatDuration writes what a user would type', () => {
    expect([5_000, 90_000, 500, 3_600_000, 0].map(formatDuration)).toEqual(['5s', '1m30s', '500ms', '1h', '0ms']);
  });
  it.each(['', 'abc', '5 minutes', '10x', 's', '-5s', '5s garbage'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
  it.each([
    ['2/s', 2],
    ['30/m', 0.5],
    ['3', 3],
    ['0.5/s', 0.5],
  ])('ramp %s → %d/s', (text, r) => expect(parseRamp(text)).toBe(r));
  it.each(['0/s', 'fast', '2/d', '/s'])('rejects ramp %j', (text) => expect(parseRamp(text)).toBeUndefined());
});

describe('scenario schema', () => {
  it('fills defaults and parses human units', () => {
    const s = parseScenario({ participants: 6, rooms: 2, senders: 2, durationMs: '5m', rampPerSecond: '4/s' });
    expect(s).toMatchObject({ target: 'loopback', durationMs: 300_000, rampPerSecond: 4, sampleIntervalMs: 1_000, video: { width: 640, height: 360, fps: 15 } });
  });
  it.each([
    [{ participants: 2, rooms: 3 }, 'rooms', 'must be ≤ participants (2) (got 3)'],
    [{ participants: 2, senders: 3 }, 'senders', 'counts per room: must be ≤ the smallest room (2) (got 3)'],
    [{ participants: 25, senders: 9 }, 'senders', 'must be ≤ the smallest room (8) (got 9)'],
    [{ participants: 20, rooms: 2, audioSenders: 11 }, 'audioSenders', 'must be ≤ the smallest room (10) (got 11)'],
    [{ target: 'jitsi' }, 'url', 'required with target jitsi'],
    [{ replicas: [1, 2] }, 'replicas', 'no bridges to scale'],
    [{ durationMs: 'forever' }, 'durationMs', 'not a duration'],
    [{ participants: 0 }, 'participants', '≥ 1'],
    [{ sampleIntervalMs: '100ms' }, 'sampleIntervalMs', '≥ 200ms'],
    [{ participantsPerBrowser: 20 }, 'participantsPerBrowser', '16 audio-sending tabs'],
    [{ listen: '0.0.0.0' }, 'listen', 'a loopback or private address'],
    [{ listen: '203.0.113.5' }, 'listen', 'a loopback or private address'],
  ])('%j is refused at %s', (input, path, message) => {
    const r = scenarioSchema.safeParse(input);
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message).toContain(message);
  });
});

describe('scenario shape', () => {
  it.each([
    [{ participants: 200 }, 20, 2, '200 participants = 20 rooms × 10, 2 senders each'],
    [{ participants: 200, rooms: 1 }, 1, 2, '200 participants = 1 room × 200, 2 senders'],
    [{ participants: 25 }, 3, 2, '25 participants = 3 rooms × 8–9, 2 senders each'],
    [{ participants: 24, roomSize: 6, senders: 1, audioSenders: 3 }, 4, 1, '24 participants = 4 rooms × 6, 1 sender each, 3 sending audio each'],
    [{ participants: 4 }, 1, 2, '4 participants = 1 room × 4, 2 senders'],
    [{ participants: 3, rooms: 3 }, 3, 1, '3 participants = 3 rooms × 1, 1 sender each'],
    [{ participants: 20, liteReceivers: 0 }, 2, 2, '20 participants = 2 rooms × 10, 2 senders each, receivers decode video'],
    [{ participants: 20, liteReceivers: 3 }, 2, 2, '20 participants = 2 rooms × 10, 2 senders each, 3 lite receivers each, the rest decode video'],
  ])('%j: %i rooms, %i senders per room — "%s"', (input, rooms, senders, shape) => {
    const s = parseScenario(input);
    expect(s.rooms).toBe(rooms);
    expect(s.senders).toBe(senders);
    expect(describeShape(s)).toBe(shape);
  });
  it('room sizes differ by at most one and add up', () => {
    expect(roomSizes({ participants: 25, rooms: 3 })).toEqual([9, 8, 8]);
    expect(roomSizes({ participants: 200, rooms: 20 }).every((n) => n === 10)).toBe(true);
  });
  it('a parsed scenario parses again unchanged (the k8s worker re-reads it)', () => {
    const s = parseScenario({ participants: 30, roomSize: 7 });
    expect(parseScenario(s as never)).toEqual(s);
  });
});

describe('assignParticipants', () => {
  const base = { participants: 10, rooms: 3, senders: 1, audioSenders: 2, liteReceivers: undefined, rampPerSecond: 2, participantsPerBrowser: 4, roomPrefix: 'r' };
  it('spreads joins over rooms; in each room the first S send; everyone joins at i/ramp', () => {
    const { participants } = assignParticipants(base);
    expect(participants.map((p) => p.room)).toEqual(['r-1', 'r-2', 'r-3', 'r-1', 'r-2', 'r-3', 'r-1', 'r-2', 'r-3', 'r-1']);
    expect(participants.filter((p) => p.role === 'sender').map((p) => p.room)).toEqual(['r-1', 'r-2', 'r-3']);
    expect(participants.filter((p) => p.sendsAudio).map((p) => p.name)).toEqual(['bench-1', 'bench-2', 'bench-3', 'bench-4', 'bench-5', 'bench-6']);
    expect(participants.map((p) => p.joinAtMs)).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500]);
    expect(participants.every((p) => p.lite === (p.role === 'receiver'))).toBe(true);
  });
  it('20 rooms × 10 with 2 senders each: every room has exactly 2 senders, and they join first', () => {
    const s = parseScenario({ participants: 200 });
    const { participants } = assignParticipants(s);
    const perRoom = new Map<string, number>();
    for (const p of participants) if (p.role === 'sender') perRoom.set(p.room, (perRoom.get(p.room) ?? 0) + 1);
    expect(perRoom.size).toBe(20);
    expect([...perRoom.values()].every((n) => n === 2)).toBe(true);
    expect(participants.slice(0, 40).every((p) => p.role === 'sender')).toBe(true);
  });
  it('never mixes senders and receivers in one browser, packs participantsPerBrowser', () => {
    const { participants, browsers } = assignParticipants(base);
    expect(browsers.map((b) => [b.kind, b.participants.length])).toEqual([
      ['sender', 3],
      ['receiver', 4],
      ['receiver', 3],
    ]);
    for (const p of participants) expect(browsers[p.browser]!.kind).toBe(p.role);
  });
  it('is deterministic, and liteReceivers picks the first receivers of each room', () => {
    const a = assignParticipants({ ...base, liteReceivers: 1 });
    expect(assignParticipants({ ...base, liteReceivers: 1 })).toEqual(a);
    expect(a.participants.filter((p) => p.lite).map((p) => p.name)).toEqual(['bench-4', 'bench-5', 'bench-6']);
  });
});

const stream = (o: Partial<RawStream> & Pick<RawStream, 'key' | 'kind' | 'dir'>): RawStream => ({ packets: 0, bytes: 0, lost: 0, nack: 0, frames: 0, ...o });
const snap = (t: number, streams: RawStream[], transport?: RawSnapshot['transport']): RawSnapshot => ({ t, connections: 1, streams, transport });

describe('statsDelta (probe math)', () => {
  it('computes loss over the interval as Δlost / (Δlost + Δreceived)', () => {
    const a = snap(0, [stream({ key: '0:a', kind: 'audio', dir: 'in', packets: 1000, lost: 10, nack: 0, jitter: 0.004 })]);
    const b = snap(2_000, [stream({ key: '0:a', kind: 'audio', dir: 'in', packets: 1095, lost: 15, nack: 0, jitter: 0.006, bytes: 0 })]);
    const d = statsDelta(a, b);
    expect(d.intervalMs).toBe(2_000);
    expect(d.audio).toEqual({ packetsReceived: 95, packetsLost: 5, lossPct: 5, nackCount: 0, jitterMs: 6 });
    expect(d.video).toEqual({ packetsReceived: 0, packetsLost: 0, lossPct: 0, nackCount: 0 });
    expect(mediaFlowing(d)).toBe(true);
  });
  it('clamps a falling packetsLost at 0 and counts a new stream from 0', () => {
    const a = snap(0, [stream({ key: '0:v', kind: 'video', dir: 'in', packets: 500, lost: 8, nack: 3, frames: 100 })]);
    const b = snap(1_000, [
      stream({ key: '0:v', kind: 'video', dir: 'in', packets: 550, lost: 6, nack: 7, frames: 115, bytes: 0 }),
      stream({ key: '1:v', kind: 'video', dir: 'in', packets: 40, lost: 0, nack: 0, frames: 15 }),
    ]);
    const d = statsDelta(a, b);
    expect(d.video).toMatchObject({ packetsReceived: 90, packetsLost: 0, lossPct: 0, nackCount: 4 });
    expect(d.framesDecoded).toBe(30);
    expect(d.framesPerSecond).toBe(15); // per stream
  });
  it('ignores streams that vanished (a connection closed)', () => {
    const a = snap(0, [stream({ key: '0:a', kind: 'audio', dir: 'in', packets: 1000 }), stream({ key: '1:a', kind: 'audio', dir: 'in', packets: 900 })]);
    const b = snap(1_000, [stream({ key: '1:a', kind: 'audio', dir: 'in', packets: 950 })]);
    expect(statsDelta(a, b).audio.packetsReceived).toBe(50);
  });
  it('send loss and RTT from remote-inbound, bitrates from bytes, transport from the selected pair', () => {
    const a = snap(0, [stream({ key: '0:o', kind: 'video', dir: 'out', packets: 1000, bytes: 100_000, lost: 0, frames: 0, rtt: 0.01 })]);
    const b = snap(1_000, [
      stream({ key: '0:o', kind: 'video', dir: 'out', packets: 1200, bytes: 225_000, lost: 4, frames: 15, rtt: 0.03 }),
      stream({ key: '0:i', kind: 'audio', dir: 'in', packets: 50, bytes: 5_000 }),
    ], { protocol: 'udp', candidateType: 'relay', rtt: 0.02 });
    const d = statsDelta(a, b);
    expect(d.sendLossPct).toBe(2);
    expect(d.rttMs).toBe(30);
    expect(d.bitrateOutKbps).toBe(1000);
    expect(d.bitrateInKbps).toBe(40);
    expect(d.framesSentPerSecond).toBe(15);
    expect(d.packetsSent).toBe(200);
    expect(d.transport).toEqual({ protocol: 'udp', candidateType: 'relay', relayed: true });
  });
  it('no media, no loss: 0 %, not flowing; RTT falls back to the candidate pair', () => {
    const d = statsDelta(snap(0, []), snap(1_000, [], { protocol: 'tcp', candidateType: 'host', rtt: 0.005 }));
    expect(d.audio.lossPct).toBe(0);
    expect(d.rttMs).toBe(5);
    expect(d.sendLossPct).toBeUndefined();
    expect(d.framesPerSecond).toBeUndefined();
    expect(mediaFlowing(d)).toBe(false);
  });
});

describe('Jitsi room URL', () => {
  const receiver = { name: 'bench-7', room: 'jk8s-bench-2', role: 'receiver' as const, sendsAudio: false, lite: true };
  const sender = { name: 'bench-1', room: 'jk8s-bench-1', role: 'sender' as const, sendsAudio: true, lite: false };
  it('puts JSON-encoded overrides in the hash', () => {
    const url = jitsiRoomUrl('https://meet.example.com', receiver, { height: 360 });
    expect(url.startsWith('https://meet.example.com/jk8s-bench-2#')).toBe(true);
    const pairs = Object.fromEntries(url.split('#')[1]!.split('&').map((kv) => kv.split('=').map(decodeURIComponent) as [string, string]));
    expect(pairs['userInfo.displayName']).toBe('"bench-7"');
    expect(pairs['config.p2p.enabled']).toBe('false');
    expect(pairs['config.prejoinConfig.enabled']).toBe('false');
    expect(pairs['config.flags.runInLiteMode']).toBe('true');
    expect(pairs['config.startWithVideoMuted']).toBe('true');
    expect(pairs['config.startWithAudioMuted']).toBe('true');
    expect(pairs['config.disableInitialGUM']).toBe('true');
  });
  it('senders capture at the chosen height, unmuted, not lite', () => {
    const o = botOverrides(sender, { height: 360 });
    expect(o['config.resolution']).toBe(360);
    expect(o['config.startWithVideoMuted']).toBeUndefined();
    expect(o['config.startWithAudioMuted']).toBeUndefined();
    expect(o['config.flags.runInLiteMode']).toBeUndefined();
  });
  it('keeps a path prefix, drops an existing hash, encodes the room', () => {
    expect(jitsiRoomUrl('https://example.com/meet/?x=1#a=b', { ...receiver, room: 'a b' }, { height: 360 })).toMatch(/^https:\/\/example\.com\/meet\/a%20b#config\./);
    expect(encodeOverrides({ 'userInfo.displayName': 'a&b' })).toBe('userInfo.displayName=%22a%26b%22');
  });
});

describe('procstats', () => {
  it('parses /proc/<pid>/stat with spaces and parentheses in the name', () => {
    const line = '4242 (chrome (renderer) x) S 4200 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 123 456 789';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 4200, cpuSeconds: 3 });
    expect(parsePssKiB('Rss:  2000 kB\nPss:            1234 kB\n')).toBe(1234);
  });
  it('sums an interval over the processes alive at its end (an exited renderer does not make it negative)', () => {
    const before = new Map([[1, 10], [2, 5], [3, 7]]);
    const after = new Map([[1, 10.5], [2, 5.25], [4, 0.1]]); // 3 exited, 4 is new
    expect(cpuBetween(before, after)).toBeCloseTo(0.85);
  });
  it('measures this process tree for real, by a full scan or from known pids', () => {
    const u = processTreeUsage([process.pid]).get(process.pid);
    expect(u?.cpuSeconds).toBeGreaterThan(0);
    expect(u?.pssMiB).toBeGreaterThan(10);
    const again = processTreeUsage([process.pid], false, [...u!.perProcess.keys(), 999_999_999]).get(process.pid);
    expect([...again!.perProcess.keys()].sort()).toEqual([...u!.perProcess.keys()].sort());
    expect(again!.cpuSeconds).toBeGreaterThanOrEqual(u!.cpuSeconds);
    expect(again!.pssMiB).toBeUndefined();
  });
});

describe('browser CPU against a known busy process tree', () => {
  it('a shell whose child spins one core reads ≈ 1 core; the same tree asleep ≈ 0', async () => {
    const { spawn } = await import('node:child_process');
    const tree = spawn('sh', ['-c', `"${process.execPath}" -e "const end = Date.now() + 2500; while (Date.now() < end) {}" & sleep 5 & wait`], { stdio: 'ignore', detached: true });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const a = processTreeUsage([tree.pid!], false).get(tree.pid!)!;
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 1500));
      const b = processTreeUsage([tree.pid!], false).get(tree.pid!)!;
      const busy = cpuBetween(a.perProcess, b.perProcess) / ((Date.now() - t0) / 1000);
      expect(b.processes).toBe(3); // sh, node, sleep
      // one core, less whatever the other work on this shared machine took from it
      expect(busy).toBeGreaterThan(0.4);
      expect(busy).toBeLessThan(1.1);
      await new Promise((r) => setTimeout(r, 1200)); // the spinner has ended
      const c = processTreeUsage([tree.pid!], false).get(tree.pid!)!;
      await new Promise((r) => setTimeout(r, 1000));
      const d = processTreeUsage([tree.pid!], false).get(tree.pid!)!;
      expect(cpuBetween(c.perProcess, d.perProcess)).toBeLessThan(0.05);
    } finally {
      process.kill(-tree.pid!, 'SIGKILL'); // the whole group: sh, node and sleep
    }
  });
});

describe('browser flags', () => {
  it('senders get the fake camera at the scenario fps and file, receivers the plain fake devices', () => {
    const video = { width: 640, height: 360, fps: 12 };
    const sender = browserFlags({ kind: 'sender', video, loopback: true, fakeVideoFile: '/tmp/x.y4m', viewport: video });
    expect(sender).toContain('--use-fake-device-for-media-stream=fps=12');
    expect(sender).toContain('--use-file-for-fake-video-capture=/tmp/x.y4m');
    expect(sender).toContain('--allow-loopback-in-peer-connection');
    const receiver = browserFlags({ kind: 'receiver', video, loopback: false, viewport: video });
    expect(receiver).toContain('--use-fake-device-for-media-stream');
    expect(receiver).toContain('--mute-audio');
    expect(receiver.some((f) => f.startsWith('--use-file-for-fake-video'))).toBe(false);
    expect(receiver).not.toContain('--allow-loopback-in-peer-connection');
  });
});

describe('options → scenario', async () => {
  const { scenarioInput, toScenario } = await import('../../src/bench/options.js');
  const { readYamlFile } = await import('../../src/config/file.js');
  const { repoRoot } = await import('../support/tools.js');
  it('flags win over the preset, the preset over the config domain', () => {
    const s = toScenario(scenarioInput({ flags: { participants: '8' }, preset: { participants: 20, rooms: 2, duration: '2m', replicas: [1, 2] }, configDomain: 'meet.example.com', defaultOut: 'out' }));
    expect(s).toMatchObject({ target: 'jitsi', url: 'https://meet.example.com', participants: 8, rooms: 2, durationMs: 120_000, replicas: [1, 2], outDir: 'out' });
  });
  it('--no-lite makes every receiver decode; --video sets the camera', () => {
    const s = toScenario(scenarioInput({ flags: { target: 'loopback', lite: false, video: '1280x720@20' }, defaultOut: 'out' }));
    expect(s.liteReceivers).toBe(0);
    expect(s.video).toEqual({ width: 1280, height: 720, fps: 20 });
  });
  it('a preset lite: false is not undone by commander\'s default lite: true', () => {
    expect(toScenario(scenarioInput({ flags: { target: 'loopback', lite: true }, preset: { lite: false }, defaultOut: 'o' })).liteReceivers).toBe(0);
    expect(toScenario(scenarioInput({ flags: { target: 'loopback', lite: true }, defaultOut: 'o' })).liteReceivers).toBeUndefined();
  });
  it('refuses unknown preset keys', () => {
    expect(() => scenarioInput({ flags: {}, preset: { particpants: 3 } as never, defaultOut: 'o' })).toThrow('scenario file: unknown key "particpants"');
  });
  it('--rooms and --room-size are one choice: both is refused; either flag replaces the preset\'s', () => {
    expect(() => scenarioInput({ flags: { rooms: '2', roomSize: '5' }, defaultOut: 'o', configDomain: 'x.example.com' })).toThrow('--rooms and --room-size');
    const s = toScenario(scenarioInput({ flags: { participants: '30', roomSize: '5' }, preset: { rooms: 2 }, configDomain: 'meet.example.com', defaultOut: 'o' }));
    expect(s.rooms).toBe(6);
  });
  it.each(['smoke-loopback', 'jitsi-small', 'jitsi-sweep-200'])('the shipped preset %s is valid', (name) => {
    const preset = readYamlFile(`${repoRoot}bench/scenarios/${name}.yaml`) as Record<string, unknown>;
    const s = toScenario(scenarioInput({ flags: {}, preset, configDomain: 'meet.example.com', defaultOut: 'o' }));
    expect(s.participants).toBeGreaterThan(0);
    if (name === 'jitsi-sweep-200') expect(describeShape(s)).toBe('200 participants = 20 rooms × 10, 2 senders each');
  });
});
