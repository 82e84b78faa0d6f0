/**
 * Resources from node size. Documented in README ("Sizing"): JVB gets half a node's CPU (media
 * forwarding is CPU-bound), a memory limit above its JVM heap and never a CPU limit; the
 * signalling components get small fixed requests. Explicit resources in the config always win.
 */
import { capacityBasis, CHART_JVB_IMAGE, planBridges, type BridgePlan, type CapacityBasis, type CapacityProfile } from './capacity-profile.js';
import type { ComponentName, Config, Resources } from './schema.js';

export interface ComponentSize {
  component: ComponentName;
  replicas: number;
  /** per pod, in millicores and MiB */
  cpuMilli: number;
  memoryMiB: number;
  memoryLimitMiB?: number;
  resources: Resources;
}

export interface Sizing {
  components: ComponentSize[];
  /** JVB JVM heap in MiB (VIDEOBRIDGE_MAX_MEMORY) */
  jvbHeapMiB: number;
  totalCpuMilli: number;
  totalMemoryMiB: number;
  capacityCpuMilli: number;
  capacityMemoryMiB: number;
  /** problems placing the requested replicas on the nodes; empty when everything fits */
  fitProblems: string[];
  /**
   * Participants the bridges carry: measured (a capacity profile) or estimated from published figures
   * for the room size (capacity-profile.ts, PUBLISHED_ESTIMATES), always with its source.
   */
  capacity: CapacityBasis & { roomSize: number; bridges: number; participants: number };
  /** expect.peakParticipants: bridges needed and the HPA bounds, with the arithmetic */
  plan?: BridgePlan;
}

/** People per meeting when expect.roomSize is not given: bench's default room. */
export const DEFAULT_ROOM_SIZE = 10;

/** Share of a node's CPU and memory that Kubernetes leaves to pods after system reservations. */
export const ALLOCATABLE_SHARE = 0.9;
/** JVM overhead above the heap (metaspace, threads, direct buffers) for the JVB memory limit. */
export const JVB_HEAP_HEADROOM_MIB = 768;
/** chart/image default heap */
export const JVB_DEFAULT_HEAP_MIB = 3072;

const FIXED: Record<Exclude<ComponentName, 'jvb'>, { cpuMilli: number; memoryMiB: number; limitMiB: number }> = {
  web: { cpuMilli: 100, memoryMiB: 128, limitMiB: 512 },
  prosody: { cpuMilli: 250, memoryMiB: 256, limitMiB: 1024 },
  jicofo: { cpuMilli: 250, memoryMiB: 512, limitMiB: 1536 },
  // Chrome + ffmpeg for one recording at 720p
  jibri: { cpuMilli: 2000, memoryMiB: 2048, limitMiB: 4096 },
  jigasi: { cpuMilli: 500, memoryMiB: 768, limitMiB: 1536 },
  transcriber: { cpuMilli: 1000, memoryMiB: 1024, limitMiB: 2048 },
};

export function parseCpuMilli(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1 / (1024 * 1024),
  K: 1000 / (1024 * 1024),
  M: 1e6 / (1024 * 1024),
  G: 1e9 / (1024 * 1024),
  T: 1e12 / (1024 * 1024),
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 * 1024,
};

export function parseMemoryMiB(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  return Number(m[1]) * (MEMORY_UNITS[m[2] ?? ''] ?? 1);
}

const mem = (mib: number) => (mib % 1024 === 0 ? `${mib / 1024}Gi` : `${Math.round(mib)}Mi`);
const cpu = (milli: number) => (milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`);

/** Number of pods of a component as the chart will run them. */
export function replicasOf(config: Config, component: ComponentName): number {
  const c = config.components;
  switch (component) {
    case 'web':
      return c.web.replicas;
    case 'jvb':
      return c.jvb.replicas;
    case 'jibri':
      return c.jibri.enabled ? c.jibri.replicas : 0;
    case 'jigasi':
      return c.jigasi.enabled ? 1 : 0;
    case 'transcriber':
      return c.transcriber.enabled ? 1 : 0;
    default:
      return 1;
  }
}

function jvbDefaults(config: Config): { cpuMilli: number; limitMiB: number } {
  const nodeCpuMilli = config.nodes.cpu * 1000 * ALLOCATABLE_SHARE;
  // half a node, at least one core, at most 8 (one JVB scales poorly past that; add bridges instead)
  const cpuMilli = Math.max(1000, Math.min(8000, Math.floor(nodeCpuMilli / 2 / 100) * 100));
  const nodeMemMiB = config.nodes.memoryGiB * 1024 * ALLOCATABLE_SHARE;
  // a quarter of a node for the heap, between 1 GiB and the 3 GiB default
  const heap = Math.max(1024, Math.min(JVB_DEFAULT_HEAP_MIB, Math.floor(nodeMemMiB / 4 / 256) * 256));
  return { cpuMilli, limitMiB: heap + JVB_HEAP_HEADROOM_MIB };
}

function sizeComponent(config: Config, component: ComponentName): ComponentSize {
  const replicas = replicasOf(config, component);
  const explicit = config.components[component].resources;
  let cpuMilli: number;
  let memoryMiB: number;
  let limitMiB: number | undefined;
  if (component === 'jvb') {
    const d = jvbDefaults(config);
    cpuMilli = d.cpuMilli;
    memoryMiB = d.limitMiB; // request = limit: the JVM takes its heap up front
    limitMiB = d.limitMiB;
  } else {
    const f = FIXED[component];
    cpuMilli = f.cpuMilli;
    memoryMiB = f.memoryMiB;
    limitMiB = f.limitMiB;
  }
  if (explicit) {
    if (explicit.requests?.cpu) cpuMilli = parseCpuMilli(explicit.requests.cpu);
    if (explicit.requests?.memory) memoryMiB = parseMemoryMiB(explicit.requests.memory);
    limitMiB = explicit.limits?.memory ? parseMemoryMiB(explicit.limits.memory) : explicit.requests ? undefined : limitMiB;
    if (explicit.limits?.memory && !explicit.requests?.memory) memoryMiB = Math.min(memoryMiB, limitMiB ?? memoryMiB);
  }
  const resources: Resources = explicit ?? {
    requests: { cpu: cpu(cpuMilli), memory: mem(memoryMiB) },
    limits: { memory: mem(limitMiB ?? memoryMiB) },
  };
  return { component, replicas, cpuMilli, memoryMiB, memoryLimitMiB: limitMiB, resources };
}

/** The JVB heap: explicit, else the limit minus headroom, capped at the image default. */
export function jvbHeapMiB(config: Config, jvb: ComponentSize): number {
  if (config.components.jvb.heapMiB) return config.components.jvb.heapMiB;
  const limit = jvb.memoryLimitMiB ?? jvb.memoryMiB;
  return Math.max(512, Math.min(JVB_DEFAULT_HEAP_MIB, Math.floor((limit - JVB_HEAP_HEADROOM_MIB) / 256) * 256));
}

/** The capacity of the configured bridges: from `profile` when given (flagged where it was measured on something else), else the published estimate. */
export function sizeRelease(config: Config, profile?: { profile: CapacityProfile; source: string }): Sizing {
  const components = (['web', 'prosody', 'jicofo', 'jvb', 'jibri', 'jigasi', 'transcriber'] as const)
    .map((c) => sizeComponent(config, c))
    .filter((c) => c.replicas > 0);
  const jvb = components.find((c) => c.component === 'jvb');
  const heap = jvb ? jvbHeapMiB(config, jvb) : JVB_DEFAULT_HEAP_MIB;
  const totalCpuMilli = components.reduce((s, c) => s + c.cpuMilli * c.replicas, 0);
  const totalMemoryMiB = components.reduce((s, c) => s + c.memoryMiB * c.replicas, 0);
  const nodeCpuMilli = config.nodes.cpu * 1000 * ALLOCATABLE_SHARE;
  const nodeMemMiB = config.nodes.memoryGiB * 1024 * ALLOCATABLE_SHARE;
  const capacityCpuMilli = nodeCpuMilli * config.nodes.count;
  const capacityMemoryMiB = nodeMemMiB * config.nodes.count;

  const fitProblems: string[] = [];
  for (const c of components) {
    if (c.cpuMilli > nodeCpuMilli || c.memoryMiB > nodeMemMiB) {
      fitProblems.push(
        `one ${c.component} pod requests ${cpu(c.cpuMilli)} CPU / ${mem(c.memoryMiB)}, more than a node offers (${cpu(Math.floor(nodeCpuMilli))} / ${mem(Math.floor(nodeMemMiB))})`,
      );
    }
  }
  if (totalCpuMilli > capacityCpuMilli) {
    fitProblems.push(`the pods request ${cpu(totalCpuMilli)} CPU in all; ${config.nodes.count} nodes offer ${cpu(Math.floor(capacityCpuMilli))}`);
  }
  if (totalMemoryMiB > capacityMemoryMiB) {
    fitProblems.push(`the pods request ${mem(totalMemoryMiB)} memory in all; ${config.nodes.count} nodes offer ${mem(Math.floor(capacityMemoryMiB))}`);
  }
  if (fitProblems.length === 0 && !packs(components, config.nodes.count, nodeCpuMilli, nodeMemMiB)) {
    fitProblems.push(`the pods fit in total but cannot be placed on ${config.nodes.count} nodes of ${config.nodes.cpu} CPU / ${config.nodes.memoryGiB} GiB`);
  }
  const roomSize = config.expect?.roomSize ?? profile?.profile.shape.roomSize ?? DEFAULT_ROOM_SIZE;
  const basis = capacityBasis({ profile: profile?.profile, profileSource: profile?.source, roomSize, bridgeCores: (jvb?.cpuMilli ?? 1000) / 1000, nodes: config.nodes, jvbImage: CHART_JVB_IMAGE });
  const bridges = config.components.jvb.replicas;
  return {
    components,
    jvbHeapMiB: heap,
    totalCpuMilli,
    totalMemoryMiB,
    capacityCpuMilli,
    capacityMemoryMiB,
    fitProblems,
    capacity: { ...basis, roomSize, bridges, participants: basis.perBridge * bridges },
    ...(config.expect ? { plan: planBridges(config.expect.peakParticipants, basis) } : {}),
  };
}

/** The capacity in words, for NOTES, the wizard's summary and `scale jvb --for`: the figure, where it comes from, what to doubt. */
export function describeCapacity(sizing: Pick<Sizing, 'capacity' | 'plan'>): string[] {
  const c = sizing.capacity;
  const lines = [
    `capacity: ${c.participants} participants on ${c.bridges} bridge${c.bridges === 1 ? '' : 's'} (${c.perBridge} each, rooms of ${c.roomSize}) — ${c.kind === 'estimate' ? 'an estimate, not measured' : 'measured'}: ${c.source}`,
  ];
  if (c.measure) lines.push(`  measure it on your deployment: ${c.measure}`);
  for (const m of c.mismatches) lines.push(`  profile from another setup: ${m}`);
  const p = sizing.plan;
  if (p) {
    lines.push(`for ${p.peak} participants at peak: ${p.bridges} bridge${p.bridges === 1 ? '' : 's'} (HPA min ${p.min}, max ${p.max})`);
    for (const a of p.arithmetic) lines.push(`  ${a}`);
  }
  return lines;
}

/** First-fit decreasing bin packing of every pod onto the nodes (what the scheduler could do at best). */
function packs(components: ComponentSize[], nodes: number, cpuMilli: number, memMiB: number): boolean {
  const pods = components.flatMap((c) => Array.from({ length: c.replicas }, () => ({ cpu: c.cpuMilli, mem: c.memoryMiB })));
  pods.sort((a, b) => b.cpu - a.cpu || b.mem - a.mem);
  const free = Array.from({ length: nodes }, () => ({ cpu: cpuMilli, mem: memMiB }));
  for (const p of pods) {
    const n = free.find((f) => f.cpu >= p.cpu && f.mem >= p.mem);
    if (!n) return false;
    n.cpu -= p.cpu;
    n.mem -= p.mem;
  }
  return true;
}

export const formatCpu = cpu;
export const formatMemory = mem;
