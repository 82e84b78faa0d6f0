/** The test control plane the global setup started, or why there is none (in CI its absence fails). */
import { existsSync } from 'node:fs';

export interface RealCluster {
  kubeconfig?: string;
  why?: string;
}

export function realCluster(): RealCluster {
  const kubeconfig = process.env.JITSI_K8S_TEST_KUBECONFIG;
  if (kubeconfig && existsSync(kubeconfig)) return { kubeconfig };
  const why = 'no test control plane: build it with `npm run cluster:up` (see README, Development)';
  if (process.env.CI) throw new Error(`${why} — CI must run the real-cluster tests`);
  console.warn(`test/cluster-real: ${why}; the real-cluster tests are skipped`);
  return { why };
}
