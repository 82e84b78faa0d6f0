/**
 * `scale`: change the Config (src/config/scale.ts), show what it means, warn before bridges with
 * live meetings go away, re-apply through the one pipeline (./apply.ts), then save jitsi-k8s.yaml.
 * Also the BridgeScaler `bench --replicas` sweeps with (the config file is not changed by a sweep).
 */
import { saveConfig } from '../config/file.js';
import { planScaleChange, type ScaleChange, type ScaleRequest } from '../config/scale.js';
import type { Config, Secrets } from '../config/schema.js';
import type { ClusterActions, TaskRunner } from '../cluster/apply.js';
import { readBridgeLoad, type BridgeLoad } from '../cluster/scale.js';
import { applyInstall, withAdvertised, type ApplyResult, type PipelineReport } from './apply.js';

export interface ScaleInput {
  configPath: string;
  config: Config;
  secrets: Secrets;
  request: ScaleRequest;
  dryRun: boolean;
  yes: boolean;
  /** asked before scaling in; false = stop without changing anything */
  confirm: (message: string) => Promise<boolean>;
  /** reads bridge load for the scale-in warning; default: through the cluster */
  bridgeLoad?: (config: Config, to: number) => Promise<BridgeLoad[]>;
  actions?: ClusterActions;
  skipPreflight?: boolean;
  /** passed to applyInstall: warnings and the preflight table */
  report?: PipelineReport;
  /** passed to applyInstall: the progress display */
  runTasks?: TaskRunner;
}

export interface ScaleResult {
  change: Omit<ScaleChange, 'config'>;
  status: 'unchanged' | 'planned' | 'applied' | 'cancelled';
  bridges?: BridgeLoad[];
  apply?: Pick<ApplyResult, 'outcomes' | 'planText' | 'notes'>;
}

function scaleInMessage(change: ScaleChange, bridges: BridgeLoad[]): string {
  const affected = bridges.filter((b) => b.removed);
  const people = affected.reduce((s, b) => s + (b.participants ?? 0), 0);
  if (change.component !== 'jvb') return `Scale ${change.component} from ${change.from} to ${change.to}? Work on the removed pods ends.`;
  if (affected.length > 0) {
    return `Scale in from ${change.from} to ${change.to} bridges? ${affected.map((b) => `${b.pod} carries ${b.participants ?? '?'} participants in ${b.conferences ?? '?'} conferences`).join('; ')} — ${people} people lose their meeting.`;
  }
  const total = bridges.reduce((s, b) => s + (b.participants ?? 0), 0);
  return `Scale in from ${change.from} to ${change.to} bridges? Kubernetes picks which bridge pods stop; ${total} participants are on the bridges now (3.4.0 has no drain).`;
}

export async function runScale(input: ScaleInput): Promise<ScaleResult> {
  const change = planScaleChange(input.config, input.request);
  const { config, ...summary } = change;
  if (JSON.stringify(config) === JSON.stringify(input.config)) return { change: summary, status: 'unchanged' };
  if (input.dryRun) {
    const r = await applyInstall({ configPath: input.configPath, config, secrets: input.secrets, yes: true, dryRun: true, report: input.report });
    return { change: summary, status: 'planned', apply: { outcomes: [], planText: r.planText, notes: r.notes } };
  }
  let bridges: BridgeLoad[] | undefined;
  if (change.scalingIn) {
    if (change.component === 'jvb') {
      const read =
        input.bridgeLoad ??
        (async (c: Config, to: number) => {
          const { openKube } = await import('../cluster/kube.js');
          return readBridgeLoad(openKube({ context: c.cluster.context, namespace: c.cluster.namespace }), c, to);
        });
      bridges = await read(input.config, change.to);
    }
    if (!input.yes && !(await input.confirm(scaleInMessage(change, bridges ?? [])))) return { change: summary, status: 'cancelled', bridges };
  }
  const r = await applyInstall({
    configPath: input.configPath,
    config,
    secrets: input.secrets,
    yes: input.yes,
    dryRun: false,
    actions: input.actions,
    skipPreflight: input.skipPreflight,
    report: input.report,
    runTasks: input.runTasks,
  });
  // the file changes only after the cluster took the change (a failed helm upgrade rolled back)
  saveConfig(input.configPath, withAdvertised(config, r.advertisedIPs ?? []));
  return { change: summary, status: 'applied', bridges, apply: { outcomes: r.outcomes, notes: r.notes } };
}

/** For `bench --replicas` (a bench BridgeScaler): scale bridges through the same pipeline without touching jitsi-k8s.yaml. */
export function createJvbScaler(input: { configPath: string; config: Config; secrets: Secrets; runTasks?: TaskRunner; actions?: ClusterActions }) {
  let current = input.config;
  return {
    async current(): Promise<number> {
      return current.components.jvb.replicas;
    },
    // the sweep's restore after Ctrl-C/SIGTERM comes with its own signal: the process's is aborted by then
    async scaleTo(bridges: number, signal: AbortSignal): Promise<void> {
      const change = planScaleChange(current, { component: 'jvb', count: bridges });
      if (change.from === change.to) return;
      await applyInstall({ configPath: input.configPath, config: change.config, secrets: input.secrets, yes: true, dryRun: false, runTasks: input.runTasks, actions: input.actions, signal });
      current = change.config;
    },
  };
}
