/** Installs the extras chart jitsi-k8s renders for a config (with its secrets on stdin, as apply does) with real helm on the test control plane. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../../src/config/schema.js';
import { renderRelease } from '../../src/render/index.js';
import { FIXED_SECRETS } from './config.js';
import { helmAsync } from './control-plane.js';

/**
 * Writes the extras chart of `config` under `workDir` and installs it into the config's namespace. `without`: kinds
 * left out (the Prometheus operator's, in a test whose control plane does not serve their CRDs).
 */
export async function installExtras(config: Config, workDir: string, o: { without?: string[] } = {}): Promise<void> {
  const extras = renderRelease(config, FIXED_SECRETS).extras!;
  const dir = join(workDir, config.cluster.namespace, extras.release);
  const left = (text: string) => (o.without ?? []).some((kind) => new RegExp(`^kind: ${kind}$`, 'm').test(text));
  for (const [file, text] of Object.entries(extras.files)) {
    if (left(text)) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  await helmAsync(['upgrade', '--install', extras.release, dir, '--namespace', config.cluster.namespace, '--values', '-'], stringify(extras.secretValues));
}
