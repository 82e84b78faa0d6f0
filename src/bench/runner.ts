/**
 * The local runner: browsers on this machine, phases warmup → ramp-up → steady → ramp-down →
 * cooldown, once per bridge count of a sweep. Every record goes to samples.jsonl as it is taken.
 * Ctrl-C (the signal) stops joining, closes every browser, restores the bridges and returns what
 * was measured with `interrupted: true`.
 */
import { cpus } from 'node:os';
import type { Page } from 'puppeteer-core';
import { CommandError } from '../errors.js';
import type { Logger } from '../ui/log.js';
import { sweepReplicas, type Bridges } from './bridges.js';
import { BridgePlacement } from './placement.js';
import { closeBrowser, launchBrowser, writeFakeVideo, type LaunchedBrowser } from './browsers.js';
import { findBrowser } from './find-browser.js';
import { jitsiRoomUrl } from './jitsi.js';
import { startLoopbackConference, type LoopbackConference } from './loopback/server.js';
import { mediaFlowing, PROBE_SCRIPT, READ_EXPRESSION, statsDelta, type RawSnapshot } from './probe.js';
import { cpuBetween, processTreeUsage } from './procstats.js';
import { openSamples, writeScenarioFile, type SamplesWriter } from './samples-file.js';
import type { EventRecord, ParticipantSample, Phase, SampleRecord } from './samples.js';
import { assignParticipants, type Assignment, type ParticipantPlan, type Scenario } from './scenario.js';

export interface RunDeps {
  signal: AbortSignal;
  bridges?: Bridges;
  log?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** called with every record after it was written (progress, tests) */
  onRecord?: (r: SampleRecord) => void;
  /** called with the pid of every browser launched (tests check they are gone afterwards) */
  onBrowser?: (pid: number | undefined) => void;
}

export interface RunOutcome {
  outDir: string;
  samplesFile: string;
  scenarioFile: string;
  interrupted: boolean;
  steps: number;
  joined: number;
  failed: number;
  records: number;
  wallMs: number;
}

const quiet: Pick<Logger, 'info' | 'warn' | 'debug'> = { info: () => {}, warn: () => {}, debug: () => {} };

/** Waits ms, or less when the signal aborts; never throws. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when the signal aborts (never otherwise). */
function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms}ms`)), ms);
    }),
  ]);
}

/** What goes to scenario.json: the scenario's own fields at the top, then the plan and the machine. */
export function scenarioRecord(s: Scenario, plan: Assignment, startedAt: number): object {
  return {
    ...s,
    ramp: `${s.rampPerSecond}/s`,
    runner: 'local',
    startedAt: new Date(startedAt).toISOString(),
    machine: { cpus: cpus().length, platform: process.platform, node: process.version },
    plan,
  };
}

/** What the loopback page says about itself (state, errors), for a join failure's detail. */
async function pageState(page: Page | undefined): Promise<string> {
  if (!page) return '';
  try {
    const st = await withTimeout(page.evaluate(() => (window as unknown as { __jk8sPage?: { state: string; errors: string[]; peers: number } }).__jk8sPage), 2_000, 'page state');
    return st ? `; page ${st.state}, ${st.peers} peer(s)${st.errors.length ? `, ${st.errors.slice(0, 3).join('; ')}` : ''}` : '';
  } catch {
    return '';
  }
}

/** A site on this machine's loopback address: Chrome must be allowed loopback ICE candidates. */
function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

interface Active {
  plan: ParticipantPlan;
  page?: Page;
  state: 'opening' | 'joining' | 'joined' | 'failed' | 'left';
  openedAt: number;
  last?: RawSnapshot;
}

interface StepContext {
  s: Scenario;
  plan: Assignment;
  step: number;
  bridges: number;
  signal: AbortSignal;
  samples: SamplesWriter;
  deps: RunDeps;
  executablePath: string;
  fakeVideoFile: string;
  conference?: LoopbackConference;
  tally: { joined: number; failed: number };
}

/** One pass of the five phases with a fixed number of bridges. */
async function runStep(c: StepContext): Promise<void> {
  const { s, plan, step, bridges, signal, samples } = c;
  const log = c.deps.log ?? quiet;
  let phase: Phase = 'warmup';
  const base = () => ({ t: Date.now(), step, bridges, phase });
  const placement = new BridgePlacement();
  const emit = (found: SampleRecord[]) => {
    // participants are placed on the bridge whose advertised address they send media to
    const records = placement.place(found);
    samples.append(records);
    for (const r of records) c.deps.onRecord?.(r);
  };
  const event = (e: Omit<EventRecord, 't' | 'step' | 'bridges' | 'phase' | 'kind'>) => emit([{ ...base(), kind: 'event', ...e }]);
  const browsers: (LaunchedBrowser | undefined)[] = [];
  const active = new Map<string, Active>();
  let sampling = true;
  let samplerDone: Promise<void> = Promise.resolve();

  const leave = async (a: Active) => {
    const page = a.page;
    a.page = undefined;
    if (!page) return;
    try {
      await withTimeout(
        page.evaluate(() => (window as unknown as { __jk8sLeave?: () => void }).__jk8sLeave?.()).then(() => page.close()),
        5_000,
        'leaving',
      );
    } catch {
      // the browser closes it anyway
    }
  };

  const urlFor = (p: ParticipantPlan): string => {
    if (c.conference) {
      const q = new URLSearchParams({
        room: p.room,
        name: p.name,
        video: p.role === 'sender' ? '1' : '0',
        audio: p.sendsAudio ? '1' : '0',
        lite: p.lite ? '1' : '0',
        w: String(s.video.width),
        h: String(s.video.height),
        fps: String(s.video.fps),
        allow: c.conference.host,
      });
      return `${c.conference.url}?${q}`;
    }
    return jitsiRoomUrl(s.url!, p, s.video);
  };

  const join = async (p: ParticipantPlan) => {
    const a: Active = { plan: p, state: 'opening', openedAt: Date.now() };
    active.set(p.name, a);
    const browser = browsers[p.browser];
    try {
      if (!browser) throw new Error('its browser did not start');
      const page = await browser.browser.newPage();
      a.page = page;
      page.once('error', (err) => {
        // the page's renderer crashed: say so instead of letting its samples just stop
        if (a.state !== 'joined' && a.state !== 'joining') return;
        if (a.state === 'joining') c.tally.failed++;
        event({ event: a.state === 'joined' ? 'left' : 'join-failed', participant: p.name, detail: `page crashed: ${err.message.split('\n')[0]}` });
        a.state = a.state === 'joined' ? 'left' : 'failed';
        a.page = undefined;
      });
      await page.evaluateOnNewDocument(PROBE_SCRIPT);
      await page.goto(urlFor(p), { waitUntil: 'domcontentloaded', timeout: s.joinTimeoutMs });
      if (a.state === 'opening') a.state = 'joining';
    } catch (e) {
      if (a.state === 'left') return;
      a.state = 'failed';
      c.tally.failed++;
      event({ event: 'join-failed', participant: p.name, detail: (e as Error).message.split('\n')[0] });
      await leave(a);
    }
  };

  // one tick: every open page's getStats(), every browser's CPU, every bridge
  const prevCpu = new Map<number, { perProcess: Map<number, number>; t: number }>();
  const lastPss = new Map<number, number>();
  const warned = new Set<string>();
  let ticks = 0;
  let knownPids: number[] = [];
  const tick = async () => {
    const now = Date.now();
    const pids = browsers.map((b) => b?.pid).filter((p): p is number => p !== undefined);
    // PSS costs the kernel a page-table walk per process (~25 ms per browser): read it every 10th
    // tick; scanning all of /proc for new Chromium processes every 5th, else only the known ones
    const fresh = pids.some((p) => !lastPss.has(p));
    const usage = processTreeUsage(pids, ticks % 10 === 0 || fresh, ticks % 5 === 0 || fresh ? undefined : knownPids);
    ticks++;
    knownPids = [...usage.values()].flatMap((u) => [...u.perProcess.keys()]);
    for (const [pid, u] of usage) if (u.pssMiB !== undefined) lastPss.set(pid, u.pssMiB);
    const browserCores = new Map<number, { cores?: number; pssMiB?: number }>();
    for (const [i, b] of browsers.entries()) {
      const u = b?.pid !== undefined ? usage.get(b.pid) : undefined;
      if (!u || b?.pid === undefined) continue;
      const prev = prevCpu.get(b.pid);
      prevCpu.set(b.pid, { perProcess: u.perProcess, t: now });
      const cores = prev && now > prev.t ? Math.round((cpuBetween(prev.perProcess, u.perProcess) / ((now - prev.t) / 1_000)) * 1_000) / 1_000 : undefined;
      browserCores.set(i, { cores, pssMiB: lastPss.get(b.pid) });
    }
    const open = [...active.values()].filter((a) => a.page && (a.state === 'joining' || a.state === 'joined'));
    const pagesPerBrowser = new Map<number, number>();
    for (const a of open) pagesPerBrowser.set(a.plan.browser, (pagesPerBrowser.get(a.plan.browser) ?? 0) + 1);
    const records: SampleRecord[] = [];
    await Promise.all(
      open.map(async (a) => {
        let snap: RawSnapshot;
        try {
          snap = await withTimeout(a.page!.evaluate(READ_EXPRESSION) as Promise<RawSnapshot>, Math.max(2_000, s.sampleIntervalMs * 2), 'getStats');
        } catch (e) {
          if (a.state === 'joined') log.debug(`${a.plan.name}: no stats this interval (${(e as Error).message.split('\n')[0]})`);
          if (a.state === 'joining' && Date.now() - a.openedAt > s.joinTimeoutMs) {
            a.state = 'failed';
            c.tally.failed++;
            records.push({ ...base(), kind: 'event', event: 'join-failed', participant: a.plan.name, detail: `no stats from the page after ${s.joinTimeoutMs}ms` });
            void leave(a);
          }
          return;
        }
        const prev = a.last;
        a.last = snap;
        if (!prev) return; // the first read is the baseline
        const d = statsDelta(prev, snap);
        if (a.state === 'joining') {
          if (mediaFlowing(d)) {
            a.state = 'joined';
            c.tally.joined++;
            records.push({ ...base(), kind: 'event', event: 'joined', participant: a.plan.name, detail: `media after ${Date.now() - a.openedAt}ms` });
          } else if (Date.now() - a.openedAt > s.joinTimeoutMs) {
            a.state = 'failed';
            c.tally.failed++;
            const why = await pageState(a.page);
            records.push({ ...base(), kind: 'event', event: 'join-failed', participant: a.plan.name, detail: `no media after ${s.joinTimeoutMs}ms (${snap.connections} connection(s)${why})` });
            void leave(a);
          }
          return;
        }
        if (a.state !== 'joined') return;
        const cpu = browserCores.get(a.plan.browser);
        const sample: ParticipantSample = {
          ...base(),
          kind: 'participant',
          participant: a.plan.name,
          room: a.plan.room,
          role: a.plan.role,
          ...d,
          browser: a.plan.browser,
          ...(cpu?.cores !== undefined ? { browserCpuCores: cpu.cores } : {}),
          browserParticipants: pagesPerBrowser.get(a.plan.browser) ?? 0,
          ...(cpu?.pssMiB !== undefined ? { browserPssMiB: cpu.pssMiB } : {}),
        };
        records.push(sample);
      }),
    );
    if (c.deps.bridges?.sampler) {
      try {
        const found = await c.deps.bridges.sampler.sample({ step, bridges, phase }, signal);
        records.push(...found.map((b) => ({ ...b, t: b.t || now, step, bridges, phase })));
      } catch (e) {
        const message = `bridge sampling failed: ${(e as Error).message.split('\n')[0]}`;
        if (!signal.aborted && !warned.has(message)) log.warn(message);
        warned.add(message);
      }
    }
    emit(records);
  };

  const sampler = async () => {
    const start = Date.now();
    for (let k = 1; sampling; k++) {
      // a slow tick skips the intervals it overran instead of bunching the next ones
      k = Math.max(k, Math.ceil((Date.now() - start) / s.sampleIntervalMs));
      await pause(start + k * s.sampleIntervalMs - Date.now(), signal);
      if (!sampling) break;
      await tick();
      if (signal.aborted) break;
    }
  };

  try {
    // warmup: start the browsers (their start-up cost stays out of the ramp), sample idle bridges
    const warmupEnds = Date.now() + s.warmupMs;
    samplerDone = sampler();
    for (const b of plan.browsers) {
      if (signal.aborted) break;
      const launched = await launchBrowser(c.executablePath, {
        kind: b.kind,
        video: s.video,
        loopback: s.target === 'loopback' || isLoopbackUrl(s.url),
        fakeVideoFile: b.kind === 'sender' ? c.fakeVideoFile : undefined,
        trustedOrigin: c.conference && c.conference.host !== '127.0.0.1' ? new URL(c.conference.url).origin : undefined,
      });
      browsers[b.index] = launched;
      c.deps.onBrowser?.(launched.pid);
    }
    log.info(`step ${step + 1}: ${plan.browsers.length} browser(s) ready${bridges ? `, ${bridges} bridge(s)` : ''}`);
    await pause(warmupEnds - Date.now(), signal);

    if (!signal.aborted) {
      phase = 'ramp-up';
      const rampStart = Date.now();
      const joins: Promise<void>[] = [];
      for (const p of plan.participants) {
        await pause(rampStart + p.joinAtMs - Date.now(), signal);
        if (signal.aborted) break;
        joins.push(join(p));
      }
      // after Ctrl-C do not wait for pages still loading: closing their browsers ends them
      await Promise.race([Promise.all(joins), aborted(signal)]);
      // ramp-up ends when every participant has joined or failed (bounded by the join timeout)
      const settleBy = Date.now() + s.joinTimeoutMs + 2 * s.sampleIntervalMs;
      while (!signal.aborted && Date.now() < settleBy && [...active.values()].some((a) => a.state === 'opening' || a.state === 'joining')) {
        await pause(Math.min(250, s.sampleIntervalMs), signal);
      }
      log.info(`step ${step + 1}: ${c.tally.joined} joined, ${c.tally.failed} failed; steady for ${Math.round(s.durationMs / 1_000)}s`);
    }

    if (!signal.aborted) {
      phase = 'steady';
      await pause(s.durationMs, signal);
    }

    if (!signal.aborted) {
      phase = 'ramp-down';
      const leaving = [...active.values()].filter((a) => a.state === 'joined' || a.state === 'joining');
      for (const a of leaving) {
        if (signal.aborted) break;
        a.state = 'left';
        await leave(a);
        event({ event: 'left', participant: a.plan.name });
        await pause(1_000 / s.rampPerSecond, signal);
      }
    }

    if (!signal.aborted) {
      phase = 'cooldown';
      await pause(s.cooldownMs, signal);
    }
  } finally {
    sampling = false;
    await samplerDone.catch(() => {});
    for (const a of active.values()) if (a.state !== 'failed') a.state = 'left';
    await Promise.all(browsers.map((b) => (b ? closeBrowser(b) : undefined)));
  }
}

/**
 * Runs one step for a pre-planned set of participants (a load generator's shard) into `samples`.
 * The k8s worker uses it: the scenario's warmup is set so ramp-up starts at the shared deadline.
 */
export async function runPlannedStep(
  s: Scenario,
  plan: Assignment,
  where: { step: number; bridges: number },
  samples: SamplesWriter,
  deps: RunDeps,
): Promise<{ joined: number; failed: number }> {
  const tally = { joined: 0, failed: 0 };
  await runStep({
    s,
    plan,
    step: where.step,
    bridges: where.bridges,
    signal: deps.signal,
    samples,
    deps,
    executablePath: findBrowser(s.browser),
    fakeVideoFile: writeFakeVideo(s.video),
    tally,
  });
  return tally;
}

/** Runs a scenario on this machine; returns what was measured, also when interrupted. */
export async function runBench(s: Scenario, deps: RunDeps): Promise<RunOutcome> {
  const log = deps.log ?? quiet;
  const startedAt = Date.now();
  const plan = assignParticipants(s);
  const executablePath = findBrowser(s.browser);
  const emptyRooms = [...new Set(plan.participants.map((p) => p.room))].filter((r) => !plan.participants.some((p) => p.room === r && (p.role === 'sender' || p.sendsAudio)));
  if (emptyRooms.length) log.warn(`no one sends in ${emptyRooms.join(', ')}: their participants will have no media and count as failed joins`);
  const samples = openSamples(s.outDir);
  const scenarioFile = writeScenarioFile(s.outDir, scenarioRecord(s, plan, startedAt));
  const fakeVideoFile = writeFakeVideo(s.video);
  const tally = { joined: 0, failed: 0 };
  let steps = 0;
  let conference: LoopbackConference | undefined;
  const signal = deps.signal;
  const ctx = (step: number, bridges: number): StepContext => ({ s, plan, step, bridges, signal, samples, deps, executablePath, fakeVideoFile, conference, tally });
  const record = (e: Omit<EventRecord, 't' | 'phase' | 'kind'>, phase: Phase = 'warmup') => {
    const r: EventRecord = { t: Date.now(), phase, kind: 'event', ...e };
    samples.append([r]);
    deps.onRecord?.(r);
  };
  try {
    if (s.target === 'loopback') {
      conference = await startLoopbackConference(s.listen);
      log.info(`loopback conference on ${conference.url}`);
    }
    const scaler = deps.bridges?.scaler;
    if (s.replicas && s.replicas.length) {
      if (!scaler) throw new CommandError('sweeping --replicas needs the bridges of a Kubernetes deployment', 'run without --replicas, or against a Jitsi deployment installed by jitsi-k8s');
      await sweepReplicas(
        scaler,
        s.replicas,
        signal,
        async (step, bridges) => {
          steps++;
          await runStep(ctx(step, bridges));
        },
        {
          onScaled: (step, bridges) => record({ step, bridges, event: 'scaled', detail: `bridges scaled to ${bridges}` }),
          onRestored: (bridges) => record({ step: Math.max(0, steps - 1), bridges, event: 'scaled', detail: `bridges restored to ${bridges}` }, 'cooldown'),
        },
      );
    } else {
      const bridges = scaler ? await scaler.current(signal) : 0;
      steps = 1;
      await runStep(ctx(0, bridges));
    }
  } finally {
    if (signal.aborted) record({ step: Math.max(0, steps - 1), bridges: 0, event: 'interrupted', detail: 'stopped by Ctrl-C' }, 'cooldown');
    await conference?.close();
  }
  return {
    outDir: s.outDir,
    samplesFile: samples.path,
    scenarioFile,
    interrupted: signal.aborted,
    steps,
    joined: tally.joined,
    failed: tally.failed,
    records: samples.count,
    wallMs: Date.now() - startedAt,
  };
}
