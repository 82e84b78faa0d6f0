/**
 * What a scale-in takes away: the meetings on every bridge now and which bridges go — behind a
 * Service the highest-numbered Deployments (helm removes jvb-<i> from the top), with hostPort the
 * emptiest pods by their own participants (participants − octo endpoints), which the caller then
 * makes the ReplicaSet remove through their pod-deletion-cost.
 */
import type { Config } from '../config/schema.js';
import { EXPOSURE } from '../config/exposure.js';
import { jvbDeploymentNames } from '../render/values.js';
import { DELETION_COST, readBridgeLoadState, type BridgeState } from './drain.js';
import { componentSelector } from './jvb.js';
import type { Kube } from './kube.js';

export interface BridgeLoad {
  pod: string;
  deployment?: string;
  /** the bridge's own participants (participants − octo_endpoints); absent when /colibri/stats did not answer */
  participants?: number;
  conferences?: number;
  state?: BridgeState;
  /** the pod's controller.kubernetes.io/pod-deletion-cost now (absent: none), to put back */
  deletionCost?: string;
  /** this bridge goes away with the change */
  removed: boolean;
}

/** Which bridges go when `to` remain: behind a Service the highest-numbered Deployments; with hostPort the emptiest pods (unknown load counts as busiest). */
export function chooseLeaving(config: Config, to: number, bridges: Omit<BridgeLoad, 'removed'>[]): Set<string> {
  if (EXPOSURE[config.exposure.mode].behindService) {
    const gone = jvbDeploymentNames(config).slice(to);
    return new Set(bridges.filter((b) => b.deployment !== undefined && gone.includes(b.deployment)).map((b) => b.pod));
  }
  const load = (b: Omit<BridgeLoad, 'removed'>) => b.participants ?? Number.POSITIVE_INFINITY;
  const emptiestFirst = [...bridges].sort((a, b) => load(a) - load(b) || a.pod.localeCompare(b.pod));
  return new Set(emptiestFirst.slice(0, Math.max(0, bridges.length - to)).map((b) => b.pod));
}

/** Participants and conferences on every bridge now (from /colibri/stats through the API server), and which go when `to` remain. */
export async function readBridgeLoad(kube: Kube, config: Config, to: number, signal?: AbortSignal): Promise<BridgeLoad[]> {
  const ns = config.cluster.namespace;
  const pods = (await kube.pods(ns, componentSelector(config.cluster.release, 'jvb')))
    .filter((p) => !p.metadata?.deletionTimestamp)
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const deployments = jvbDeploymentNames(config);
  const bridges = await Promise.all(
    pods.map(async (p) => {
      const pod = p.metadata?.name ?? '?';
      const load = await readBridgeLoadState(kube, ns, pod, { timeoutMs: 5_000, signal }).catch(() => undefined);
      // the chart labels each bridge pod with the index of its Deployment (label `instance`)
      const index = p.metadata?.labels?.instance;
      const cost = p.metadata?.annotations?.[DELETION_COST];
      return {
        pod,
        deployment: deployments.find((d) => index !== undefined && d.endsWith(`-jvb-${index}`)) ?? deployments.find((d) => pod.startsWith(`${d}-`)),
        participants: load?.participants,
        conferences: load?.conferences,
        state: load?.state,
        ...(cost !== undefined ? { deletionCost: cost } : {}),
      };
    }),
  );
  const leaving = chooseLeaving(config, to, bridges);
  return bridges.map((b) => ({ ...b, removed: leaving.has(b.pod) }));
}
