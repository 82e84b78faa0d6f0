#!/usr/bin/env node
// Cores and memory per participant in one 10-person room (by default), with 1 video sender and
// again with 2: the engine's defaults (360p@15 senders, lite receivers sharing browsers, 4 pages
// each) against a naive baseline (one browser per participant, 720p senders, every receiver
// decoding), one after the other on this machine against the loopback conference (a forwarding
// unit, like a bridge: a sender encodes once whatever the room size).
//   npm run build && node bench/perf/engine-vs-baseline.mjs [--participants 10] [--duration 20s] [--senders 1,2] [--rooms 1]
// --rooms: rooms of that size measured at once (fewer when the machine saturates; the room never shrinks).
// Prints a markdown report (stdout), last line `baseline ÷ engine, cores per participant: N×`, and
// writes the run folders under bench-results/perf-<time>/.
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { runBench } from '../../dist/bench/runner.js';
import { parseScenario } from '../../dist/bench/scenario.js';

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '10' },
    duration: { type: 'string', default: '20s' },
    senders: { type: 'string', default: '1,2' },
    rooms: { type: 'string', default: '1' },
  },
});
const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
const roomSize = Number(values.participants);
const rooms = Number(values.rooms);
const participants = roomSize * rooms;
const senderCounts = values.senders.split(',').map(Number);

const variants = [
  { name: 'engine', label: 'engine defaults', video: { width: 640, height: 360, fps: 15 }, participantsPerBrowser: 4 },
  { name: 'baseline', label: 'naive baseline', video: { width: 1280, height: 720, fps: 20 }, participantsPerBrowser: 1, liteReceivers: 0 },
];

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const fmt = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '—');

function figures(samplesFile) {
  const recs = readFileSync(samplesFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const steady = recs.filter((r) => r.kind === 'participant' && r.phase === 'steady' && r.browserCpuCores !== undefined);
  const byRole = (role) => steady.filter((r) => r.role === role);
  const share = (rs, f) => mean(rs.map((r) => r[f] / r.browserParticipants));
  // whole-run cores: per tick, each browser once
  const perBrowser = new Map();
  for (const r of steady) {
    const list = perBrowser.get(r.browser) ?? [];
    list.push(r.browserCpuCores / r.browserParticipants);
    perBrowser.set(r.browser, list);
  }
  const pages = new Map();
  for (const r of steady) pages.set(r.browser, r.browserParticipants);
  const total = [...perBrowser].reduce((sum, [b, xs]) => sum + mean(xs) * pages.get(b), 0);
  const receivers = byRole('receiver');
  return {
    senderCores: share(byRole('sender'), 'browserCpuCores'),
    senderMiB: share(byRole('sender'), 'browserPssMiB'),
    senderFps: mean(byRole('sender').map((r) => r.framesSentPerSecond ?? 0)),
    receiverCores: share(receivers, 'browserCpuCores'),
    receiverMiB: share(receivers, 'browserPssMiB'),
    receiverFpsDecoded: mean(receivers.map((r) => r.framesPerSecond ?? 0)),
    audioLossPct: mean(receivers.map((r) => r.audio.lossPct)),
    totalCores: total,
    perParticipant: total / participants,
  };
}

const rows = [];
for (const senders of senderCounts) {
  for (const v of variants) {
    const started = Date.now();
    const loadBefore = loadavg();
    const s = parseScenario({
      target: 'loopback',
      participants,
      rooms,
      senders: senders * rooms,
      liteReceivers: v.liteReceivers,
      video: v.video,
      participantsPerBrowser: v.participantsPerBrowser,
      durationMs: values.duration,
      rampPerSecond: 5,
      warmupMs: 2_000,
      cooldownMs: 0,
      joinTimeoutMs: 60_000,
      outDir: `bench-results/perf-${stamp}/${senders}-sender-${v.name}`,
    });
    // this Node process during the steady phase: the loopback forwarding unit (the bridge's stand-in) and the coordinator
    const steady = { cpu0: undefined, t0: 0, cpu: undefined, t: 0, records: 0 };
    const outcome = await runBench(s, {
      signal: new AbortController().signal,
      onRecord: (r) => {
        if (r.phase === 'steady' && !steady.cpu0) Object.assign(steady, { cpu0: process.cpuUsage(), t0: Date.now() });
        if (r.phase === 'steady' && r.kind === 'participant') steady.records++;
        if (r.phase === 'ramp-down' && steady.cpu0 && !steady.cpu) Object.assign(steady, { cpu: process.cpuUsage(steady.cpu0), t: Date.now() });
      },
    });
    const nodeCores = steady.cpu ? (steady.cpu.user + steady.cpu.system) / 1e6 / ((steady.t - steady.t0) / 1000) : NaN;
    rows.push({ ...v, senders, outcome, wallS: (Date.now() - started) / 1000, loadBefore, loadAfter: loadavg(), nodeCores, ...figures(outcome.samplesFile) });
  }
}

const load = (l) => l.map((x) => x.toFixed(1)).join(' ');
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other work`);
console.log(`${rooms} room(s) of ${roomSize}: ${senderCounts.join(' and again ')} video sender(s) per room; loopback forwarding unit; steady ${values.duration}\n`);
console.log('| senders | variant | sender cores | sender PSS MiB | sender fps | receiver cores | receiver PSS MiB | receiver decoded fps | audio loss % | all browsers, cores | cores / participant | unit + coordinator cores | joined/failed | load avg before → after (1/5/15 min) | wall s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.senders} | ${r.label} (${r.video.width}x${r.video.height}@${r.video.fps}, ${r.participantsPerBrowser}/browser) | ${fmt(r.senderCores)} | ${fmt(r.senderMiB, 0)} | ${fmt(r.senderFps, 1)} | ${fmt(r.receiverCores)} | ${fmt(r.receiverMiB, 0)} | ${fmt(r.receiverFpsDecoded, 1)} | ${fmt(r.audioLossPct, 2)} | ${fmt(r.totalCores, 2)} | ${fmt(r.perParticipant)} | ${fmt(r.nodeCores, 2)} | ${r.outcome.joined}/${r.outcome.failed} | ${load(r.loadBefore)} → ${load(r.loadAfter)} | ${r.wallS.toFixed(0)} |`,
  );
}
console.log('');
const pick = (senders, name) => rows.find((r) => r.senders === senders && r.name === name);
for (const senders of senderCounts) {
  const e = pick(senders, 'engine');
  const b = pick(senders, 'baseline');
  console.log(`${senders} sender(s): baseline ÷ engine, cores per participant ${fmt(b.perParticipant / e.perParticipant, 1)}×; per receiver ${fmt(b.receiverCores / e.receiverCores, 1)}×`);
}
const engines = rows.filter((r) => r.name === 'engine');
const lite = { cores: Math.max(...engines.map((r) => r.receiverCores)), mib: Math.max(...engines.map((r) => r.receiverMiB)) };
console.log(`lite receiver (worst run): ${fmt(lite.cores)} core (target ≤ 0.08: ${lite.cores <= 0.08 ? 'met' : 'NOT met'}), ${fmt(lite.mib, 0)} MiB PSS (target ≤ 150: ${lite.mib <= 150 ? 'met' : 'NOT met'})`);
const perParticipant = (name) => mean(rows.filter((r) => r.name === name).map((r) => r.perParticipant));
const ratio = perParticipant('baseline') / perParticipant('engine');
console.log(`target ≥ 8× fewer cores per participant: ${ratio >= 8 ? 'met' : 'NOT met'} (mean over the ${senderCounts.length} room set-up(s))`);
console.log(`baseline ÷ engine, cores per participant: ${fmt(ratio, 1)}×`);
