/**
 * The deployment a command works on: jitsi-k8s.yaml (-c/--config) and the cluster it names, with
 * --context / --namespace / --release over the file's values. One prelude for status, verify,
 * scale and uninstall; zod and client-node load only when a command runs.
 */
import type { Command } from 'commander';
import type { Kube } from '../cluster/kube.js';
import type { Config } from '../config/schema.js';

type Zod = typeof import('../config/zod.js');

/** The option fields every command on a deployment takes, for its zod schema. */
export function targetFields(z: Zod) {
  return {
    config: z.string().check(z.minLength(1)),
    context: z.optional(z.string().check(z.minLength(1))),
    namespace: z.optional(z.string().check(z.minLength(1))),
  };
}

/** The option fields of a command that changes the deployment (apply, scale, uninstall). */
export function changeFields(z: Zod) {
  return {
    config: z.string().check(z.minLength(1)),
    dryRun: z.optional(z.boolean()),
    yes: z.optional(z.boolean()),
    json: z.optional(z.boolean()),
    recover: z.optional(z.boolean()),
  };
}

/** -c/--config, --context and -n/--namespace, as every command on a deployment declares them. */
export function targetOptions(cmd: Command, configHelp = 'config file'): Command {
  return cmd
    .option('-c, --config <file>', configHelp, 'jitsi-k8s.yaml')
    .option('--context <name>', "kubeconfig context (default: the config's, else the current one)")
    .option('-n, --namespace <ns>', 'namespace (default: the config\'s, else "jitsi")');
}

export interface TargetFlags {
  config: string;
  context?: string;
  namespace?: string;
  release?: string;
}

export interface Target<C extends Config | undefined = Config> {
  /** the parsed jitsi-k8s.yaml (undefined only when the file was optional and absent) */
  config: C;
  namespace: string;
  release: string;
  context?: string;
  /** a client for the target's cluster and namespace (client-node loads on first call) */
  kube(signal?: AbortSignal): Promise<Kube>;
}

/** Reads jitsi-k8s.yaml and resolves namespace, release and context: flags first, then the file, then "jitsi". */
export async function openTarget(flags: TargetFlags): Promise<Target>;
/** `optional`: a missing file is no error (status works without one); a file named with --config must still exist. */
export async function openTarget(flags: TargetFlags, opts: { optional: boolean }): Promise<Target<Config | undefined>>;
export async function openTarget(flags: TargetFlags, opts: { optional?: boolean } = {}): Promise<Target<Config | undefined>> {
  const { loadConfig } = await import('../config/file.js');
  const { existsSync } = await import('node:fs');
  const config = !opts.optional || existsSync(flags.config) ? loadConfig(flags.config).config : undefined;
  const namespace = flags.namespace ?? config?.cluster.namespace ?? 'jitsi';
  const context = flags.context ?? config?.cluster.context;
  return {
    config,
    namespace,
    release: flags.release ?? config?.cluster.release ?? 'jitsi',
    context,
    kube: async (signal) => (await import('../cluster/kube.js')).openKube({ context, namespace, signal }),
  };
}
