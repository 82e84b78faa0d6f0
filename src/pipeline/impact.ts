/**
 * Impact before action: before an upgrade runs, which bridges it restarts (their pod template
 * changes; with hostPort the chart forces Recreate, so every bridge of the Deployment stops at once)
 * or removes, and how many participants and conferences are on them now (read through the pod
 * proxy, as `status` does). Live participants on them need a "yes" (terminal) or --yes.
 */
import { EXPOSURE } from '../config/exposure.js';
import type { Config } from '../config/schema.js';
import { readBridgeLoadState } from '../cluster/drain.js';
import type { ToolInfo } from '../cluster/helm.js';
import { bridgeChanges } from '../cluster/impact.js';
import { componentSelector } from '../cluster/jvb.js';
import type { Kube } from '../cluster/kube.js';
import type { Step } from '../cluster/plan.js';
import { UsageError } from '../errors.js';

export interface BridgeImpact {
  /** JVB Deployments whose pods are replaced, and the ones removed */
  restarted: string[];
  removed: string[];
  /** their pods now, with the bridge's own participants */
  bridges: { pod: string; deployment: string; participants?: number; conferences?: number }[];
  participants: number;
  conferences: number;
  /** of `participants`, those on bridges the change removes */
  onRemoved: number;
}

export function describeImpact(config: Config, i: BridgeImpact): string {
  const what = [
    i.restarted.length ? `restarts ${i.restarted.join(', ')}${EXPOSURE[config.exposure.mode].behindService ? '' : ' (hostPort: Recreate, every bridge pod at once)'}` : '',
    i.removed.length ? `removes ${i.removed.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  if (i.participants === 0) return `this change ${what}: no participants on them now`;
  const load = i.bridges.map((b) => `${b.pod}: ${b.participants ?? '?'} participants in ${b.conferences ?? '?'} conferences`).join('; ');
  return `this change ${what}: ${i.participants} participant(s) in ${i.conferences} conference(s) on them now${load ? ` (${load})` : ''}; each drains first (no new meetings, up to ${config.components.jvb.drain.timeout}), whoever is left then is disconnected`;
}

/** What the main release's upgrade does to the bridges and who is on them; undefined when it touches none (or installs fresh). */
export async function readBridgeImpact(kube: Kube, helm: ToolInfo, step: Step, config: Config, signal: AbortSignal): Promise<BridgeImpact | undefined> {
  const ns = config.cluster.namespace;
  const i = step.args.indexOf('--kube-context');
  const changes = await bridgeChanges(helm, step, config.cluster.release, ns, i >= 0 ? step.args.slice(i, i + 2) : [], signal);
  if (!changes || changes.restarted.length + changes.removed.length === 0) return undefined;
  const touched = [...changes.restarted, ...changes.removed];
  const pods = (await kube.pods(ns, componentSelector(config.cluster.release, 'jvb'))).filter((p) => !p.metadata?.deletionTimestamp);
  const bridges = await Promise.all(
    pods
      .map((p) => ({ pod: p.metadata?.name ?? '?', deployment: touched.find((d) => (p.metadata?.name ?? '').startsWith(`${d}-`)) }))
      .filter((b): b is { pod: string; deployment: string } => b.deployment !== undefined)
      .map(async (b) => {
        const s = await readBridgeLoadState(kube, ns, b.pod, { signal }).catch(() => undefined);
        return { ...b, participants: s?.participants, conferences: s?.conferences };
      }),
  );
  return {
    ...changes,
    bridges,
    participants: bridges.reduce((s, b) => s + (b.participants ?? 0), 0),
    conferences: bridges.reduce((s, b) => s + (b.conferences ?? 0), 0),
    onRemoved: bridges.filter((b) => changes.removed.includes(b.deployment)).reduce((s, b) => s + (b.participants ?? 0), 0),
  };
}

/**
 * Says the impact; with live participants on the bridges, goes on only after --yes or a "yes"; false after a "no".
 * `removalConfirmed`: the caller drained the bridges that go, or was told yes about them (a scale-in): only restarts count.
 */
export async function confirmImpact(
  config: Config,
  impact: BridgeImpact,
  o: { yes: boolean; removalConfirmed?: boolean; say: (m: string, live: boolean) => void; confirm?: (m: string) => Promise<boolean> },
): Promise<boolean> {
  const text = describeImpact(config, impact);
  const live = impact.participants - (o.removalConfirmed ? impact.onRemoved : 0);
  o.say(text, live > 0);
  if (live === 0 || o.yes) return true;
  if (!o.confirm) throw new UsageError(`${text} — not confirmed`, 'pass --yes to go on, or wait until the meetings on those bridges ended');
  return o.confirm(`${text}. Go on?`);
}
