/**
 * Sample: every interval, each open page's getStats(), each browser's CPU and memory, and each
 * bridge — one batch of records. Participants still joining are judged here (see join.ts).
 */
import type { Logger } from '../../ui/log.js';
import type { Bridges } from '../bridges.js';
import type { LaunchedBrowser } from '../browsers.js';
import { READ_EXPRESSION, statsDelta, type RawSnapshot } from '../probe.js';
import { cpuBetween, processTreeUsage } from '../procstats.js';
import type { JoinFailureReason, ParticipantSample, SampleRecord } from '../samples.js';
import type { Scenario } from '../scenario.js';
import type { Participant, StepLedger } from './account.js';
import { enterRoomPassword, type PageJoinState } from '../jitsi-state.js';
import { judgeJoin, judgeLeft, type JoinObservation, type SiteCredentials } from './join.js';
import { leave } from './ramp-down.js';
import type { StepResources } from './resources.js';
import { firstLine, pause, withTimeout } from './timing.js';

interface BrowserUsage {
  cores?: number;
  pssMiB?: number;
}

/** Per-browser CPU and PSS between ticks, from /proc. */
class BrowserMeter {
  private prevCpu = new Map<number, { perProcess: Map<number, number>; t: number }>();
  private lastPss = new Map<number, number>();
  private ticks = 0;
  private knownPids: number[] = [];

  read(browsers: (LaunchedBrowser | undefined)[], now: number): Map<number, BrowserUsage> {
    const pids = browsers.map((b) => b?.pid).filter((p): p is number => p !== undefined);
    // PSS costs the kernel a page-table walk per process (~25 ms per browser): read it every 10th
    // tick; scanning all of /proc for new Chromium processes every 5th, else only the known ones
    const fresh = pids.some((p) => !this.lastPss.has(p));
    const usage = processTreeUsage(pids, this.ticks % 10 === 0 || fresh, this.ticks % 5 === 0 || fresh ? undefined : this.knownPids);
    this.ticks++;
    this.knownPids = [...usage.values()].flatMap((u) => [...u.perProcess.keys()]);
    for (const [pid, u] of usage) if (u.pssMiB !== undefined) this.lastPss.set(pid, u.pssMiB);
    const out = new Map<number, BrowserUsage>();
    for (const [i, b] of browsers.entries()) {
      const u = b?.pid !== undefined ? usage.get(b.pid) : undefined;
      if (!u || b?.pid === undefined) continue;
      const prev = this.prevCpu.get(b.pid);
      this.prevCpu.set(b.pid, { perProcess: u.perProcess, t: now });
      const cores = prev && now > prev.t ? Math.round((cpuBetween(prev.perProcess, u.perProcess) / ((now - prev.t) / 1_000)) * 1_000) / 1_000 : undefined;
      out.set(i, { cores, pssMiB: this.lastPss.get(b.pid) });
    }
    return out;
  }
}

/** One call per page and interval: its stats and what the app says about its join. */
const READ_PAGE = `(async () => ({ stats: await (${READ_EXPRESSION}), join: window.__jk8sJoinState ? window.__jk8sJoinState() : undefined }))()`;

interface PageRead {
  stats: RawSnapshot;
  join?: PageJoinState;
}

export interface SamplerContext {
  s: Scenario;
  ledger: StepLedger;
  browsers: (LaunchedBrowser | undefined)[];
  bridges?: Bridges;
  signal: AbortSignal;
  log: Pick<Logger, 'warn' | 'debug'>;
  credentials?: SiteCredentials;
  resources: StepResources;
}

/** Failures that a machine out of memory or processes causes too: weighed against what it has left. */
const SLOW_FAILURES = new Set<JoinFailureReason>(['timeout', 'no-media']);

export class StepSampler {
  private readonly meter = new BrowserMeter();
  private readonly warned = new Set<string>();
  private running = false;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly c: SamplerContext) {}

  start(): void {
    this.running = true;
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done.catch(() => {});
  }

  private async loop(): Promise<void> {
    const { s, signal } = this.c;
    const start = Date.now();
    for (let k = 1; this.running; k++) {
      // a slow tick skips the intervals it overran instead of bunching the next ones
      k = Math.max(k, Math.ceil((Date.now() - start) / s.sampleIntervalMs));
      await pause(start + k * s.sampleIntervalMs - Date.now(), signal);
      if (!this.running) break;
      await this.tick();
      if (signal.aborted) break;
    }
  }

  /** One interval: every open page, every browser, every bridge, written as one batch. */
  async tick(): Promise<void> {
    const { ledger, browsers } = this.c;
    const now = Date.now();
    const usage = this.meter.read(browsers, now);
    const open = ledger.open();
    const pagesPerBrowser = new Map<number, number>();
    for (const a of open) pagesPerBrowser.set(a.plan.browser, (pagesPerBrowser.get(a.plan.browser) ?? 0) + 1);
    const records: SampleRecord[] = [];
    await Promise.all(open.map((a) => this.participant(a, records, usage.get(a.plan.browser), pagesPerBrowser.get(a.plan.browser) ?? 0)));
    records.push(...(await this.bridgeSamples(now)));
    ledger.emit(records);
  }

  private async participant(a: Participant, records: SampleRecord[], cpu: BrowserUsage | undefined, browserParticipants: number): Promise<void> {
    const { s, ledger, log } = this.c;
    let read: PageRead;
    try {
      read = await withTimeout(a.page!.evaluate(READ_PAGE) as Promise<PageRead>, Math.max(2_000, s.sampleIntervalMs * 2), 'getStats');
    } catch (e) {
      if (a.state === 'joined') log.debug(`${a.plan.name}: no stats this interval (${firstLine(e)})`);
      if (a.state === 'joining') await this.judge(a, records, { page: a.lastJoin });
      return;
    }
    if (read.join) a.lastJoin = read.join;
    const snap = read.stats;
    const prev = a.last;
    a.last = snap;
    const d = prev ? statsDelta(prev, snap) : undefined;
    if (a.state === 'joining') {
      await this.judge(a, records, { page: read.join, delta: d, connections: snap.connections });
      return;
    }
    if (a.state !== 'joined') return;
    const gone = judgeLeft(read.join);
    if (gone) {
      a.state = 'left';
      records.push({ ...ledger.stamp(), kind: 'event', event: 'left', participant: a.plan.name, ...gone });
      void leave(a);
      return;
    }
    if (!d) return;
    const sample: ParticipantSample = {
      ...ledger.stamp(),
      kind: 'participant',
      participant: a.plan.name,
      room: a.plan.room,
      role: a.plan.role,
      ...(a.plan.lite ? { lite: true } : {}),
      ...d,
      browser: a.plan.browser,
      ...(cpu?.cores !== undefined ? { browserCpuCores: cpu.cores } : {}),
      browserParticipants,
      ...(cpu?.pssMiB !== undefined ? { browserPssMiB: cpu.pssMiB } : {}),
    };
    // lite receivers drop video before decoding by design: a decode rate of 0 is not a figure
    if (a.plan.lite) delete sample.framesPerSecond;
    records.push(sample);
  }

  private async judge(a: Participant, records: SampleRecord[], seen: Pick<JoinObservation, 'page' | 'delta' | 'connections'>): Promise<void> {
    const { s, ledger, credentials } = this.c;
    const verdict = judgeJoin({
      elapsedMs: Date.now() - a.openedAt,
      timeoutMs: s.joinTimeoutMs,
      ...seen,
      password: { given: credentials?.roomPassword !== undefined, tried: a.passwordTried === true },
    });
    switch (verdict.kind) {
      case 'waiting':
        return;
      case 'enter-password':
        a.passwordTried = true;
        await withTimeout(a.page!.evaluate(enterRoomPassword, credentials!.roomPassword!), 5_000, 'entering the room password').catch(() => undefined);
        return;
      case 'joined':
        ledger.settle(a, { joined: true, detail: verdict.detail }, records);
        return;
      case 'failed': {
        const ranOut = SLOW_FAILURES.has(verdict.reason) ? this.c.resources.blame(verdict.detail, `${a.plan.name} did not join`) : undefined;
        ledger.settle(a, { joined: false, reason: verdict.reason, detail: ranOut ? `out of ${ranOut}: ${verdict.detail}` : verdict.detail }, records);
        void leave(a);
      }
    }
  }

  private async bridgeSamples(now: number): Promise<SampleRecord[]> {
    const { bridges, signal, ledger, log } = this.c;
    if (!bridges?.sampler) return [];
    try {
      const { step, bridges: count } = ledger.where;
      const found = await bridges.sampler.sample({ step, bridges: count, phase: ledger.phase }, signal);
      return found.map((b) => ({ ...b, t: b.t || now, step, bridges: count, phase: ledger.phase }));
    } catch (e) {
      const message = `bridge sampling failed: ${firstLine(e)}`;
      if (!signal.aborted && !this.warned.has(message)) log.warn(message);
      this.warned.add(message);
      return [];
    }
  }
}
