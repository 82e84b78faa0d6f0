#!/usr/bin/env node
// Coordinator cost of aggregation: 1,000 participants' getStats snapshots at 1 Hz (synthetic),
// turned into samples (delta math) and appended to samples.jsonl, plus the results summary over
// all of them. Reports CPU time as a share of one core over the simulated wall time.
//   npx tsc -p . && node bench/perf/aggregate.mjs [--participants 1000] [--seconds 60]
import { parseArgs } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statsDelta } from '../../dist/bench/probe.js';
import { openSamples } from '../../dist/bench/samples-file.js';

const { values } = parseArgs({ options: { participants: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '60' } } });
const n = Number(values.participants);
const seconds = Number(values.seconds);
const dir = mkdtempSync(join(tmpdir(), 'jk8s-agg-'));

// 4 streams per page: audio + video in, audio + video out (a sender's shape; receivers have fewer)
const snapshot = (i, t) => ({
  t: t * 1000,
  connections: 1,
  streams: [
    { key: '0:ia', kind: 'audio', dir: 'in', packets: 50 * t, bytes: 4000 * t, lost: Math.floor(t * 2.5), nack: 0, frames: 0, jitter: 0.004 },
    { key: '0:iv', kind: 'video', dir: 'in', packets: 60 * t, bytes: 60000 * t, lost: t % 3, nack: t, frames: 15 * t, jitter: 0.01 },
    { key: '0:oa', kind: 'audio', dir: 'out', packets: 50 * t, bytes: 4000 * t, lost: t, nack: 0, frames: 0, rtt: 0.02 },
    { key: '0:ov', kind: 'video', dir: 'out', packets: 60 * t, bytes: 60000 * t, lost: 0, nack: t, frames: 15 * t, rtt: 0.02 },
  ],
  transport: { protocol: 'udp', candidateType: 'host', rtt: 0.02 },
});

const samples = openSamples(dir);
const prev = new Array(n);
const c0 = process.cpuUsage();
for (let t = 1; t <= seconds; t++) {
  const batch = [];
  for (let i = 0; i < n; i++) {
    const cur = snapshot(i, t);
    if (prev[i]) {
      batch.push({ t: t * 1000, step: 0, bridges: 2, phase: 'steady', kind: 'participant', participant: `bench-${i + 1}`, room: `r-${i % 50}`, role: i < 100 ? 'sender' : 'receiver', ...statsDelta(prev[i], cur), browser: Math.floor(i / 10), browserCpuCores: 0.5, browserParticipants: 10, browserPssMiB: 900 });
    }
    prev[i] = cur;
  }
  samples.append(batch);
}
const c1 = process.cpuUsage(c0);
const engineCpu = (c1.user + c1.system) / 1e6;

let summaryCpu = NaN;
try {
  const { summarize } = await import('../../dist/bench/results/index.js');
  const records = readFileSync(samples.path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const s0 = process.cpuUsage();
  summarize(records, { participants: n, target: 'synthetic' });
  const s1 = process.cpuUsage(s0);
  summaryCpu = (s1.user + s1.system) / 1e6;
} catch (e) {
  console.error(`results summary not measured: ${e.message}`);
}
console.log(`${n} participants × ${seconds} s at 1 Hz = ${samples.count} records`);
console.log(`delta math + samples.jsonl: ${engineCpu.toFixed(2)} s CPU = ${((engineCpu / seconds) * 100).toFixed(2)} % of one core`);
console.log(`results summary over all records (once, at the end): ${summaryCpu.toFixed(2)} s CPU`);
rmSync(dir, { recursive: true, force: true });
