/**
 * `scale`: change the Config (src/config/scale.ts), show what it means, warn before bridges with
 * live meetings go away, re-apply through the one pipeline (./apply.ts), then save jitsi-k8s.yaml.
 * Also the BridgeScaler `bench --replicas` sweeps with (the config file is not changed by a sweep).
 */
import { saveConfig } from '../config/file.js';
import { interruptSignal } from '../interrupt.js';
import { planScaleChange, type ScaleChange, type ScaleRequest } from '../config/scale.js';
import type { Config, Secrets } from '../config/schema.js';
import type { ClusterActions, TaskRunner } from '../cluster/apply.js';
import type { Kube } from '../cluster/kube.js';
import { readBridgeLoad, type BridgeLoad } from '../cluster/scale.js';
import { drainTimeoutSeconds } from '../render/drain.js';
import { applyInstall, takeOver, withAdvertised, type ApplyResult, type PipelineReport } from './apply.js';
import { drainLeaving, type Drained, type DrainProgress } from './drain.js';

export interface ScaleInput {
  configPath: string;
  config: Config;
  secrets: Secrets;
  request: ScaleRequest;
  dryRun: boolean;
  yes: boolean;
  /** asked before dropping participants (scale-in without drain, or at the drain deadline); false = stop without changing anything */
  confirm: (message: string) => Promise<boolean>;
  /** the cluster (default: opened from the config's context) */
  kube?: Kube;
  /** skip the drain: the bridges go at once (their preStop graceful shutdown still runs) */
  noDrain?: boolean;
  /** how long the bridges that go may take to empty; default components.jvb.drain.timeout */
  drainTimeoutSeconds?: number;
  /** the drain's progress: per bridge the participants and conferences left */
  onDrain?: (p: DrainProgress) => void;
  /** stops the drain wait (default: the process's stop signal) */
  signal?: AbortSignal;
  actions?: ClusterActions;
  skipPreflight?: boolean;
  /** passed to applyInstall: warnings and the preflight table */
  report?: PipelineReport;
  /** passed to applyInstall: the progress display */
  runTasks?: TaskRunner;
  /** --recover (./recover.ts) */
  recover?: boolean;
}

export interface ScaleResult {
  change: Omit<ScaleChange, 'config'>;
  status: 'unchanged' | 'planned' | 'applied' | 'cancelled';
  bridges?: BridgeLoad[];
  /** the bridges that went were drained first: which, how long it took, who was left on them */
  drain?: { pods: string[]; drainedMs: number; left: number };
  apply?: Pick<ApplyResult, 'outcomes' | 'planText' | 'notes'>;
}

function scaleInMessage(change: ScaleChange, bridges: BridgeLoad[]): string {
  const affected = bridges.filter((b) => b.removed);
  const people = affected.reduce((s, b) => s + (b.participants ?? 0), 0);
  if (change.component !== 'jvb') return `Scale ${change.component} from ${change.from} to ${change.to}? Work on the removed pods ends.`;
  return `Scale in from ${change.from} to ${change.to} bridges without draining? ${affected.map((b) => `${b.pod} carries ${b.participants ?? '?'} participants in ${b.conferences ?? '?'} conferences`).join('; ')} — ${people} people lose their meeting.`;
}

export async function runScale(input: ScaleInput): Promise<ScaleResult> {
  const change = planScaleChange(input.config, input.request);
  const { config, ...summary } = change;
  if (JSON.stringify(config) === JSON.stringify(input.config)) return { change: summary, status: 'unchanged' };
  if (input.dryRun) {
    const r = await applyInstall({ configPath: input.configPath, config, secrets: input.secrets, yes: true, dryRun: true, report: input.report });
    return { change: summary, status: 'planned', apply: { outcomes: [], planText: r.planText, notes: r.notes } };
  }
  if (input.skipPreflight) return scaleUnderLease(input, change);
  // the lease is held from before the drain to after the helm step; what a killed run left is put right first
  // helm is looked for only when a pending release needs a rollback: a "no" before the helm step needs none
  const helm = async () => {
    const { detectHelm, helmBinary } = await import('../cluster/helm.js');
    return detectHelm(helmBinary(), input.signal ?? interruptSignal());
  };
  const say = (m: string) => input.report?.warn(m);
  const command = `jitsi-k8s scale ${change.component} ${change.to}`;
  const held = await takeOver({ recover: input.recover, command }, input.config, helm, '15m', say, input.signal ?? interruptSignal());
  try {
    return await scaleUnderLease(input, change);
  } finally {
    await held.lease.release();
  }
}

async function scaleUnderLease(input: ScaleInput, change: ScaleChange): Promise<ScaleResult> {
  const { config, ...summary } = change;
  let bridges: BridgeLoad[] | undefined;
  let drained: Drained | undefined;
  if (change.scalingIn && change.component === 'jvb') {
    const signal = input.signal ?? interruptSignal();
    const kube =
      input.kube ?? (await import('../cluster/kube.js')).openKube({ context: input.config.cluster.context, namespace: input.config.cluster.namespace, signal });
    bridges = await readBridgeLoad(kube, input.config, change.to, signal);
    const people = bridges.filter((b) => b.removed).reduce((s, b) => s + (b.participants ?? 0), 0);
    if (input.noDrain) {
      if (people > 0 && !input.yes && !(await input.confirm(scaleInMessage(change, bridges)))) return { change: summary, status: 'cancelled', bridges };
    } else {
      const d = await drainLeaving({
        kube,
        config: input.config,
        bridges,
        timeoutSeconds: input.drainTimeoutSeconds ?? drainTimeoutSeconds(input.config),
        yes: input.yes,
        confirm: input.confirm,
        onProgress: input.onDrain ?? (() => undefined),
        signal,
      });
      if (d === 'cancelled') return { change: summary, status: 'cancelled', bridges };
      drained = d;
    }
  } else if (change.scalingIn && !input.yes && !(await input.confirm(scaleInMessage(change, [])))) {
    return { change: summary, status: 'cancelled' };
  }
  const r = await applyInstall({
    configPath: input.configPath,
    config,
    secrets: input.secrets,
    yes: input.yes,
    // the bridges that go were drained or their removal confirmed above; a restart of one that stays still asks
    removalConfirmed: change.scalingIn && change.component === 'jvb',
    confirm: input.confirm,
    dryRun: false,
    actions: input.actions,
    skipPreflight: input.skipPreflight,
    report: input.report,
    runTasks: input.runTasks,
    signal: input.signal,
    underLease: true,
  }).catch(async (e: unknown) => {
    // helm rolled back (or never ran): the bridges stay, so they leave drain mode and get their cost back
    await drained?.undo();
    throw e;
  });
  if (r.cancelled) {
    await drained?.undo();
    return { change: summary, status: 'cancelled', bridges };
  }
  // the file changes only after the cluster took the change (a failed helm upgrade rolled back)
  saveConfig(input.configPath, withAdvertised(config, r.advertisedIPs ?? []));
  const drain = drained ? { pods: drained.pods, drainedMs: drained.drainedMs, left: drained.left } : undefined;
  return { change: summary, status: 'applied', bridges, ...(drain ? { drain } : {}), apply: { outcomes: r.outcomes, notes: r.notes } };
}

/** For `bench --replicas` (a bench BridgeScaler): scale bridges through the same pipeline without touching jitsi-k8s.yaml; a step down drains the bridges that go. */
export function createJvbScaler(input: {
  configPath: string;
  config: Config;
  secrets: Secrets;
  runTasks?: TaskRunner;
  actions?: ClusterActions;
  kube?: Kube;
  onDrain?: (p: DrainProgress) => void;
}) {
  let current = input.config;
  const stepUnderLease = async (change: ScaleChange, signal: AbortSignal): Promise<{ drained?: { bridges: number; drainedMs: number; left: number } }> => {
    let drained: Drained | undefined;
    if (change.scalingIn) {
      const kube =
        input.kube ?? (await import('../cluster/kube.js')).openKube({ context: current.cluster.context, namespace: current.cluster.namespace, signal });
      const load = await readBridgeLoad(kube, current, change.to, signal);
      // unattended: the bench's participants left at the end of the step; whoever is still there at the deadline is dropped
      const d = await drainLeaving({
        kube,
        config: current,
        bridges: load,
        timeoutSeconds: drainTimeoutSeconds(current),
        yes: true,
        confirm: async () => true,
        onProgress: input.onDrain ?? (() => undefined),
        signal,
      });
      if (d !== 'cancelled') drained = d;
    }
    await applyInstall({
      configPath: input.configPath,
      config: change.config,
      secrets: input.secrets,
      yes: true,
      dryRun: false,
      runTasks: input.runTasks,
      actions: input.actions,
      signal,
      underLease: true,
    }).catch(async (e: unknown) => {
      await drained?.undo();
      throw e;
    });
    current = change.config;
    return drained ? { drained: { bridges: drained.pods.length, drainedMs: drained.drainedMs, left: drained.left } } : {};
  };
  return {
    async current(): Promise<number> {
      return current.components.jvb.replicas;
    },
    // the sweep's restore after Ctrl-C/SIGTERM comes with its own signal: the process's is aborted by then
    async scaleTo(bridges: number, signal: AbortSignal): Promise<{ drained?: { bridges: number; drainedMs: number; left: number } }> {
      const change = planScaleChange(current, { component: 'jvb', count: bridges });
      if (change.from === change.to) return {};
      const helm = async () => {
        const { detectHelm, helmBinary } = await import('../cluster/helm.js');
        return detectHelm(helmBinary(), signal);
      };
      // the sweep's step holds the release's lease from its drain to its helm step
      const held = await takeOver({ command: `jitsi-k8s bench --replicas (step to ${bridges} bridges)` }, current, helm, '15m', () => undefined, signal);
      try {
        return await stepUnderLease(change, signal);
      } finally {
        await held.lease.release();
      }
    },
  };
}
