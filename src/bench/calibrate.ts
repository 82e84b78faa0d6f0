/**
 * `bench calibrate`: how many participants this machine can drive. Against the loopback
 * conference (a forwarding unit, so the sender encodes once as behind a Jitsi bridge), one sender
 * browser sends to a growing number of lite receivers in one receiver browser; each step measures the cores of each browser, the sender's frame rate, receive loss and
 * how busy the whole machine is, and stops when quality drops or the time budget is spent.
 * The result is stored so the bench guard can use it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../ui/log.js';
import { writeFileAtomic } from '../config/file.js';
import { pause, runBench } from './runner.js';
import type { ParticipantSample, SampleRecord } from './samples.js';
import { parseScenario, type Scenario } from './scenario.js';

export interface CalibrationStep {
  liteReceivers: number;
  senderCores: number | null;
  receiverCores: number | null;
  coresPerLiteReceiver: number | null;
  pssMiBPerLiteReceiver: number | null;
  senderPssMiB: number | null;
  senderFps: number | null;
  audioLossPct: number | null;
  /** share of all cores busy on the machine during the steady window (0–1), everything included */
  machineBusy: number | null;
  joinFailures: number;
  ok: boolean;
  /** why the step counts as degraded */
  reasons: string[];
}

export interface Calibration {
  version: 1;
  measuredAt: string;
  cpus: number;
  video: Scenario['video'];
  steps: CalibrationStep[];
  /** cores of one sender browser with one page sending to one receiver */
  coresPerSender: number | null;
  coresPerLiteReceiver: number | null;
  memoryMiBPerLiteReceiver: number | null;
  memoryMiBPerSender: number | null;
  /** the largest step with good quality */
  maxLiteReceiversTested: number;
  /** what we recommend for this machine, at 75 % of its cores */
  recommended: { senders: number; liteReceivers: number; participantsAt10PctSenders: number };
  durationS: number;
  /** share of the machine busy with other work in the second before calibration started (0–1) */
  machineBusyBefore: number | null;
}

/** Fraction of the machine's CPU time spent busy between two /proc/stat reads. */
function machineTimes(): { busy: number; total: number } | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

/** The figures of one calibration step from its records (pure). */
export function summariseStep(records: SampleRecord[], liteReceivers: number, video: Scenario['video'], machineBusy: number | null): CalibrationStep {
  const steady = records.filter((r): r is ParticipantSample => r.kind === 'participant' && r.phase === 'steady');
  const senders = steady.filter((r) => r.role === 'sender');
  const receivers = steady.filter((r) => r.role === 'receiver');
  // one sample per browser per tick: take the sender's and the first receiver's
  const firstReceiver = receivers[0]?.participant;
  const receiverTicks = receivers.filter((r) => r.participant === firstReceiver);
  const num = (xs: (number | undefined)[]) => xs.filter((x): x is number => typeof x === 'number');
  const senderCores = mean(num(senders.map((r) => r.browserCpuCores)));
  const receiverCores = mean(num(receiverTicks.map((r) => r.browserCpuCores)));
  const receiverPss = mean(num(receiverTicks.map((r) => r.browserPssMiB)));
  const senderFps = mean(num(senders.map((r) => r.framesSentPerSecond)));
  const lost = receivers.reduce((n, r) => n + r.audio.packetsLost, 0);
  const got = receivers.reduce((n, r) => n + r.audio.packetsReceived, 0);
  const audioLossPct = lost + got > 0 ? (lost / (lost + got)) * 100 : null;
  const joinFailures = records.filter((r) => r.kind === 'event' && r.event === 'join-failed').length;
  const reasons: string[] = [];
  if (joinFailures > 0) reasons.push(`${joinFailures} join failure(s)`);
  if (senderFps === null || senderFps < video.fps * 0.8) reasons.push(`sender at ${senderFps?.toFixed(1) ?? 'no'} fps of ${video.fps}`);
  if (audioLossPct === null || audioLossPct > 1) reasons.push(`audio loss ${audioLossPct?.toFixed(2) ?? 'unknown'} %`);
  if (machineBusy !== null && machineBusy > 0.9) reasons.push(`machine ${(machineBusy * 100).toFixed(0)} % busy`);
  if (receiverTicks.length === 0) reasons.push('no receiver samples');
  return {
    liteReceivers,
    senderCores: r3(senderCores),
    receiverCores: r3(receiverCores),
    coresPerLiteReceiver: r3(receiverCores === null ? null : receiverCores / liteReceivers),
    pssMiBPerLiteReceiver: receiverPss === null ? null : Math.round(receiverPss / liteReceivers),
    senderPssMiB: (() => {
      const m = mean(num(senders.map((r) => r.browserPssMiB)));
      return m === null ? null : Math.round(m);
    })(),
    senderFps: senderFps === null ? null : Math.round(senderFps * 10) / 10,
    audioLossPct: audioLossPct === null ? null : Math.round(audioLossPct * 1000) / 1000,
    machineBusy: machineBusy === null ? null : Math.round(machineBusy * 1000) / 1000,
    joinFailures,
    ok: reasons.length === 0,
    reasons,
  };
}

/** The recommendation from the measured steps (pure): 75 % of the cores, costs from the good steps. */
export function recommend(steps: CalibrationStep[], cores: number): Pick<Calibration, 'coresPerSender' | 'coresPerLiteReceiver' | 'memoryMiBPerLiteReceiver' | 'memoryMiBPerSender' | 'maxLiteReceiversTested' | 'recommended'> {
  const good = steps.filter((s) => s.ok);
  const usable = cores * 0.75;
  // the sender's cost at its smallest audience (the loopback conference forwards like a bridge: it hardly grows with more)
  const coresPerSender = steps[0]?.senderCores ?? null;
  // a receiver's cost from the biggest good step (fixed browser overhead spread over most pages)
  const best = good.at(-1) ?? steps[0];
  const coresPerLiteReceiver = best?.coresPerLiteReceiver ?? null;
  const fit = (cost: number | null) => (cost && cost > 0 ? Math.max(1, Math.floor(usable / cost)) : 0);
  const mix = coresPerSender !== null && coresPerLiteReceiver !== null ? 0.1 * coresPerSender + 0.9 * coresPerLiteReceiver : null;
  return {
    coresPerSender,
    coresPerLiteReceiver,
    memoryMiBPerLiteReceiver: best?.pssMiBPerLiteReceiver ?? null,
    memoryMiBPerSender: steps[0]?.senderPssMiB ?? null,
    maxLiteReceiversTested: good.at(-1)?.liteReceivers ?? 0,
    recommended: { senders: fit(coresPerSender), liteReceivers: fit(coresPerLiteReceiver), participantsAt10PctSenders: fit(mix) },
  };
}

export interface CalibrateOptions {
  browser?: string;
  outDir: string;
  /** lite receivers per step */
  steps?: number[];
  steadyMs?: number;
  /** no new step starts after this */
  budgetMs?: number;
  video?: Partial<Scenario['video']>;
  signal: AbortSignal;
  log?: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export async function runCalibration(o: CalibrateOptions): Promise<Calibration & { interrupted: boolean }> {
  const started = Date.now();
  const cores = cpus().length;
  const plan = o.steps ?? [1, 2, 4, 8, 12];
  const budget = o.budgetMs ?? 150_000;
  const steps: CalibrationStep[] = [];
  let video: Scenario['video'] = { width: 640, height: 360, fps: 15, ...o.video };
  const t0 = machineTimes();
  await pause(1_000, o.signal);
  const t1 = machineTimes();
  const machineBusyBefore = t0 && t1 && t1.total > t0.total ? Math.round(((t1.busy - t0.busy) / (t1.total - t0.total)) * 1000) / 1000 : null;
  if (machineBusyBefore !== null && machineBusyBefore > 0.5) {
    o.log?.warn(`the machine is already ${Math.round(machineBusyBefore * 100)} % busy with other work: the calibration will be pessimistic (run it on an idle machine)`);
  }
  for (const [i, n] of plan.entries()) {
    if (o.signal.aborted || Date.now() - started > budget) break;
    const s = parseScenario({
      target: 'loopback',
      browser: o.browser,
      participants: 1 + n,
      senders: 1,
      rooms: 1,
      durationMs: o.steadyMs ?? 8_000,
      rampPerSecond: 10,
      warmupMs: 1_000,
      cooldownMs: 0,
      participantsPerBrowser: 16,
      video,
      outDir: join(o.outDir, `step-${i + 1}-${n}-lite`),
    });
    video = s.video;
    const records: SampleRecord[] = [];
    let before: ReturnType<typeof machineTimes>;
    let after: ReturnType<typeof machineTimes>;
    o.log?.info(`calibrate: 1 sender → ${n} lite receiver(s)`);
    await runBench(s, {
      signal: o.signal,
      onRecord: (r) => {
        records.push(r);
        if (r.kind === 'participant' && r.phase === 'steady') {
          before ??= machineTimes();
          after = machineTimes();
        }
      },
    });
    const busy = before && after && after.total > before.total ? (after.busy - before.busy) / (after.total - before.total) : null;
    const step = summariseStep(records, n, video, busy);
    steps.push(step);
    o.log?.info(
      `  sender ${step.senderCores ?? '?'} cores at ${step.senderFps ?? '?'} fps; receivers ${step.receiverCores ?? '?'} cores (${step.coresPerLiteReceiver ?? '?'} each); loss ${step.audioLossPct ?? '?'} %; machine ${busy === null ? '?' : Math.round(busy * 100)} % busy${step.ok ? '' : ` — degraded: ${step.reasons.join(', ')}`}`,
    );
    if (!step.ok) break;
    await pause(500, o.signal);
  }
  return {
    version: 1,
    measuredAt: new Date(started).toISOString(),
    cpus: cores,
    video,
    steps,
    ...recommend(steps, cores),
    durationS: Math.round((Date.now() - started) / 1_000),
    machineBusyBefore,
    interrupted: o.signal.aborted,
  };
}

/** ~/.cache/jitsi-k8s/calibration.json (XDG_CACHE_HOME honoured). */
export function calibrationPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'jitsi-k8s', 'calibration.json');
}

export function saveCalibration(c: Calibration, path = calibrationPath()): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(c, null, 2)}\n`);
  return path;
}

export function loadCalibration(path = calibrationPath()): Calibration | undefined {
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Calibration;
    return c.version === 1 && typeof c.cpus === 'number' ? c : undefined;
  } catch {
    return undefined;
  }
}
