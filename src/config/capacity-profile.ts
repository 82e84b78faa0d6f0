/**
 * The capacity profile (`capacity.json` of a `bench --find-capacity` run, or the ConfigMap
 * `bench capacity save` made of it) and the sizing arithmetic that reads it: bridges needed for a
 * peak, HPA bounds, share of the measured capacity in use. Without a profile the figures come from
 * published measurements per room shape (below), and say so. Pure: reading the file or the
 * ConfigMap is the caller's.
 */
import * as z from './zod.js';

export const CAPACITY_PROFILE_FILE = 'capacity.json';
export const CAPACITY_PROFILE_SCHEMA = 'jitsi-k8s/capacity@1';
/** The key of capacity.json in the ConfigMap `bench capacity save` writes. */
export const CAPACITY_CONFIGMAP_KEY = 'capacity.json';
export const capacityConfigMapName = (release: string) => `${release}-capacity`;

/** The JVB image chart 3.4.0 runs when values set none: ghcr.io/jitsi/jvb at the chart's appVersion (its Chart.yaml). */
export const CHART_JVB_IMAGE = 'ghcr.io/jitsi/jvb:stable-11146-2';

/** We plan bridges to run at 80 % of what was measured: the knee is where things broke, not a place to live. */
export const PLANNING_SHARE = 0.8;
/** The HPA's floor carries this share of the peak: bridges take a minute or two to start, and jicofo sees stress every 10 s. */
export const FLOOR_SHARE = 0.25;

const shapeSchema = z.strictObject({
  roomSize: z.number().check(z.int(), z.minimum(1)),
  senders: z.number().check(z.int(), z.minimum(0)),
  audioSenders: z.number().check(z.int(), z.minimum(0)),
  liteReceivers: z.nullable(z.number().check(z.int(), z.minimum(0))),
  video: z.string(),
});

const kneeSchema = z.strictObject({
  bridges: z.number().check(z.int(), z.minimum(1)),
  participants: z.number().check(z.minimum(0)),
  conferences: z.number().check(z.minimum(0)),
  perBridge: z.number(),
  perBridgeCore: z.nullable(z.number()),
});

export const capacityProfileSchema = z.strictObject({
  schema: z.literal(CAPACITY_PROFILE_SCHEMA),
  measuredAt: z.string(),
  run: z.optional(z.string()),
  target: z.enum(['loopback', 'jitsi']),
  site: z.optional(z.string()),
  /** what stood in for the bridge: the JVB image, or the loopback look-alike */
  jvbImage: z.string(),
  nodes: z.nullable(z.strictObject({ cpu: z.number(), memoryGiB: z.number() })),
  bridgeCores: z.nullable(z.number()),
  shape: shapeSchema,
  thresholds: z.array(z.string()),
  knees: z.array(kneeSchema).check(z.minLength(1)),
  participantsPerBridge: z.number().check(z.positive()),
  participantsPerBridgeCore: z.nullable(z.number()),
  command: z.string(),
});

export type CapacityProfile = z.output<typeof capacityProfileSchema>;
export type ProfileShape = CapacityProfile['shape'];

/** What a profile was measured on, beside the search itself. */
export interface MeasuredOn {
  target: 'loopback' | 'jitsi';
  site?: string;
  lookalikeStress?: number;
  measuredAt: string;
  run?: string;
  deployment?: { nodes: { cpu: number; memoryGiB: number }; release: string; namespace: string };
}

/** Parses a profile; the error names the field. */
export function parseCapacityProfile(value: unknown, source: string): CapacityProfile {
  const r = capacityProfileSchema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new Error(`${source}: ${i.path.join('.') || '(top)'}: ${i.message}`);
}

/**
 * Published figures per room shape, for when nothing was measured. Each is participants per JVB core
 * at the load it was observed at; they differ tenfold because a bridge's work grows with the streams
 * it forwards, about K² in a room of K senders.
 */
export const PUBLISHED_ESTIMATES = {
  // openfun's Jitsi load test (2022): one 4-vCPU JVB carried
  // 36 rooms × 5 participants, all sending, at 2.14 cores → 180 / 2.14 ≈ 84 per core.
  small: { maxRoomSize: 5, perCore: 84, source: 'openfun load test 2022: one 4-vCPU JVB, 180 people in 36 five-person rooms at 2.14 cores ≈ 84 per core' },
  // community report (Jitsi forum): 35 participants on an 8-core bridge at about 40 % CPU → 35 / 3.2 ≈ 11 per busy core.
  medium: { maxRoomSize: 15, perCore: 11, source: 'Jitsi community report: 35 participants on an 8-core bridge at about 40 % CPU ≈ 11 per core' },
  // Kubernetes study, 4-core JVB pod, one room of 720p60 senders: 8 participants ≈ 1.9 cores, 14 ≈ 3.5 → about 4 per core.
  large: { maxRoomSize: Infinity, perCore: 4, source: 'Kubernetes study, 4-core JVB pod, one room of 720p60 senders: 14 participants ≈ 3.5 cores ≈ 4 per core' },
} as const;

export type EstimateShape = keyof typeof PUBLISHED_ESTIMATES;

export function estimateShapeOf(roomSize: number): EstimateShape {
  return roomSize <= PUBLISHED_ESTIMATES.small.maxRoomSize ? 'small' : roomSize <= PUBLISHED_ESTIMATES.medium.maxRoomSize ? 'medium' : 'large';
}

/** The command that measures what the estimate guesses, for a room shape. */
export function measureCommand(roomSize: number, site = 'https://<your Jitsi site>'): string {
  return `jitsi-k8s bench --find-capacity --url ${site} --room-size ${roomSize} --replicas 1,2`;
}

/** Where the participants-per-bridge figure comes from: a profile, or a published estimate. */
export interface CapacityBasis {
  kind: 'profile' | 'estimate';
  perBridge: number;
  /** one line: the profile's run and what it was measured on, or the published source */
  source: string;
  /** reasons the figure may not fit this deployment: another JVB image, node size or room shape */
  mismatches: string[];
  /** estimate only: how to measure instead */
  measure?: string;
}

/**
 * The basis for a deployment whose bridges have `bridgeCores` each, for rooms of `roomSize`: the
 * profile when there is one (flagged where it was measured on something else), else the estimate.
 */
export function capacityBasis(o: { profile?: CapacityProfile; profileSource?: string; roomSize: number; bridgeCores: number; nodes?: { cpu: number; memoryGiB: number }; jvbImage?: string; site?: string }): CapacityBasis {
  const p = o.profile;
  if (!p) {
    const shape = PUBLISHED_ESTIMATES[estimateShapeOf(o.roomSize)];
    return {
      kind: 'estimate',
      perBridge: Math.max(1, Math.floor(shape.perCore * o.bridgeCores)),
      source: `an estimate for rooms of ${o.roomSize}: ${shape.perCore} per core × ${round(o.bridgeCores)} cores per bridge, from ${shape.source}`,
      mismatches: [],
      measure: measureCommand(o.roomSize, o.site),
    };
  }
  const mismatches: string[] = [];
  if (p.target === 'loopback') mismatches.push(`measured on the loopback look-alike bridges (${p.jvbImage}), not on Jitsi Videobridge`);
  else if (o.jvbImage && p.jvbImage !== o.jvbImage) mismatches.push(`measured with JVB ${p.jvbImage}, this deployment runs ${o.jvbImage}`);
  if (p.nodes && o.nodes && (p.nodes.cpu !== o.nodes.cpu || p.nodes.memoryGiB !== o.nodes.memoryGiB)) mismatches.push(`measured on nodes of ${p.nodes.cpu} CPU / ${p.nodes.memoryGiB} GiB, these are ${o.nodes.cpu} CPU / ${o.nodes.memoryGiB} GiB`);
  if (p.shape.roomSize !== o.roomSize) mismatches.push(`measured with rooms of ${p.shape.roomSize}, planned for rooms of ${o.roomSize}`);
  // other bridge sizes: scale by cores when the profile knows its bridges' cores
  let perBridge = p.participantsPerBridge;
  let scaled = '';
  if (p.bridgeCores !== null && p.participantsPerBridgeCore !== null && Math.abs(p.bridgeCores - o.bridgeCores) > 1e-9) {
    perBridge = Math.max(1, Math.floor(p.participantsPerBridgeCore * o.bridgeCores));
    scaled = ` (${p.participantsPerBridgeCore} per core × ${round(o.bridgeCores)} cores here; measured bridges had ${p.bridgeCores})`;
    mismatches.push(`measured on bridges of ${p.bridgeCores} cores, these have ${round(o.bridgeCores)}: scaled by cores`);
  }
  return {
    kind: 'profile',
    perBridge,
    source: `measured ${p.measuredAt.slice(0, 10)} by bench --find-capacity${p.run ? ` (${p.run})` : ''}${o.profileSource ? ` from ${o.profileSource}` : ''}: ${p.participantsPerBridge} participants per bridge${scaled}`,
    mismatches,
  };
}

export interface BridgePlan {
  peak: number;
  perBridge: number;
  planningShare: number;
  /** bridges for the peak at PLANNING_SHARE of the measured capacity: the HPA's max */
  bridges: number;
  /** HPA min: FLOOR_SHARE of the peak at the same share */
  min: number;
  max: number;
  /** the arithmetic, line by line */
  arithmetic: string[];
}

/** Bridges for `peak` participants on this basis, and the HPA bounds, with the arithmetic spelt out. */
export function planBridges(peak: number, basis: CapacityBasis): BridgePlan {
  const usable = basis.perBridge * PLANNING_SHARE;
  const bridges = Math.max(1, Math.ceil(peak / usable));
  const min = Math.max(1, Math.ceil((peak * FLOOR_SHARE) / usable));
  return {
    peak,
    perBridge: basis.perBridge,
    planningShare: PLANNING_SHARE,
    bridges,
    min,
    max: bridges,
    arithmetic: [
      `${basis.perBridge} participants per bridge (${basis.kind === 'profile' ? 'measured' : 'estimate'}) × ${PLANNING_SHARE * 100} % (headroom: bridges planned at ${PLANNING_SHARE * 100} % of capacity) = ${round(usable)} per bridge`,
      `${peak} participants ÷ ${round(usable)} = ${round(peak / usable, 2)} → ${bridges} bridge${bridges === 1 ? '' : 's'} (HPA max)`,
      `${FLOOR_SHARE * 100} % of the peak (${round(peak * FLOOR_SHARE)}) ÷ ${round(usable)} → ${min} bridge${min === 1 ? '' : 's'} (HPA min: new bridges take minutes to start)`,
    ],
  };
}

/** "62 % of measured capacity" (or "of the estimated capacity") for participants now on `bridges` bridges. */
export function shareOfCapacity(participants: number, bridges: number, basis: CapacityBasis): { percent: number; text: string } {
  const capacity = basis.perBridge * Math.max(1, bridges);
  const percent = Math.round((participants / capacity) * 100);
  return { percent, text: `${percent} % of ${basis.kind === 'profile' ? 'measured' : 'estimated'} capacity (${participants} of ${capacity}: ${bridges} bridge${bridges === 1 ? '' : 's'} × ${basis.perBridge})` };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
