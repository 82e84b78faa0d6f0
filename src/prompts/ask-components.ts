/** Questions about replicas, autoscaling, optional components and their storage. */
import type { ClusterFacts } from '../cluster/facts.js';
import type { AutoscaleMetric } from '../config/choices.js';
import { DURATION_HINT, parseDuration } from '../config/duration.js';
import type { Prompter } from './prompter.js';

export async function askWebReplicas(p: Prompter, current: number): Promise<number> {
  p.note('Web: nginx + the static site; stateless, 1 is enough for most, 2 for no downtime on node failure.');
  return p.number({ name: 'webReplicas', message: 'Web replicas', default: current, min: 1 });
}

export async function askJvbReplicas(p: Prompter, current: number, maxForHostPort: number | undefined): Promise<number> {
  p.note(
    maxForHostPort !== undefined
      ? `Video bridges: each forwards media; with hostPort one bridge per node (at most ${maxForHostPort}).`
      : 'Video bridges: each forwards media; behind a Service each extra bridge gets the next UDP port.',
  );
  return p.number({ name: 'jvbReplicas', message: 'Video bridges (JVB)', default: current, min: 1, max: maxForHostPort });
}

export async function askAutoscale(p: Prompter, current: boolean): Promise<boolean> {
  p.note('Autoscaling: a HorizontalPodAutoscaler adds bridges when CPU rises (needs metrics-server; hostPort only).');
  return p.confirm({ name: 'autoscale', message: 'Autoscale the video bridges?', default: current });
}

export async function askAutoscaleMin(p: Prompter, current: number): Promise<number> {
  return p.number({ name: 'autoscaleMin', message: 'Fewest bridges', default: current, min: 1 });
}

export async function askAutoscaleMax(p: Prompter, current: number, min: number, nodes: number): Promise<number> {
  p.note(`With hostPort at most ${nodes} bridge(s) can run (one per node).`);
  return p.number({ name: 'autoscaleMax', message: 'Most bridges', default: Math.max(current, min), min });
}

export async function askAutoscaleCpu(p: Prompter, current: number): Promise<number> {
  return p.number({ name: 'autoscaleCpu', message: 'Target CPU use (% of the bridge request)', default: current, min: 10, max: 100 });
}

export async function askDrainTimeout(p: Prompter, current: string): Promise<string> {
  p.note(
    'Draining: a bridge that stops (scale-in, node drain, upgrade) first lets its meetings end — no new ones start on it. ' +
      'How long may that take before it stops anyway and the rest are disconnected?',
  );
  return p.input({ name: 'drainTimeout', message: 'Drain time per bridge', default: current, validate: (v) => (parseDuration(v) !== undefined ? true : DURATION_HINT) });
}

export async function askPeakParticipants(p: Prompter, current: number | undefined): Promise<number | undefined> {
  p.note(
    'Sizing: how many people at once at the busiest time? The bridges needed and the autoscaler bounds are worked out for it, ' +
      'from a measured capacity profile (`jitsi-k8s bench --find-capacity`) or else from published figures. 0: no figure yet.',
  );
  const n = await p.number({ name: 'peakParticipants', message: 'Participants at peak (0: skip)', default: current ?? 0, min: 0 });
  return n > 0 ? n : undefined;
}

export async function askRoomSize(p: Prompter, current: number): Promise<number> {
  return p.number({ name: 'roomSize', message: 'People in a typical meeting (a bridge carries far more in small rooms)', default: current, min: 1 });
}

export type OptionalComponent = 'jibri' | 'jigasi' | 'transcriber';

const OPTIONAL: Record<OptionalComponent, { name: string; description: string }> = {
  jibri: { name: 'jibri — recording and live streaming', description: 'one Chrome + ffmpeg per recording; about 2 CPU / 2 GiB each' },
  jigasi: { name: 'jigasi — SIP dial-in/out', description: 'needs a SIP account; the chart runs one' },
  transcriber: { name: 'transcriber — live captions', description: 'jigasi in transcriber mode; the chart runs one' },
};

/** Only the components the flags did not decide are offered. */
export async function askComponents(
  p: Prompter,
  current: Record<OptionalComponent, boolean>,
  offered: OptionalComponent[],
): Promise<Record<OptionalComponent, boolean>> {
  p.note('Optional components (space to toggle, enter to accept).');
  const chosen = await p.checkbox({
    name: 'components',
    message: 'Optional components',
    choices: offered.map((c) => ({ value: c, name: OPTIONAL[c].name, description: OPTIONAL[c].description, checked: current[c] })),
  });
  const out = { ...current };
  for (const c of offered) out[c] = chosen.includes(c);
  return out;
}

export async function askJibriReplicas(p: Prompter, current: number): Promise<number> {
  p.note('Jibri: each pod records or streams one meeting at a time.');
  return p.number({ name: 'jibriReplicas', message: 'Jibri replicas', default: current, min: 1 });
}

/** undefined = the cluster default class; null = no volume. */
export type StorageChoice = { storageClass: string | undefined } | null;

const NO_VOLUME = '\u0000none';
const CLUSTER_DEFAULT = '\u0000default';

export async function askStorageClass(
  p: Prompter,
  current: StorageChoice,
  facts: ClusterFacts | undefined,
  needsRwx: boolean,
): Promise<StorageChoice> {
  p.note(
    `Storage for recordings / transcripts.${needsRwx ? ' More than one jibri share one volume: pick a ReadWriteMany class (NFS, CephFS, EFS…).' : ''}` +
      ' The transcriber volume is mounted ReadWriteMany by the chart.',
  );
  const classes = facts?.storageClasses ?? [];
  if (classes.length === 0) {
    const v = await p.input({
      name: 'storageClass',
      message: 'Storage class (empty = cluster default, "none" = no volume)',
      default: current === null ? 'none' : current?.storageClass,
    });
    if (v === 'none') return null;
    return { storageClass: v === '' ? undefined : v };
  }
  const defaultClass = classes.find((c) => c.isDefault)?.name;
  const choices = [
    ...classes.map((c) => ({
      value: c.name,
      name: `${c.name}${c.isDefault ? ' (default)' : ''}`,
      description: `provisioner ${c.provisioner || 'unknown'}`,
    })),
    ...(defaultClass ? [] : [{ value: CLUSTER_DEFAULT, name: 'cluster default', description: 'no storageClassName; the cluster picks' }]),
    { value: NO_VOLUME, name: 'no volume', description: 'files stay in the pod and are lost when it restarts' },
  ];
  const pre = current === null ? NO_VOLUME : (current?.storageClass ?? defaultClass ?? CLUSTER_DEFAULT);
  const v = await p.select({ name: 'storageClass', message: 'Storage class', choices, default: choices.some((c) => c.value === pre) ? pre : undefined });
  if (v === NO_VOLUME) return null;
  return { storageClass: v === CLUSTER_DEFAULT ? undefined : v };
}

const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/;

export async function askVolumeSize(p: Prompter, which: 'jibri' | 'transcriber', current: string): Promise<string> {
  return p.input({
    name: which === 'jibri' ? 'jibriStorage' : 'transcriberStorage',
    message: which === 'jibri' ? 'Recordings volume size' : 'Transcripts volume size',
    default: current,
    validate: (v) => (QUANTITY.test(v) ? true : 'a size such as 20Gi'),
  });
}

export async function askMonitoring(p: Prompter, current: boolean, prometheuses: { namespace: string; name: string; labels?: Record<string, string> }[]): Promise<boolean> {
  const found = prometheuses.map((x) => `${x.namespace}/${x.name}${x.labels ? ` (selects ${Object.entries(x.labels).map(([k, v]) => `${k}=${v}`).join(',') || 'everything'})` : ''}`);
  p.note(
    `Monitoring: the Prometheus operator is installed${found.length ? ` — ${found.join(', ')}` : ''}. jitsi-k8s can add ServiceMonitors/PodMonitors for the bridges, jicofo and prosody, alerting rules (PrometheusRule) and Grafana dashboards.`,
  );
  return p.confirm({ name: 'monitoring', message: 'Add metrics, alerts and dashboards?', default: current });
}

export async function askAutoscaleMetric(p: Prompter, current: AutoscaleMetric, engine: 'keda' | 'hpa' | undefined): Promise<AutoscaleMetric> {
  const how = engine === 'keda' ? 'through KEDA (installed)' : engine === 'hpa' ? 'through the custom metrics API (installed)' : 'needs KEDA or a custom metrics API (neither is installed)';
  return p.select({
    name: 'autoscaleMetric',
    message: 'What should the bridges scale on?',
    choices: [
      { value: 'stress' as const, name: 'stress — what jicofo balances meetings by', description: `target 0.6, below jicofo's 0.8; ${how}`, disabled: engine ? undefined : 'needs KEDA or a custom metrics API' },
      { value: 'participants' as const, name: 'participants per bridge', description: `set the target from jitsi-k8s bench; ${how}`, disabled: engine ? undefined : 'needs KEDA or a custom metrics API' },
      { value: 'cpu' as const, name: 'CPU of the bridge', description: 'an HPA on metrics-server' },
    ],
    default: engine ? current : 'cpu',
  });
}
