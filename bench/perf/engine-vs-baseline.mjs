#!/usr/bin/env node
// Cores and memory per participant: the engine's defaults (360p@15 sender, lite receivers sharing
// one browser) against a naive baseline (one browser per participant, 720p, every receiver decoding),
// measured one after the other on this machine against the loopback conference.
//   npx tsc -p . && node bench/perf/engine-vs-baseline.mjs [--participants 5] [--duration 20s]
// Prints a markdown table (stdout) and writes the run folders under bench-results/perf-<time>/.
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { runBench } from '../../dist/bench/runner.js';
import { parseScenario } from '../../dist/bench/scenario.js';

const { values } = parseArgs({ options: { participants: { type: 'string', default: '5' }, duration: { type: 'string', default: '20s' } } });
const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
const participants = Number(values.participants);

const variants = [
  { name: 'engine defaults', senders: 1, video: { width: 640, height: 360, fps: 15 }, participantsPerBrowser: 4 },
  { name: 'naive baseline', senders: 1, video: { width: 1280, height: 720, fps: 20 }, participantsPerBrowser: 1, liteReceivers: 0 },
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
for (const v of variants) {
  const started = Date.now();
  const load = loadavg()[0];
  const s = parseScenario({
    target: 'loopback',
    participants,
    senders: v.senders,
    liteReceivers: v.liteReceivers,
    video: v.video,
    participantsPerBrowser: v.participantsPerBrowser,
    durationMs: values.duration,
    rampPerSecond: 5,
    warmupMs: 2_000,
    cooldownMs: 0,
    outDir: `bench-results/perf-${stamp}/${v.name.replace(/ /g, '-')}`,
  });
  // the coordinator's own CPU (this Node process: CDP round trips, delta math, writes) during the steady phase
  const steady = { cpu0: undefined, t0: 0, cpu: undefined, t: 0, records: 0 };
  const outcome = await runBench(s, {
    signal: new AbortController().signal,
    onRecord: (r) => {
      if (r.phase === 'steady' && !steady.cpu0) Object.assign(steady, { cpu0: process.cpuUsage(), t0: Date.now() });
      if (r.phase === 'steady' && r.kind === 'participant') steady.records++;
      if (r.phase === 'ramp-down' && steady.cpu0 && !steady.cpu) Object.assign(steady, { cpu: process.cpuUsage(steady.cpu0), t: Date.now() });
    },
  });
  const coordinatorCpuS = steady.cpu ? (steady.cpu.user + steady.cpu.system) / 1e6 : NaN;
  rows.push({ ...v, outcome, wallS: (Date.now() - started) / 1000, loadBefore: load, coordinatorCpuS, steadyRecords: steady.records, steadyS: (steady.t - steady.t0) / 1000, ...figures(outcome.samplesFile) });
}

const [engine, base] = rows;
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average before each run: ${rows.map((r) => r.loadBefore.toFixed(1)).join(' / ')}`);
console.log(`${participants} participants: 1 sender → ${participants - 1} receivers, loopback mesh, steady ${values.duration}\n`);
console.log('| variant | sender cores | sender PSS MiB | sender fps | receiver cores | receiver PSS MiB | receiver decoded fps | audio loss % | all browsers, cores | cores / participant | joined/failed | wall s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} (${r.video.width}x${r.video.height}@${r.video.fps}, ${r.participantsPerBrowser}/browser) | ${fmt(r.senderCores)} | ${fmt(r.senderMiB, 0)} | ${fmt(r.senderFps, 1)} | ${fmt(r.receiverCores)} | ${fmt(r.receiverMiB, 0)} | ${fmt(r.receiverFpsDecoded, 1)} | ${fmt(r.audioLossPct, 2)} | ${fmt(r.totalCores, 2)} | ${fmt(r.perParticipant)} | ${r.outcome.joined}/${r.outcome.failed} | ${r.wallS.toFixed(0)} |`,
  );
}
const e = rows[0];
const msPerSample = (e.coordinatorCpuS / e.steadyRecords) * 1000;
console.log(`\ncoordinator in the steady phase (this Node process: CDP getStats round trips, delta math, samples.jsonl): ${e.coordinatorCpuS.toFixed(2)} s CPU over ${e.steadyS.toFixed(0)} s for ${e.steadyRecords} participant samples = ${msPerSample.toFixed(2)} ms per sample → ${(msPerSample * 100).toFixed(0)} % of one core for 1,000 participants at 1 Hz`);
console.log(`\nbaseline ÷ engine, cores per participant: ${fmt(base.perParticipant / engine.perParticipant, 1)}×; per receiver: ${fmt(base.receiverCores / engine.receiverCores, 1)}×`);
