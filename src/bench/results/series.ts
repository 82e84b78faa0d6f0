/**
 * Time series for the report's charts, built from the same records as the summary. Records go into
 * 1 s buckets as they stream by; finish() merges them into at most ~MAX_POINTS points per line.
 */
import type { Phase, SampleRecord } from '../samples.js';
import type { Summary } from './summary.js';
import { num } from './stats.js';

/** x: seconds since the first record; y: null where nothing was measured (the line breaks there). */
export type Point = [number, number | null];

export interface PhaseBand {
  step: number;
  bridges: number;
  phase: Phase;
  startS: number;
  endS: number;
}

export interface RunSeries {
  /** ms since the epoch of x = 0 */
  t0: number;
  bucketS: number;
  endS: number;
  bands: PhaseBand[];
  bridgeNames: string[];
  bridgeCpu: Record<string, Point[]>;
  bridgeStress: Record<string, Point[]>;
  /** Σ over bridges of each bridge's bucket mean */
  bridgeCpuTotal: Point[];
  bridgeStressMax: Point[];
  /** pooled over the participants' samples in each bucket, % */
  audioLossPct: Point[];
  videoLossPct: Point[];
  rttMs: Point[];
  /** participant-seconds sampled ÷ bucket seconds: how many participants were being measured */
  participants: Point[];
  /** load generator: mean browserCpuCores ÷ browserParticipants of sender and receiver pages, cores */
  loadGenSenderCpu: Point[];
  loadGenReceiverCpu: Point[];
}

const MAX_POINTS = 240;

interface ClientBucket {
  aLost: number;
  aRecv: number;
  vLost: number;
  vRecv: number;
  rttSum: number;
  rttN: number;
  sampledMs: number;
  sCpu: number;
  sN: number;
  rCpu: number;
  rN: number;
}
interface MeanBucket {
  sum: number;
  n: number;
  max: number;
}

export class SeriesBuilder {
  private t0 = Infinity;
  private tEnd = -Infinity;
  private clients = new Map<number, ClientBucket>();
  private cpu = new Map<string, Map<number, MeanBucket>>();
  private stress = new Map<string, Map<number, MeanBucket>>();
  private intervals: number[] = [];

  add(r: SampleRecord): void {
    if (r.t < this.t0) this.t0 = r.t;
    if (r.t > this.tEnd) this.tEnd = r.t;
    const sec = Math.floor(r.t / 1000);
    if (r.kind === 'participant') {
      let b = this.clients.get(sec);
      if (!b) this.clients.set(sec, (b = emptyClientBucket()));
      b.aLost += Math.max(0, num(r.audio?.packetsLost) ?? 0);
      b.aRecv += num(r.audio?.packetsReceived) ?? 0;
      b.vLost += Math.max(0, num(r.video?.packetsLost) ?? 0);
      b.vRecv += num(r.video?.packetsReceived) ?? 0;
      const rtt = num(r.rttMs);
      if (rtt !== undefined) {
        b.rttSum += rtt;
        b.rttN++;
      }
      const browserCpu = num(r.browserCpuCores);
      const pages = num(r.browserParticipants);
      if (browserCpu !== undefined && browserCpu >= 0 && pages !== undefined && pages > 0) {
        if (r.role === 'sender') {
          b.sCpu += browserCpu / pages;
          b.sN++;
        } else {
          b.rCpu += browserCpu / pages;
          b.rN++;
        }
      }
      const interval = num(r.intervalMs);
      if (interval !== undefined && interval > 0) {
        b.sampledMs += interval;
        if (this.intervals.length < 1000) this.intervals.push(interval);
      }
    } else if (r.kind === 'bridge') {
      const cores = num(r.cpuCores);
      addMean(this.cpu, r.bridge, sec, cores !== undefined && cores >= 0 ? cores : undefined);
      addMean(this.stress, r.bridge, sec, num(r.stress));
    }
  }

  finish(summary: Summary): RunSeries {
    const t0 = Number.isFinite(this.t0) ? this.t0 : 0;
    const endS = Number.isFinite(this.tEnd) ? (this.tEnd - t0) / 1000 : 0;
    const sorted = [...this.intervals].sort((a, b) => a - b);
    const intervalS = (sorted[Math.floor(sorted.length / 2)] ?? 1000) / 1000;
    // at least two sample intervals per bucket, so every bucket holds every participant's sample
    const bucketS = Math.max(1, Math.ceil(Math.max(2 * intervalS, endS / MAX_POINTS)));
    const t0s = Math.floor(t0 / 1000);
    const nBuckets = Math.floor(endS / bucketS) + 1;
    const idx = (sec: number) => Math.floor((sec - t0s) / bucketS);
    const x = (i: number) => Math.round((i + 0.5) * bucketS * 10) / 10;

    const merged: ClientBucket[] = Array.from({ length: nBuckets }, emptyClientBucket);
    const hasClient = new Array<boolean>(nBuckets).fill(false);
    for (const [sec, b] of this.clients) {
      const i = Math.min(nBuckets - 1, idx(sec));
      const m = merged[i]!;
      hasClient[i] = true;
      m.aLost += b.aLost;
      m.aRecv += b.aRecv;
      m.vLost += b.vLost;
      m.vRecv += b.vRecv;
      m.rttSum += b.rttSum;
      m.rttN += b.rttN;
      m.sampledMs += b.sampledMs;
      m.sCpu += b.sCpu;
      m.sN += b.sN;
      m.rCpu += b.rCpu;
      m.rN += b.rN;
    }
    const pooled = (lost: number, recv: number) => (lost + recv > 0 ? round2((lost / (lost + recv)) * 100) : null);
    const clientLine = (f: (m: ClientBucket) => number | null): Point[] =>
      merged.map((m, i) => [x(i), hasClient[i] ? f(m) : null] as Point);

    const bridgeNames = [...new Set([...this.cpu.keys(), ...this.stress.keys()])].sort();
    const perBridge = (src: Map<string, Map<number, MeanBucket>>) => {
      const out: Record<string, (MeanBucket | undefined)[]> = {};
      for (const [bridge, secs] of src) {
        const arr: (MeanBucket | undefined)[] = new Array(nBuckets).fill(undefined);
        for (const [sec, b] of secs) {
          const i = Math.min(nBuckets - 1, idx(sec));
          const cur = arr[i];
          arr[i] = cur ? { sum: cur.sum + b.sum, n: cur.n + b.n, max: Math.max(cur.max, b.max) } : { ...b };
        }
        out[bridge] = arr;
      }
      return out;
    };
    const cpu = perBridge(this.cpu);
    const stress = perBridge(this.stress);
    const toPoints = (arr: (MeanBucket | undefined)[]): Point[] => arr.map((b, i) => [x(i), b ? round4(b.sum / b.n) : null] as Point);
    const across = (src: Record<string, (MeanBucket | undefined)[]>, combine: (vals: number[]) => number): Point[] =>
      Array.from({ length: nBuckets }, (_, i) => {
        const vals = Object.values(src)
          .map((arr) => arr[i])
          .filter((b): b is MeanBucket => b !== undefined)
          .map((b) => b.sum / b.n);
        return [x(i), vals.length > 0 ? round4(combine(vals)) : null] as Point;
      });

    const bands: PhaseBand[] = [];
    for (const step of summary.steps) {
      for (const p of step.phases) {
        bands.push({ step: step.step, bridges: step.bridges, phase: p.phase, startS: (p.start - t0) / 1000, endS: (p.end - t0) / 1000 });
      }
    }
    bands.sort((a, b) => a.startS - b.startS);
    // a phase's band reaches to where the next begins: no unshaded slivers between phases
    for (let i = 0; i + 1 < bands.length; i++) {
      const next = bands[i + 1]!;
      if (next.startS > bands[i]!.endS) bands[i]!.endS = next.startS;
    }

    return {
      t0,
      bucketS,
      endS,
      bands,
      bridgeNames,
      bridgeCpu: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, toPoints(v)])),
      bridgeStress: Object.fromEntries(Object.entries(stress).map(([k, v]) => [k, toPoints(v)])),
      bridgeCpuTotal: across(cpu, (v) => v.reduce((a, b) => a + b, 0)),
      bridgeStressMax: across(stress, (v) => Math.max(...v)),
      audioLossPct: clientLine((m) => pooled(m.aLost, m.aRecv)),
      videoLossPct: clientLine((m) => pooled(m.vLost, m.vRecv)),
      rttMs: clientLine((m) => (m.rttN > 0 ? round2(m.rttSum / m.rttN) : null)),
      participants: clientLine((m) => (m.sampledMs > 0 ? round2(m.sampledMs / (bucketS * 1000)) : null)),
      loadGenSenderCpu: clientLine((m) => (m.sN > 0 ? round4(m.sCpu / m.sN) : null)),
      loadGenReceiverCpu: clientLine((m) => (m.rN > 0 ? round4(m.rCpu / m.rN) : null)),
    };
  }
}

function emptyClientBucket(): ClientBucket {
  return { aLost: 0, aRecv: 0, vLost: 0, vRecv: 0, rttSum: 0, rttN: 0, sampledMs: 0, sCpu: 0, sN: 0, rCpu: 0, rN: 0 };
}

function addMean(map: Map<string, Map<number, MeanBucket>>, key: string, sec: number, value: number | undefined): void {
  if (value === undefined) return;
  let secs = map.get(key);
  if (!secs) map.set(key, (secs = new Map()));
  const b = secs.get(sec);
  if (b) {
    b.sum += value;
    b.n++;
    b.max = Math.max(b.max, value);
  } else secs.set(sec, { sum: value, n: 1, max: value });
}

const round2 = (v: number) => Math.round(v * 100) / 100;
const round4 = (v: number) => Math.round(v * 10000) / 10000;

export function buildSeries(records: Iterable<SampleRecord>, summary: Summary): RunSeries {
  const b = new SeriesBuilder();
  for (const r of records) b.add(r);
  return b.finish(summary);
}
