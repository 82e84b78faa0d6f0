/**
 * Resources from node size. Documented in README ("Sizing"): JVB gets half a node's CPU (media
 * forwarding is CPU-bound), a memory limit above its JVM heap and never a CPU limit; the
 * signalling components get small fixed requests. Explicit resources in the config always win.
 */
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
  /** rough participants the bridges carry, from published per-core figures; bench measures the truth */
  estimatedParticipants: { low: number; high: number };
}

/** Share of a node's CPU and memory that Kubernetes leaves to pods after system reservations. */
export const ALLOCATABLE_SHARE = 0.9;
/** JVM overhead above the heap (metaspace, threads, direct buffers) for the JVB memory limit. */
export const JVB_HEAP_HEADROOM_MIB = 768;
/** chart/image default heap */
export const JVB_DEFAULT_HEAP_MIB = 3072;
/** Published anchors (docs/bench.md): 35 participants on 8 cores at 40 % → ~10/core at full load;
 * 720p60 senders in a 4-core pod: ~4/core. The estimate spans the two. */
const PARTICIPANTS_PER_CORE = { low: 4, high: 10 };

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

export function sizeRelease(config: Config): Sizing {
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
  const jvbCores = jvb ? (jvb.cpuMilli / 1000) * jvb.replicas : 0;
  return {
    components,
    jvbHeapMiB: heap,
    totalCpuMilli,
    totalMemoryMiB,
    capacityCpuMilli,
    capacityMemoryMiB,
    fitProblems,
    estimatedParticipants: {
      low: Math.floor(jvbCores * PARTICIPANTS_PER_CORE.low),
      high: Math.floor(jvbCores * PARTICIPANTS_PER_CORE.high),
    },
  };
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
