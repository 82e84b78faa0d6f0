/**
 * vitest global setup: starts the real test control plane (scripts/cluster/cluster.mjs) once per run
 * when the run includes real-cluster tests (test/k8s/), and stops it at the end. Tests read its
 * state through `controlPlane()` (test/support/control-plane.ts). Without the binaries the run goes
 * on and each real-cluster test says why it is skipped — except in CI, where that is a failure.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { down, missingBinaries, up } from '../../scripts/cluster/cluster.mjs';
import { CONTROL_PLANE_DIR, CONTROL_PLANE_SKIP } from './control-plane-paths.js';

function wanted(): boolean {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-') && a !== 'run' && !a.includes('='));
  return filters.length === 0 || filters.some((f) => f.includes('k8s/') || f === 'test/k8s' || f.startsWith('test/k8s'));
}

export default async function setup(): Promise<() => void> {
  rmSync(CONTROL_PLANE_SKIP, { force: true });
  if (!wanted()) {
    writeFileSync(CONTROL_PLANE_SKIP, 'this run does not include test/k8s/, so no control plane was started');
    return () => rmSync(CONTROL_PLANE_SKIP, { force: true });
  }
  const missing: string[] = missingBinaries();
  if (missing.length) {
    const why = `the test control plane is not built (${missing.join(', ')} missing): run \`npm run cluster:build\` (Go, 10–30 min the first time)`;
    if (process.env.CI) throw new Error(`${why} — in CI .ci/run builds it first`);
    writeFileSync(CONTROL_PLANE_SKIP, why);
    return () => rmSync(CONTROL_PLANE_SKIP, { force: true });
  }
  try {
    await up({ dir: CONTROL_PLANE_DIR, log: (s: string) => process.stderr.write(`control plane: ${s}\n`) });
  } catch (e) {
    if (process.env.CI) throw e;
    writeFileSync(CONTROL_PLANE_SKIP, `the test control plane did not start (it needs root for its network namespace): ${(e as Error).message.split('\n')[0]}`);
    return () => rmSync(CONTROL_PLANE_SKIP, { force: true });
  }
  return () => {
    if (existsSync(join(CONTROL_PLANE_DIR, 'state.json'))) down({ dir: CONTROL_PLANE_DIR, log: (s: string) => process.stderr.write(`control plane: ${s}\n`) });
  };
}
