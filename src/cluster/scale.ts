/**
 * What a scale-in takes away: which bridges go, and the meetings on every bridge now (for the
 * warning src/pipeline/scale.ts asks before it re-applies).
 */
import type { Config } from '../config/schema.js';
import { EXPOSURE } from '../config/exposure.js';
import { jvbDeploymentNames } from '../render/values.js';
import type { Kube } from './kube.js';

export interface BridgeLoad {
  pod: string;
  deployment?: string;
  participants?: number;
  conferences?: number;
  /** this bridge goes away with the change */
  removed: boolean;
}

/** Which bridges a scale-in removes: behind a Service the highest-numbered Deployments; with hostPort the Deployment picks. */
export function bridgesRemoved(config: Config, to: number, pods: string[]): { pods: string[]; exact: boolean } {
  if (EXPOSURE[config.exposure.mode].behindService) {
    const gone = jvbDeploymentNames(config).slice(to);
    return { pods: pods.filter((p) => gone.some((d) => p.startsWith(`${d}-`))), exact: true };
  }
  return { pods: [], exact: false };
}

/** Participants and conferences on every bridge now, from /colibri/stats through the API server. */
export async function readBridgeLoad(kube: Kube, config: Config, to: number): Promise<BridgeLoad[]> {
  const { discoverJvbPods, readColibriStats } = await import('./jvb.js');
  const pods = await discoverJvbPods(kube, { namespace: config.cluster.namespace, release: config.cluster.release });
  const removed = bridgesRemoved(config, to, pods.map((p) => p.name));
  const deployments = jvbDeploymentNames(config);
  return Promise.all(
    pods.map(async (p) => {
      const stats = await readColibriStats(kube, p.namespace, p.name, { timeoutMs: 5_000 }).catch(() => undefined);
      return {
        pod: p.name,
        deployment: deployments.find((d) => p.name.startsWith(`${d}-`)),
        participants: stats?.participants,
        conferences: stats?.conferences,
        removed: removed.pods.includes(p.name),
      };
    }),
  );
}
