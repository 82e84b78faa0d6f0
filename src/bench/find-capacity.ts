/**
 * `bench --find-capacity`: the one step driver both runners use. At each bridge count it adds rooms
 * of the scenario's shape — doubling while every threshold holds (coarse), then halving the gap
 * between the last load that held and the first that broke (finer), down to one room — and reports
 * the largest load that held. It stops as soon as the load generator, not the bridges, is what
 * limits the run. The runners (runner.ts, k8s/runner.ts) only run one step of a given load and hand
 * back its records; judging a step (summarize + thresholds) is done here, the same for both.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateThresholds, parseThresholds } from './results/thresholds.js';
import { summarize } from './results/summarize.js';
import type { PhaseSummary } from './results/summary.js';
import type { SampleRecord } from './samples.js';
import type { Scenario } from './scenario.js';
import type { Bridges } from './bridges.js';
import { CAPACITY_SEARCH_FILE, type CapacitySearch, type ClimbLoad, type ClimbStep, type Knee, type RoomShape } from './climb-record.js';

export { GENERATOR_LIMIT } from './climb-record.js';
export type { CapacitySearch, ClimbStep, Knee, RoomShape, ClimbLoad } from './climb-record.js';
import { CAPACITY_PROFILE_SCHEMA, CHART_JVB_IMAGE, type CapacityProfile, type MeasuredOn } from '../config/capacity-profile.js';

/**
 * Used when no --threshold is given. jicofo treats a bridge at stress above 0.8 as overloaded
 * (jicofo reference.conf, `bridge.stress-threshold = 0.8`); loss above 1 % is audible; every
 * participant of the step must have joined.
 */
export const CAPACITY_THRESHOLDS = ['bridge.stress.max<=0.8', 'audio.loss.pooled<=1%', 'video.loss.pooled<=1%', 'join.failed<=0'] as const;

/** Browsers using this share of the load generator's cores leave nothing for the rest: the generator is the limit. */
export const GENERATOR_BUSY_SHARE = 0.9;

/** What a runner does for the search: each bridge count in turn, and one step of a given load. */
export interface ClimbRunner {
  /** runs `body` at each bridge count of the search (scaling and restoring them, or at the count there is) */
  atEachBridgeCount(body: (bridges: number) => Promise<void>): Promise<void>;
  /** why the load generator cannot drive this load, before trying it (an estimate); undefined when it can */
  beyondGenerator?(load: ClimbLoad): string | undefined;
  /** runs one step of this load; its records, and why the load generator limited it, if it did */
  runLoad(load: ClimbLoad): Promise<{ records: SampleRecord[]; generatorLimit?: string }>;
}

export interface ClimbOptions {
  shape: RoomShape;
  /** user thresholds; empty: CAPACITY_THRESHOLDS */
  thresholds: readonly string[] | undefined;
  /** most rooms to try at one bridge */
  maxRoomsPerBridge: number;
  bridgeCores: number | null;
  /** cores of the machine driving the browsers (local runner): its browsers using nearly all of them is the generator's limit */
  generatorCores?: number;
  /** the bridges report stress; without it the stress threshold is left out of the defaults */
  bridgesMeasured: boolean;
  signal: AbortSignal;
  outDir: string;
  onStep?: (step: ClimbStep) => void;
  warn?: (message: string) => void;
}

/**
 * The next number of rooms to try, from the largest that held and the smallest that broke;
 * undefined when the knee is found (they are one room apart) or the ceiling held.
 */
export function nextRooms(held: number, broken: number | undefined, maxRooms: number, start = 1): number | undefined {
  if (broken === undefined) {
    if (held >= maxRooms) return undefined;
    return Math.min(maxRooms, held === 0 ? Math.max(1, start) : held * 2);
  }
  if (broken - held <= 1) return undefined;
  return Math.floor((held + broken) / 2);
}

const steadyOf = (phases: PhaseSummary[]) => phases.find((p) => p.phase === 'steady');
const LOSS_FIGURES = new Set(['audio.loss.pooled', 'video.loss.pooled']);

/** One step's records against the thresholds: held or broke, and the figures of the climb. */
export function judgeStep(records: SampleRecord[], load: ClimbLoad, thresholds: readonly string[], defaults: boolean): ClimbStep {
  const summary = summarize(
    records.filter((r) => r.step === load.step),
    { participants: load.participants, rooms: load.rooms },
  );
  const parsed = parseThresholds(thresholds).thresholds;
  const verdict = evaluateThresholds(summary, parsed);
  const stepSummary = summary.steps.find((s) => s.step === load.step);
  const steady = stepSummary ? steadyOf(stepSummary.phases) : undefined;
  const results = verdict.steps.find((s) => s.step === load.step)?.results ?? [];
  // the default loss limits hold when a kind of media did not flow at all (an audio-only shape has no video)
  const broke = results
    .filter((r) => !r.passed && !(defaults && LOSS_FIGURES.has(r.figure) && r.measured === null))
    .map((r) => `${r.expression}: ${r.measured === null ? 'not measured' : `measured ${Math.round(r.measured * 1000) / 1000}${r.unit}`}`);
  if (!stepSummary) broke.push('nothing was measured in this step');
  const losses = [steady?.clients.audio.pooledLossPct, steady?.clients.video.pooledLossPct].filter((x): x is number => typeof x === 'number');
  return {
    ...load,
    held: broke.length === 0,
    broke,
    stressMax: steady?.stressMax ?? null,
    lossPct: losses.length ? Math.max(...losses) : null,
    notJoined: stepSummary ? Math.max(stepSummary.participants.failed, load.participants - stepSummary.participants.joined) : load.participants,
    bridgeCpuCores: steady?.bridgeCpuCoresTotal ?? null,
    generatorCpuCores: steady?.clients.loadGenerator.browserCpuCoresTotal ?? null,
  };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function kneeOf(steps: ClimbStep[], bridges: number, shape: RoomShape, bridgeCores: number | null): Knee {
  const at = steps.filter((s) => s.bridges === bridges);
  const held = at.filter((s) => s.held).sort((a, b) => b.rooms - a.rooms)[0];
  const broke = at.filter((s) => !s.held && (!held || s.rooms > held.rooms)).sort((a, b) => a.rooms - b.rooms)[0];
  const participants = held ? held.rooms * shape.roomSize : null;
  return {
    bridges,
    participants,
    conferences: held ? held.rooms : null,
    perBridge: participants === null ? null : round(participants / bridges),
    perBridgeCore: participants === null || bridgeCores === null ? null : round(participants / bridges / bridgeCores),
    brokeAt: broke ? { participants: broke.participants, broke: broke.broke } : null,
  };
}

function save(outDir: string, search: CapacitySearch): void {
  writeFileSync(join(outDir, CAPACITY_SEARCH_FILE), `${JSON.stringify(search, null, 2)}\n`);
}

/** Climbs at each bridge count; the search is written to capacity-search.json after every step. */
export async function climbToKnee(o: ClimbOptions, runner: ClimbRunner): Promise<CapacitySearch> {
  let thresholds = o.thresholds && o.thresholds.length ? [...o.thresholds] : [...CAPACITY_THRESHOLDS];
  const defaults = !(o.thresholds && o.thresholds.length);
  if (defaults && !o.bridgesMeasured) {
    thresholds = thresholds.filter((t) => !t.startsWith('bridge.'));
    o.warn?.('the bridges are not measured (no jitsi-k8s.yaml of the deployment): the climb stops on loss and failed joins only, not on JVB stress');
  }
  const search: CapacitySearch = {
    schema: 'jitsi-k8s/capacity-search@1',
    thresholds: parseThresholds(thresholds).thresholds.map((t) => t.expression),
    defaults,
    shape: o.shape,
    bridgeCores: o.bridgeCores,
    maxRooms: o.maxRoomsPerBridge,
    steps: [],
    knees: [],
    outcome: 'no-knee',
  };
  save(o.outDir, search);
  let previous: { bridges: number; rooms: number } | undefined;
  await runner.atEachBridgeCount(async (bridges) => {
    if (search.generatorLimit || o.signal.aborted) return;
    const maxRooms = o.maxRoomsPerBridge * bridges;
    // start near where the last bridge count's knee puts this one (bridges scale about linearly)
    const start = previous && previous.rooms > 0 ? Math.max(1, Math.floor((previous.rooms * bridges) / previous.bridges)) : 1;
    let held = 0;
    let broken: number | undefined;
    for (let rooms = nextRooms(held, broken, maxRooms, start); rooms !== undefined; rooms = nextRooms(held, broken, maxRooms, start)) {
      if (o.signal.aborted) return;
      let load: ClimbLoad = { step: search.steps.length, bridges, rooms, participants: rooms * o.shape.roomSize };
      const beyond = runner.beyondGenerator?.(load);
      if (beyond) {
        // the largest load above the last that held which the load generator can still drive
        let fits: number | undefined;
        for (let r = rooms - 1; r > held; r--) {
          if (!runner.beyondGenerator!({ ...load, rooms: r, participants: r * o.shape.roomSize })) {
            fits = r;
            break;
          }
        }
        if (fits === undefined) {
          // say it of the smallest load not yet tried: one room more than held
          search.generatorLimit = runner.beyondGenerator!({ ...load, rooms: held + 1, participants: (held + 1) * o.shape.roomSize }) ?? beyond;
          break;
        }
        load = { ...load, rooms: fits, participants: fits * o.shape.roomSize };
      }
      const ran = await runner.runLoad(load);
      const records = ran.records;
      let generatorLimit = ran.generatorLimit;
      if (o.signal.aborted) return;
      const step = judgeStep(records, load, search.thresholds, defaults);
      search.steps.push(step);
      o.onStep?.(step);
      const busy = o.generatorCores && step.generatorCpuCores !== null && step.generatorCpuCores >= GENERATOR_BUSY_SHARE * o.generatorCores;
      if (!generatorLimit && busy) generatorLimit = `its browsers used ${round(step.generatorCpuCores!, 2)} of this machine's ${o.generatorCores} cores at ${load.participants} participants`;
      if (generatorLimit) {
        search.generatorLimit = generatorLimit;
        save(o.outDir, search);
        break;
      }
      if (step.held) held = Math.max(held, load.rooms);
      else broken = Math.min(broken ?? Infinity, load.rooms);
      save(o.outDir, search);
    }
    search.knees.push(kneeOf(search.steps, bridges, o.shape, o.bridgeCores));
    const k = search.knees.at(-1)!;
    previous = { bridges, rooms: k.conferences ?? 0 };
    save(o.outDir, search);
  });
  search.outcome = o.signal.aborted ? 'interrupted' : search.generatorLimit ? 'generator-limit' : search.knees.some((k) => k.participants !== null && k.brokeAt) ? 'knee' : 'no-knee';
  save(o.outDir, search);
  return search;
}

/** The room shape of a find-capacity scenario: the scenario's per-room roles, repeated. */
export function roomShapeOf(s: Scenario): RoomShape {
  const roomSize = Math.ceil(s.participants / s.rooms);
  return {
    roomSize,
    senders: s.senders,
    audioSenders: s.audioSenders ?? s.senders,
    liteReceivers: s.liteReceivers === undefined || s.liteReceivers >= roomSize - s.senders ? null : s.liteReceivers,
    video: `${s.video.width}x${s.video.height}@${s.video.fps}`,
  };
}

/** What the climb needs from a scenario; the ceiling is per bridge (--participants, else 1000 people). */
export function climbOptions(s: Scenario, deps: { bridges?: Bridges; bridgeCores?: number; signal: AbortSignal }, log: { info(m: string): void; warn(m: string): void }, generatorCores?: number): ClimbOptions {
  const shape = roomShapeOf(s);
  return {
    shape,
    thresholds: s.thresholds,
    maxRoomsPerBridge: Math.max(1, Math.floor((s.findCapacity?.ceiling ?? 1_000) / shape.roomSize)),
    bridgeCores: deps.bridgeCores ?? null,
    generatorCores,
    bridgesMeasured: Boolean(deps.bridges?.sampler),
    signal: deps.signal,
    outDir: s.outDir,
    onStep: (st: ClimbStep) =>
      log.info(`find-capacity step ${st.step + 1}: ${st.held ? 'held' : `broke (${st.broke.join('; ')})`}; stress ${st.stressMax ?? '—'}, loss ${st.lossPct ?? '—'} %`),
    warn: (m: string) => log.warn(m),
  };
}

/** The profile of a climb that found a knee: the smallest participants per bridge over its bridge counts. */
export function capacityProfile(search: CapacitySearch, on: MeasuredOn): CapacityProfile {
  const knees = search.knees.filter((k): k is Knee & { participants: number; conferences: number; perBridge: number } => k.participants !== null && k.perBridge !== null && k.conferences !== null);
  const perBridge = Math.min(...knees.map((k) => k.perBridge));
  const perCore = knees.every((k) => k.perBridgeCore !== null) ? Math.min(...knees.map((k) => k.perBridgeCore!)) : null;
  const shape = search.shape;
  const replicas = [...new Set(search.knees.map((k) => k.bridges))];
  const command = [
    'jitsi-k8s bench --find-capacity',
    on.target === 'loopback' ? '--target loopback' : `--url ${on.site ?? '<site>'}`,
    `--room-size ${shape.roomSize}`,
    `--senders ${shape.senders}`,
    ...(shape.audioSenders !== shape.senders ? [`--audio-senders ${shape.audioSenders}`] : []),
    `--video ${shape.video}`,
    ...(replicas.length > 1 || on.target === 'loopback' ? [`--replicas ${replicas.join(',')}`] : []),
    ...(on.lookalikeStress !== undefined ? [`--lookalike-stress ${on.lookalikeStress}`] : []),
  ].join(' ');
  return {
    schema: CAPACITY_PROFILE_SCHEMA,
    measuredAt: on.measuredAt,
    ...(on.run ? { run: on.run } : {}),
    target: on.target,
    ...(on.site ? { site: on.site } : {}),
    jvbImage: on.target === 'loopback' ? `loopback look-alike bridge (stress ${on.lookalikeStress ?? 0.01} per participant)` : CHART_JVB_IMAGE,
    nodes: on.deployment?.nodes ?? null,
    bridgeCores: search.bridgeCores,
    shape,
    thresholds: search.thresholds,
    knees: knees.map((k) => ({ bridges: k.bridges, participants: k.participants, conferences: k.conferences, perBridge: k.perBridge, perBridgeCore: k.perBridgeCore })),
    participantsPerBridge: perBridge,
    participantsPerBridgeCore: perCore,
    command,
  };
}
