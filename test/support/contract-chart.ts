/**
 * What the contract tests of chart jitsi-meet 3.4.0 share (test/render/contract*.test.ts): the
 * contract chart of ours, the real chart when JITSI_HELM_CHART_DIR names one, our values for a
 * config, and the configs both use.
 */
import { join } from 'node:path';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from './config.js';
import { repoRoot } from './tools.js';

export type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const contractChart = join(repoRoot, 'test/fixtures/jitsi-meet-contract');
export const realChart = process.env.JITSI_HELM_CHART_DIR || process.env.JITSI_MEET_CHART_DIR || '';

/** The chart values we render for a config with these overrides. */
export const chartValues = (overrides: Record<string, unknown>): Any => fullValues(renderRelease(config(overrides), FIXED_SECRETS)) as Any;

/** Every optional component with storage, and prosody's persistence: the config that renders every PVC. */
export const WITH_STORAGE = {
  nodes: { count: 4, cpu: 8, memoryGiB: 32 },
  components: {
    jibri: { enabled: true, replicas: 2, storage: { enabled: true, size: '20Gi', storageClass: 'nfs', accessMode: 'ReadWriteMany' } },
    jigasi: { enabled: true },
    transcriber: { enabled: true, storage: { enabled: true, size: '5Gi' } },
    prosody: { persistence: { enabled: true, size: '2Gi', storageClass: 'local-path' } },
  },
};
