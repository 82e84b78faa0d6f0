// Where the tests find the jitsi-meet chart 3.4.0 (the real one; the project never holds a copy):
// JITSI_HELM_CHART_DIR (an unpacked chart folder or the .tgz), else ../shared/charts/jitsi-meet-3.4.0.tgz
// beside the clone, as CI has it. scripts/test.mjs checks it before running anything; the tests take
// it from test/support/chart.ts.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** the chart beside the clone (`shared/charts/` in CI) */
export const sharedChart = resolve(root, '../shared/charts/jitsi-meet-3.4.0.tgz');

/** The chart path helm takes: a .tgz or an unpacked chart folder. */
export function testChartPath(env = process.env) {
  return env.JITSI_HELM_CHART_DIR || sharedChart;
}

/** Why the tests cannot have the chart ({ error, hint }), or undefined when it is there. */
export function missingTestChart(env = process.env) {
  const path = testChartPath(env);
  const where = env.JITSI_HELM_CHART_DIR ? `${path} (JITSI_HELM_CHART_DIR)` : `${path} (shared/charts/ beside the clone)`;
  const there = existsSync(path) && (statSync(path).isDirectory() ? existsSync(join(path, 'Chart.yaml')) : statSync(path).size > 0);
  if (there) return undefined;
  return {
    error: `the tests need the jitsi-meet chart 3.4.0, not found at ${where}`,
    hint:
      'helm pull jitsi-meet --repo https://jitsi-contrib.github.io/jitsi-helm/ --version 3.4.0 and set ' +
      'JITSI_HELM_CHART_DIR to the .tgz (or an unpacked chart folder), or put it in shared/charts/ beside the clone',
  };
}
