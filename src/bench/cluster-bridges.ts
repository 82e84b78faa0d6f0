/**
 * The bridges of a Jitsi deployment installed by jitsi-k8s, for the runner: the JVB sampler
 * (pod CPU, /colibri/stats, from src/cluster/) and, for --replicas sweeps, the scaler (src/pipeline/),
 * located by jitsi-k8s.yaml (namespace, release) and the kube context.
 */
import type { TaskRunner } from '../cluster/apply.js';
import { CommandError } from '../errors.js';
import type { Logger } from '../ui/log.js';
import type { Bridges } from './bridges.js';

export interface ClusterBridgeOptions {
  configPath: string;
  context?: string;
  /** a sweep needs the scaler (and the secrets file beside the config) */
  sweep: boolean;
  log: Pick<Logger, 'info' | 'warn'>;
  /** the progress display a sweep's re-applies run under; default: none */
  runTasks?: TaskRunner;
}

export async function clusterBridges(o: ClusterBridgeOptions): Promise<Bridges> {
  const { loadConfig, loadSecrets, secretsPathFor } = await import('../config/file.js');
  const { config } = loadConfig(o.configPath);
  const { openKube } = await import('../cluster/kube.js');
  const { createJvbSampler } = await import('../cluster/jvb.js');
  let kube: ReturnType<typeof openKube>;
  try {
    kube = openKube({ context: o.context, namespace: config.cluster.namespace });
  } catch (e) {
    if (o.sweep) throw e;
    // the site can be load-tested without cluster access; only the bridge figures are missing then
    o.log.warn(`the bridges are not measured: ${(e as Error).message.split('\n')[0]}`);
    return {};
  }
  const sampler = createJvbSampler(kube, { namespace: config.cluster.namespace, release: config.cluster.release, onNotice: (m) => o.log.warn(m) });
  if (!o.sweep) return { sampler };
  const secretsPath = secretsPathFor(o.configPath);
  const secrets = loadSecrets(secretsPath);
  if (!secrets) throw new CommandError(`--replicas re-applies the release and needs ${secretsPath}`, 'run the sweep where `jitsi-k8s init` wrote jitsi-k8s.yaml and its secrets file');
  const { createJvbScaler } = await import('../pipeline/scale.js');
  return { sampler, scaler: createJvbScaler({ configPath: o.configPath, config, secrets, runTasks: o.runTasks }) };
}
