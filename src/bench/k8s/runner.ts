/**
 * `bench --runner k8s`: the same scenario, phases, sweep and report as the local runner, with the
 * participants driven by load-generator pods (one Indexed Job per sweep step). The coordinator
 * samples the bridges itself, labelling each sample with the phase the shared schedule is in.
 */
import { randomBytes } from 'node:crypto';
import type { Kube } from '../../cluster/kube.js';
import { UsageError } from '../../errors.js';
import { stringify } from 'yaml';
import { scaledDetail, sweepReplicas, type Bridges, type ScaleOutcome } from '../bridges.js';
import { climbOptions, climbToKnee, type CapacitySearch } from '../find-capacity.js';
import { BridgePlacement } from '../placement.js';
import { pause } from '../runner.js';
import { openSamples, readStepRecords, writeScenarioFile } from '../samples-file.js';
import type { Phase, SampleRecord } from '../samples.js';
import { assignParticipants, describeShape, type Scenario } from '../scenario.js';
import { measureClockOffset } from './clock.js';
import { runWorkersStep, type StepOutcome } from './coordinator.js';
import type { SiteCredentials } from '../step/join.js';
import { buildConfigMap, buildJob, buildSiteSecret, siteSecretNames, type ParticipantCost, type WorkerJobInput } from './job.js';
import { shardAssignment, type Shard } from './shard.js';

export interface K8sBenchOptions {
  scenario: Scenario;
  perPod: number;
  splitRooms: boolean;
  image: string;
  /** dist/worker.mjs gzipped, base64 (./bundle.ts) */
  workerBundle: string;
  namespace: string;
  nodeSelector?: Record<string, string>;
  /** the bridges' release: load generators keep off their nodes unless undefined */
  avoidBridges?: { namespace: string; release: string };
  /** time for pods to start (image pull, Chrome start) before ramp-up, ms */
  startDelayMs: number;
  cost: ParticipantCost;
}

/** The shared schedule of a step, from its ramp-up deadline. */
export function stepSchedule(s: Scenario, shards: Shard[], startAtMs: number) {
  const plan = assignParticipants(s);
  const lastJoin = Math.max(0, ...plan.participants.map((p) => p.joinAtMs));
  const rampUpEnd = startAtMs + lastJoin + s.joinTimeoutMs;
  const steadyEnd = rampUpEnd + s.durationMs;
  const biggest = Math.max(0, ...shards.map((x) => x.participants.length));
  const rampDownEnd = steadyEnd + Math.ceil((biggest * 1_000) / s.rampPerSecond);
  const end = rampDownEnd + s.cooldownMs;
  const phaseAt = (t: number): Phase => (t < startAtMs ? 'warmup' : t < rampUpEnd ? 'ramp-up' : t < steadyEnd ? 'steady' : t < rampDownEnd ? 'ramp-down' : 'cooldown');
  return { rampUpEnd, steadyEnd, rampDownEnd, end, phaseAt };
}

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

/** The spec workers get: nothing that only makes sense on the coordinator's machine. */
function workerScenario(s: Scenario): Scenario {
  return { ...s, browser: undefined, outDir: '-' };
}

export function jobInput(o: K8sBenchOptions, runId: string, step: number, bridges: number, shards: Shard[], startAtMs: number): WorkerJobInput {
  const schedule = stepSchedule(o.scenario, shards, startAtMs);
  return {
    runId,
    step,
    bridges,
    namespace: o.namespace,
    scenario: workerScenario(o.scenario),
    shards,
    startAtMs,
    image: o.image,
    workerBundle: o.workerBundle,
    cost: o.cost,
    nodeSelector: o.nodeSelector,
    avoidBridges: o.avoidBridges,
    // the whole step plus room for a slow start; Kubernetes ends the Job after that whatever happens
    deadlineSeconds: Math.ceil((schedule.end - Date.now()) / 1000) + 300,
  };
}

/** `--dry-run`: the shard plan, the ConfigMap, the site's Secret (values redacted) and the Job of the first step, as YAML. */
export function dryRunYaml(o: K8sBenchOptions, credentials: SiteCredentials = {}): string {
  const plan = assignParticipants(o.scenario);
  const shards = shardAssignment(plan, { perPod: o.perPod, splitRooms: o.splitRooms });
  const senders = new Set(plan.participants.filter((p) => p.role === 'sender').map((p) => p.index));
  const job = { ...jobInput(o, 'dryrun', 0, o.scenario.replicas?.[0] ?? 0, shards, Date.now() + o.startDelayMs), siteSecrets: siteSecretNames(credentials) };
  const shardPlan = {
    shards: shards.map((s) => ({ index: s.index, participants: s.participants.length, senders: s.senders, rooms: s.rooms })),
    steps: (o.scenario.replicas ?? [undefined]).map((bridges, step) => ({ step, bridges: bridges ?? 'unchanged' })),
  };
  // the bundle itself is hundreds of KiB of base64: named, not printed
  const configMap = buildConfigMap({ ...job, workerBundle: `<dist/worker.mjs gzipped: ${Math.round((o.workerBundle.length * 3) / 4 / 1024)} KiB, left out of --dry-run>` });
  const secret = job.siteSecrets.length
    ? [`# the site's credentials, values redacted\n${stringify(buildSiteSecret(job, Object.fromEntries(job.siteSecrets.map((k) => [k, ''])), { redacted: true }))}`]
    : [];
  return [`# shard plan (${shards.length} load generator${shards.length === 1 ? '' : 's'}, at most ${o.perPod} participants each)\n${stringify(shardPlan)}`, stringify(configMap), ...secret, stringify(buildJob(job, senders))].join('---\n');
}

export interface K8sRunOutcome {
  outDir: string;
  samplesFile: string;
  interrupted: boolean;
  steps: number;
  joined: number;
  failed: number;
  workersDied: number;
  records: number;
  wallMs: number;
  /** --find-capacity: the climb and its knees */
  capacity?: CapacitySearch;
}

export async function runK8sBench(
  o: K8sBenchOptions,
  deps: { kube: Kube; bridges?: Bridges; signal: AbortSignal; log: { info(m: string): void; warn(m: string): void; debug(m: string): void }; credentials?: SiteCredentials; bridgeCores?: number },
): Promise<K8sRunOutcome> {
  const s = o.scenario;
  if (s.target !== 'jitsi' || !s.url) throw new UsageError('--runner k8s drives a Jitsi site: give --url (the loopback conference runs on this machine only)');
  const startedAt = Date.now();
  const runId = newRunId();
  const plan = assignParticipants(s);
  const shards = shardAssignment(plan, { perPod: o.perPod, splitRooms: o.splitRooms });
  const samples = openSamples(s.outDir);
  const coordinatorClock = await measureClockOffset(s.url, deps.signal);
  const perStep: StepOutcome[] = [];
  const scenarioFile = () =>
    writeScenarioFile(s.outDir, {
      ...s,
      shape: describeShape(s),
      ramp: `${s.rampPerSecond}/s`,
      runner: 'k8s',
      startedAt: new Date(startedAt).toISOString(),
      plan,
      k8s: {
        runId,
        namespace: o.namespace,
        image: o.image,
        perPod: o.perPod,
        shards: shards.map((x) => ({ index: x.index, participants: x.participants.length, senders: x.senders, rooms: x.rooms })),
        // where the load generators ran and how far their clocks were from this machine's
        steps: perStep.map((p, step) => ({ step, nodes: p.nodes, clockSkewMs: p.clockSkewMs, workersDied: p.workersDied, workersStopped: p.workersStopped })),
        coordinatorClock,
      },
    });
  scenarioFile();
  const placement = new BridgePlacement();
  const emit = (r: SampleRecord[]) => samples.append(placement.place(r));
  let steps = 0;

  // a climb runs each step with its own load: its own plan and shards
  const runOneStep = async (step: number, bridges: number, load: Scenario = s) => {
    steps++;
    const stepShards = load === s ? shards : shardAssignment(assignParticipants(load), { perPod: o.perPod, splitRooms: o.splitRooms });
    const startAtMs = Date.now() + o.startDelayMs;
    const schedule = stepSchedule(load, stepShards, startAtMs);
    let sampling = true;
    const sampler = (async () => {
      if (!deps.bridges?.sampler) return;
      while (sampling && !deps.signal.aborted) {
        const now = Date.now();
        try {
          const found = await deps.bridges.sampler.sample({ step, bridges, phase: schedule.phaseAt(now) }, deps.signal);
          emit(found.map((b) => ({ ...b, t: b.t || now, step, bridges, phase: schedule.phaseAt(now) })));
        } catch (e) {
          deps.log.debug(`bridge sampling: ${(e as Error).message}`);
        }
        await pause(s.sampleIntervalMs, deps.signal);
      }
    })();
    try {
      perStep[step] = await runWorkersStep(jobInput({ ...o, scenario: load }, runId, step, bridges, stepShards, startAtMs), {
        kube: deps.kube,
        samples,
        signal: deps.signal,
        log: deps.log,
        coordinatorOffsetMs: coordinatorClock?.offsetMs,
        annotate: (records) => placement.place(records),
        credentials: deps.credentials,
      });
    } finally {
      sampling = false;
      await sampler;
      scenarioFile();
    }
  };

  const hooks = {
    onScaled: (step: number, bridges: number, o: ScaleOutcome | void) =>
      emit([{ kind: 'event', event: 'scaled', t: Date.now(), step, bridges, phase: 'warmup', detail: scaledDetail('scaled', bridges, o), ...(o?.drained ? { drainMs: o.drained.drainedMs } : {}) }]),
    onRestored: (bridges: number, o: ScaleOutcome | void) =>
      emit([
        { kind: 'event', event: 'scaled', t: Date.now(), step: Math.max(0, steps - 1), bridges, phase: 'cooldown', detail: scaledDetail('restored', bridges, o), ...(o?.drained ? { drainMs: o.drained.drainedMs } : {}) },
      ]),
  };
  let capacity: CapacitySearch | undefined;
  try {
    if (s.findCapacity) {
      // the same climb as the local runner; a load generator that died is the generator's limit, not the bridges'
      capacity = await climbToKnee(climbOptions(s, { bridges: deps.bridges, bridgeCores: deps.bridgeCores, signal: deps.signal }, deps.log), {
        atEachBridgeCount: async (body) => {
          const scaler = deps.bridges?.scaler;
          if (!s.replicas?.length || !scaler) return body(scaler ? await scaler.current(deps.signal) : 0);
          await sweepReplicas(scaler, s.replicas, deps.signal, (_i, bridges) => body(bridges), { ...hooks, onScaled: (_i, bridges, o) => hooks.onScaled(steps, bridges, o) });
        },
        runLoad: async (load) => {
          await runOneStep(load.step, load.bridges, { ...s, participants: load.participants, rooms: load.rooms });
          const died = perStep[load.step]?.workersDied ?? [];
          return {
            records: readStepRecords(samples.path, load.step),
            generatorLimit: died.length ? `${died.length} load-generator pod(s) died at ${load.participants} participants (shards ${died.join(', ')}): give them more memory and CPU, or fewer participants each (--per-pod)` : undefined,
          };
        },
      });
    } else if (s.replicas?.length) {
      if (!deps.bridges?.scaler) throw new UsageError('sweeping --replicas needs the bridges of a deployment installed by jitsi-k8s (its jitsi-k8s.yaml)');
      await sweepReplicas(deps.bridges.scaler, s.replicas, deps.signal, (step, bridges) => runOneStep(step, bridges), hooks);
    } else {
      await runOneStep(0, deps.bridges?.scaler ? await deps.bridges.scaler.current(deps.signal) : 0);
    }
  } finally {
    if (deps.signal.aborted) emit([{ kind: 'event', event: 'interrupted', t: Date.now(), step: Math.max(0, steps - 1), bridges: 0, phase: 'cooldown', detail: deps.signal.reason instanceof Error ? deps.signal.reason.message : 'interrupted' }]);
  }
  return {
    outDir: s.outDir,
    samplesFile: samples.path,
    interrupted: deps.signal.aborted,
    steps,
    joined: perStep.reduce((n, p) => n + (p?.joined ?? 0), 0),
    failed: perStep.reduce((n, p) => n + (p?.failed ?? 0), 0),
    workersDied: perStep.reduce((n, p) => n + (p?.workersDied.length ?? 0), 0),
    records: samples.count,
    wallMs: Date.now() - startedAt,
    capacity,
  };
}
