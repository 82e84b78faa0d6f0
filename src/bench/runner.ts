/**
 * The local runner: browsers on this machine, phases warmup → ramp-up → steady → ramp-down →
 * cooldown, once per bridge count of a sweep. Every record goes to samples.jsonl as it is taken.
 * Ctrl-C (the signal) stops joining, closes every browser, restores the bridges and returns what
 * was measured with `interrupted: true`.
 */
import { cpus } from 'node:os';
import { CommandError } from '../errors.js';
import type { Logger } from '../ui/log.js';
import { scaledDetail, sweepReplicas, type Bridges, type ScaleOutcome } from './bridges.js';
import { writeFakeVideo, type LaunchedBrowser } from './browsers.js';
import { ResourceWatch } from './exhaustion.js';
import { climbOptions, climbToKnee, type CapacitySearch } from './find-capacity.js';
import { readStepRecords } from './samples-file.js';
import { LOOKALIKE_STRESS_PER_PARTICIPANT, lookalikeBridges } from './loopback/lookalike-bridges.js';
import { findBrowser } from './find-browser.js';
import { startLoopbackConference, type LoopbackConference } from './loopback/server.js';
import { openSamples, writeScenarioFile, type SamplesWriter } from './samples-file.js';
import type { EventRecord, Phase, SampleRecord } from './samples.js';
import { assignParticipants, describeShape, type Assignment, type Scenario } from './scenario.js';
import { StepLedger, type Tally } from './step/account.js';
import { openParticipant, type ParticipantCredentials } from './step/join.js';
import { browserName, closeStepBrowsers, launchStepBrowsers, RampStop } from './step/launch.js';
import { rampDown } from './step/ramp-down.js';
import { StepResources } from './step/resources.js';
import { StepSampler } from './step/sample.js';
import { aborted, pause } from './step/timing.js';

export interface RunDeps {
  signal: AbortSignal;
  bridges?: Bridges;
  log?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** called with every record after it was written (progress, tests) */
  onRecord?: (r: SampleRecord) => void;
  /** called with the pid of every browser launched (tests check they are gone afterwards) */
  onBrowser?: (pid: number | undefined) => void;
  /** a protected site's token and room password: kept out of the scenario, samples and logs */
  credentials?: ParticipantCredentials;
  /** --find-capacity: cores of one bridge when known (the deployment's JVB request), for the per-core figure */
  bridgeCores?: number;
  /** --find-capacity: why this machine cannot drive a load, by the estimate (capacity.ts), before trying it */
  beyondGenerator?: (load: { participants: number; rooms: number }) => string | undefined;
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
  /** the machine ran out of memory, processes or shared memory: what, and the figures */
  exhausted?: string;
  /** --find-capacity: the climb and its knees */
  capacity?: CapacitySearch;
}

/**
 * After the first SIGINT/SIGTERM/SIGHUP a local run ends within this: the sampler's last tick
 * (≤ 2 s), closing the browsers (≤ 5 s, then their process groups are killed), the report.
 */
export const STOP_GRACE_MS = 15_000;

const quiet: Pick<Logger, 'info' | 'warn' | 'debug'> = { info: () => {}, warn: () => {}, debug: () => {} };

export { pause } from './step/timing.js';

/** What the user should know before trusting a run against this site. */
function warnAboutSite(s: Scenario, log: Pick<Logger, 'warn'>): void {
  if (s.target !== 'jitsi' || !s.url) return;
  const origin = new URL(s.url).origin;
  if (s.insecure) log.warn(`--insecure: certificate errors of ${origin} are ignored; the site's identity is not checked`);
  if (new URL(s.url).protocol === 'http:') log.warn(`${origin} is served over plain http: Chrome is told to treat it as secure so the fake camera works`);
}

/** What goes to scenario.json: the scenario's own fields at the top, then the plan and the machine. */
export function scenarioRecord(s: Scenario, plan: Assignment, startedAt: number): object {
  return {
    ...s,
    shape: describeShape(s),
    ramp: `${s.rampPerSecond}/s`,
    runner: 'local',
    startedAt: new Date(startedAt).toISOString(),
    machine: { cpus: cpus().length, platform: process.platform, node: process.version },
    plan,
  };
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
  tally: Tally;
  watch: ResourceWatch;
}

/** One pass of the five phases with a fixed number of bridges: launch, join, sample, ramp down. */
async function runStep(c: StepContext): Promise<void> {
  const { s, plan, step, bridges, signal } = c;
  const log = c.deps.log ?? quiet;
  const ledger = new StepLedger({ step, bridges }, c.samples, c.tally, c.deps.onRecord);
  const browsers: (LaunchedBrowser | undefined)[] = [];
  const resources = new StepResources(c.watch, ledger, browsers, log);
  const sampler = new StepSampler({ s, ledger, browsers, bridges: c.deps.bridges, signal, log, credentials: c.deps.credentials, resources });
  const ramp = new RampStop(ledger, plan.participants.length, signal, (m) => log.warn(m));
  try {
    // warmup: start the browsers (their start-up cost stays out of the ramp), sample idle bridges
    const warmupEnds = Date.now() + s.warmupMs;
    sampler.start();
    await launchStepBrowsers(
      { s, plan, executablePath: c.executablePath, fakeVideoFile: c.fakeVideoFile, conference: c.conference, signal, onBrowser: c.deps.onBrowser, ramp },
      browsers,
      ledger,
      resources,
    );
    if (ramp.launchFailure) log.warn(`step ${step + 1}: ${ramp.launchFailure}`);
    log.info(`step ${step + 1}: ${resources.livePids().length} of ${plan.browsers.length} browser(s) ready${bridges ? `, ${bridges} bridge(s)` : ''}`);
    await pause(warmupEnds - Date.now(), signal);

    if (!signal.aborted) {
      ledger.phase = 'ramp-up';
      await rampUp(c, ledger, browsers, ramp, resources);
      log.info(`step ${step + 1}: ${c.tally.joined} joined, ${c.tally.failed} failed; steady for ${Math.round(s.durationMs / 1_000)}s`);
    }
    if (!signal.aborted) {
      ledger.phase = 'steady';
      await pause(s.durationMs, signal);
    }
    if (!signal.aborted) {
      ledger.phase = 'ramp-down';
      await rampDown(ledger, s.rampPerSecond, signal);
    }
    if (!signal.aborted) {
      ledger.phase = 'cooldown';
      await pause(s.cooldownMs, signal);
    }
  } finally {
    ramp.closing = true;
    resources.closing = true;
    await sampler.stop();
    for (const a of ledger.participants.values()) if (a.state !== 'failed') a.state = 'left';
    await closeStepBrowsers(browsers);
  }
}

/**
 * Participants open their pages at their planned offsets; ramp-up ends when each has joined or failed.
 * Browsers that did start take their pages; a page or browser lost to exhaustion from here on stops the ramp.
 */
async function rampUp(c: StepContext, ledger: StepLedger, browsers: (LaunchedBrowser | undefined)[], ramp: RampStop, resources: StepResources): Promise<void> {
  const { s, signal } = c;
  const rampStart = Date.now();
  const joins: Promise<void>[] = [];
  const blamedBefore = c.watch.blamed;
  let notStarted = 0;
  for (const p of c.plan.participants) {
    if (c.watch.blamed > blamedBefore || (c.watch.exhausted && !browsers[p.browser])) {
      notStarted++;
      continue;
    }
    await pause(rampStart + p.joinAtMs - Date.now(), signal);
    if (signal.aborted || ramp.reason) break;
    if (!browsers[p.browser]) {
      ramp.stop(
        `the browser of ${p.name} (${browserName(p.browser, c.plan.browsers.length)}) is not running${ramp.launchFailure ? `: ${ramp.launchFailure}` : ''}`,
      );
      break;
    }
    // the kernel killed or refused something since the last page: no more pages on a machine that is out
    if (resources.blame(undefined, `the page of ${p.name} was not opened`)) {
      notStarted++;
      continue;
    }
    joins.push(
      openParticipant(ledger, p, browsers[p.browser], {
        s,
        conference: c.conference,
        credentials: c.deps.credentials,
        onBrowserError: (why) => ramp.stop(why),
        resources,
      }),
    );
  }
  if (notStarted)
    (c.deps.log ?? quiet).warn(`step ${c.step + 1}: ${notStarted} participant(s) not started: ${c.watch.exhausted?.message ?? 'out of resources'}`);
  // after Ctrl-C do not wait for pages still loading: closing their browsers ends them
  await Promise.race([Promise.all(joins), aborted(signal)]);
  // bounded by the join timeout: the sampler settles everyone by then
  const settleBy = Date.now() + s.joinTimeoutMs + 2 * s.sampleIntervalMs;
  while (!signal.aborted && Date.now() < settleBy && ledger.unsettled()) await pause(Math.min(250, s.sampleIntervalMs), signal);
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
  warnAboutSite(s, deps.log ?? quiet);
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
    // the worker's records carry the resources-exhausted event to the coordinator
    watch: new ResourceWatch(s.participantsPerBrowser),
  });
  return tally;
}

/** Runs a scenario on this machine; returns what was measured, also when interrupted. */
export async function runBench(s: Scenario, deps: RunDeps): Promise<RunOutcome> {
  const log = deps.log ?? quiet;
  const startedAt = Date.now();
  const plan = assignParticipants(s);
  const executablePath = findBrowser(s.browser);
  warnAboutSite(s, log);
  const emptyRooms = [...new Set(plan.participants.map((p) => p.room))].filter(
    (r) => !plan.participants.some((p) => p.room === r && (p.role === 'sender' || p.sendsAudio)),
  );
  if (emptyRooms.length) log.warn(`no one sends in ${emptyRooms.join(', ')}: their participants will have no media and count as failed joins`);
  const samples = openSamples(s.outDir);
  const scenarioFile = writeScenarioFile(s.outDir, scenarioRecord(s, plan, startedAt));
  const fakeVideoFile = writeFakeVideo(s.video);
  const tally = { joined: 0, failed: 0 };
  const watch = new ResourceWatch(s.participantsPerBrowser);
  let steps = 0;
  let conference: LoopbackConference | undefined;
  let capacity: CapacitySearch | undefined;
  const signal = deps.signal;
  let runDeps = deps;
  const ctx = (step: number, bridges: number): StepContext => ({
    s,
    plan,
    step,
    bridges,
    signal,
    samples,
    deps: runDeps,
    executablePath,
    fakeVideoFile,
    conference,
    tally,
    watch,
  });
  const record = (e: Omit<EventRecord, 't' | 'phase' | 'kind'>, phase: Phase = 'warmup') => {
    const r: EventRecord = { t: Date.now(), phase, kind: 'event', ...e };
    samples.append([r]);
    deps.onRecord?.(r);
  };
  try {
    if (s.target === 'loopback') {
      conference = await startLoopbackConference(s.listen);
      log.info(`loopback conference on ${conference.url}`);
      if (s.findCapacity) {
        // LOOK-ALIKE bridges (Jitsi cannot run here): their stress rises with their participants
        const rate = s.lookalikeStress ?? LOOKALIKE_STRESS_PER_PARTICIPANT;
        runDeps = { ...deps, bridges: lookalikeBridges(conference, { count: s.replicas?.[0] ?? 1, stressPerParticipant: rate }) };
        log.info(`look-alike bridges: stress ${rate} per participant (${Math.floor(0.8 / rate + 1e-9)} participants per bridge reach 0.8)`);
      }
    }
    const scaler = runDeps.bridges?.scaler;
    const hooks = {
      onScaled: (step: number, bridges: number, o: ScaleOutcome | void) =>
        record({ step, bridges, event: 'scaled', detail: scaledDetail('scaled', bridges, o), ...(o?.drained ? { drainMs: o.drained.drainedMs } : {}) }),
      onRestored: (bridges: number, o: ScaleOutcome | void) =>
        record(
          {
            step: Math.max(0, steps - 1),
            bridges,
            event: 'scaled',
            detail: scaledDetail('restored', bridges, o),
            ...(o?.drained ? { drainMs: o.drained.drainedMs } : {}),
          },
          'cooldown',
        ),
    };
    if (s.findCapacity) {
      capacity = await climbToKnee(climbOptions(s, runDeps, log, cpus().length), {
        atEachBridgeCount: async (body) => {
          if (!s.replicas?.length || !scaler) return body(scaler ? await scaler.current(signal) : 0);
          // the search's own step numbers: a scale is recorded at the step that follows it
          await sweepReplicas(scaler, s.replicas, signal, (_i, bridges) => body(bridges), {
            ...hooks,
            onScaled: (_i, bridges, o) => hooks.onScaled(steps, bridges, o),
          });
        },
        beyondGenerator: deps.beyondGenerator,
        runLoad: async (load) => {
          steps++;
          const sv = { ...s, participants: load.participants, rooms: load.rooms };
          const cpuBefore = watch.cpuGroups();
          const exhaustedBefore = watch.exhausted;
          log.info(`find-capacity step ${load.step + 1}: ${load.participants} participants in ${load.rooms} room(s) on ${load.bridges} bridge(s)`);
          // each step counts its own joins (the log says them per step); the run's totals add them up
          const stepTally = { joined: 0, failed: 0 };
          await runStep({ ...ctx(load.step, load.bridges), s: sv, plan: assignParticipants(sv), tally: stepTally });
          tally.joined += stepTally.joined;
          tally.failed += stepTally.failed;
          const starved = watch.cpuStarvedSince(cpuBefore);
          const exhausted = !exhaustedBefore && watch.exhausted ? watch.exhausted.message : undefined;
          return {
            records: readStepRecords(samples.path, load.step),
            generatorLimit: exhausted ?? (starved ? `the browsers were short of CPU: ${starved}` : undefined),
          };
        },
      });
    } else if (s.replicas && s.replicas.length) {
      if (!scaler)
        throw new CommandError(
          'sweeping --replicas needs the bridges of a Kubernetes deployment',
          'run without --replicas, or against a Jitsi deployment installed by jitsi-k8s',
        );
      await sweepReplicas(
        scaler,
        s.replicas,
        signal,
        async (step, bridges) => {
          steps++;
          await runStep(ctx(step, bridges));
        },
        hooks,
      );
    } else {
      const bridges = scaler ? await scaler.current(signal) : 0;
      steps = 1;
      await runStep(ctx(0, bridges));
    }
  } finally {
    if (signal.aborted)
      record(
        { step: Math.max(0, steps - 1), bridges: 0, event: 'interrupted', detail: signal.reason instanceof Error ? signal.reason.message : 'interrupted' },
        'cooldown',
      );
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
    exhausted: watch.exhausted?.message,
    capacity,
  };
}
