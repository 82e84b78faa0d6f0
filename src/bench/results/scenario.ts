/**
 * What the results need from scenario.json. The engine owns that file; here it is read loosely:
 * only known fields, each checked, anything missing left undefined.
 */

export interface ScenarioInfo {
  target?: string;
  url?: string;
  /** "200 participants = 20 rooms × 10, 2 senders each" */
  shape?: string;
  participants?: number;
  rooms?: number;
  senders?: number;
  /** steady window, seconds */
  durationS?: number;
  ramp?: string;
  replicas?: number[];
  runner?: string;
  sampleIntervalMs?: number;
  /** senders' fake camera, "640x360@15 fps" */
  video?: string;
  /** participants' page size, "1280x720" */
  viewport?: string;
  /** the machine that drove the browsers, "2 CPUs, linux, node v20.20.2" */
  machine?: string;
  startedAt?: string;
  /** the run's --threshold expressions (absent: the defaults) */
  thresholds?: string[];
  /** the scenario's remaining scalar fields, for the report header (strings, numbers, booleans) */
  other: Record<string, string | number | boolean>;
}

const KNOWN = new Set(['k8s', 'shape', 'target', 'url', 'participants', 'rooms', 'senders', 'duration', 'durationS', 'durationMs', 'ramp', 'rampPerSecond', 'replicas', 'runner', 'sampleIntervalMs', 'intervalMs', 'video', 'viewport', 'machine', 'startedAt', 'plan', 'thresholds']);

function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** "5m", "90s", "1h", "1500ms" or a number of seconds → seconds. */
export function durationSeconds(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n / 1000 : unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n;
}

export function scenarioInfo(scenario: unknown): ScenarioInfo {
  const s = typeof scenario === 'object' && scenario !== null && !Array.isArray(scenario) ? (scenario as Record<string, unknown>) : {};
  const replicas = Array.isArray(s.replicas)
    ? s.replicas.filter((x): x is number => typeof x === 'number')
    : typeof s.replicas === 'number'
      ? [s.replicas]
      : undefined;
  const durationS =
    asNumber(s.durationS) ?? (asNumber(s.durationMs) !== undefined ? asNumber(s.durationMs)! / 1000 : undefined) ?? durationSeconds(s.duration);
  const other: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(s)) {
    if (KNOWN.has(k)) continue;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) other[k] = v;
  }
  const k8s = loadGenerators(s.k8s);
  if (k8s) Object.assign(other, k8s);
  const video = typeof s.video === 'object' && s.video !== null ? (s.video as Record<string, unknown>) : undefined;
  const viewport = typeof s.viewport === 'object' && s.viewport !== null ? (s.viewport as Record<string, unknown>) : undefined;
  const machine = typeof s.machine === 'object' && s.machine !== null ? (s.machine as Record<string, unknown>) : undefined;
  const ramp = typeof s.ramp === 'string' ? s.ramp : typeof s.ramp === 'number' ? `${s.ramp}/s` : asNumber(s.rampPerSecond) !== undefined ? `${s.rampPerSecond}/s` : undefined;
  return {
    target: typeof s.target === 'string' ? s.target : undefined,
    url: typeof s.url === 'string' ? s.url : undefined,
    shape: typeof s.shape === 'string' ? s.shape : undefined,
    participants: asNumber(s.participants),
    rooms: asNumber(s.rooms),
    senders: asNumber(s.senders),
    durationS,
    ramp,
    replicas,
    runner: typeof s.runner === 'string' ? s.runner : undefined,
    sampleIntervalMs: asNumber(s.sampleIntervalMs) ?? asNumber(s.intervalMs),
    video:
      video && asNumber(video.width) !== undefined && asNumber(video.height) !== undefined
        ? `${video.width}x${video.height}${asNumber(video.fps) !== undefined ? `@${video.fps} fps` : ''}`
        : undefined,
    viewport: viewport && asNumber(viewport.width) !== undefined && asNumber(viewport.height) !== undefined ? `${viewport.width}x${viewport.height}` : undefined,
    machine: machine
      ? [asNumber(machine.cpus) !== undefined ? `${machine.cpus} CPUs` : undefined, machine.platform, machine.node ? `node ${machine.node}` : undefined]
          .filter((x) => typeof x === 'string' && x !== '')
          .join(', ') || undefined
      : undefined,
    startedAt: typeof s.startedAt === 'string' ? s.startedAt : undefined,
    thresholds: Array.isArray(s.thresholds) ? s.thresholds.filter((x): x is string => typeof x === 'string') : undefined,
    other,
  };
}

/** `--runner k8s`: where the load generators ran and how far their clocks were off, for the header. */
function loadGenerators(v: unknown): Record<string, string> | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const k = v as { namespace?: unknown; image?: unknown; perPod?: unknown; shards?: unknown; steps?: unknown };
  const steps = Array.isArray(k.steps) ? (k.steps as { nodes?: Record<string, string>; clockSkewMs?: Record<string, number>; workersDied?: number[] }[]) : [];
  const nodes = [...new Set(steps.flatMap((st) => Object.values(st?.nodes ?? {})))].sort();
  const skews = steps.flatMap((st) => Object.values(st?.clockSkewMs ?? {})).filter((x) => typeof x === 'number');
  const died = steps.reduce((n, st) => n + (Array.isArray(st?.workersDied) ? st.workersDied.length : 0), 0);
  const pods = Array.isArray(k.shards) ? k.shards.length : undefined;
  const out: Record<string, string> = {
    'load generators': `${pods ?? '?'} pod(s)${typeof k.perPod === 'number' ? ` of up to ${k.perPod} participants` : ''} in ${String(k.namespace ?? '?')}${typeof k.image === 'string' ? ` (${k.image})` : ''}`,
    'generator nodes': nodes.length ? nodes.join(', ') : 'not recorded',
    'generator clock skew': skews.length ? `${Math.min(...skews)} to ${Math.max(...skews)} ms against this machine` : 'not measured',
  };
  if (died > 0) out['generators that died'] = String(died);
  return out;
}
