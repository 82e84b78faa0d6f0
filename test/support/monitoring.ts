/**
 * What scripts/monitoring/build.sh leaves in the cache (`npm run monitoring:build`, run by .ci/run): promtool
 * and the Prometheus operator's and KEDA's CRDs from their own modules. A test that needs them fails with the
 * command to run when they are missing. Outside CI a test whose tools are not built is skipped, saying so and
 * how to build them (as the real-cluster tests are); in CI (`CI` set) it runs and fails.
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

/** Why the monitoring tests cannot run here (nothing built yet), or undefined; never set in CI, where a missing tool fails. */
export function monitoringSkip(): string | undefined {
  if (process.env.CI) return undefined;
  const promtool = join(monitoringCache(), 'bin', 'promtool');
  const crds = ['prometheus-operator', 'keda'].map((p) => join(monitoringCache(), 'crds', p, '.done'));
  if ([promtool, ...crds].every((f) => existsSync(f))) return undefined;
  const why = 'promtool and the CRDs are not built: run `npm run monitoring:build` (Go on PATH)';
  console.warn(`monitoring tests skipped: ${why}`);
  return why;
}
