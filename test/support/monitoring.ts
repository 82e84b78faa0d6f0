/**
 * What scripts/monitoring/build.sh leaves in the cache (`npm run monitoring:build`, run by .ci/run): promtool
 * and the Prometheus operator's and KEDA's CRDs from their own modules. A test that needs them fails with the
 * command to run when they are missing.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function monitoringCache(): string {
  return join(process.env.JITSI_K8S_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'jitsi-k8s'), 'monitoring');
}

const missing = (what: string) => new Error(`${what} is not built\nhint: run \`npm run monitoring:build\` (Go on PATH; .ci/run does it)`);

export function promtoolBin(): string {
  const bin = join(monitoringCache(), 'bin', 'promtool');
  if (!existsSync(bin)) throw missing(bin);
  return bin;
}

/** The CRD files of `prometheus-operator` or `keda`, as the modules ship them. */
export function crdFiles(project: 'prometheus-operator' | 'keda'): string[] {
  const dir = join(monitoringCache(), 'crds', project);
  if (!existsSync(join(dir, '.done'))) throw missing(dir);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f));
}
