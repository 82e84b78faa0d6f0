import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { openTarget, targetFields, targetOptions } from './target.js';

// zod loads when the command runs, not for --help
async function optionsSchema() {
  const z = await import('../config/zod.js');
  return z.object({
    ...targetFields(z),
    release: z.optional(z.string().check(z.minLength(1))),
    json: z.optional(z.boolean()),
    watch: z.optional(z.boolean()),
    interval: z.coerce
      .number({ error: '--interval: a number of seconds' })
      .check(z.minimum(1, '--interval: at least 1 second'), z.maximum(3600, '--interval: at most 3600 seconds')),
  });
}

/** Adds "NN % of measured capacity": the profile `bench capacity save` stored (read once), else the estimate for the config's bridges. */
async function capacityReader(
  kube: import('../cluster/kube.js').Kube,
  config: import('../config/schema.js').Config | undefined,
  ref: { namespace: string; release: string },
): Promise<(s: import('../cluster/status.js').Status) => Promise<import('../cluster/status.js').Status>> {
  const [{ readCapacityProfile }, { statusCapacity }, { capacityBasis }, { sizeRelease }] = await Promise.all([
    import('../cluster/capacity.js'),
    import('../cluster/status.js'),
    import('../config/capacity-profile.js'),
    import('../config/sizing.js'),
  ]);
  const stored = await readCapacityProfile(kube, ref).catch(() => undefined);
  const basis = config
    ? sizeRelease(config, stored).capacity
    : stored
      ? capacityBasis({
          profile: stored.profile,
          profileSource: stored.source,
          roomSize: stored.profile.shape.roomSize,
          bridgeCores: stored.profile.bridgeCores ?? 1,
        })
      : undefined;
  return async (s) => (basis && s.bridges.length ? { ...s, capacity: statusCapacity(s.bridges, basis) } : s);
}

export function defineStatus(program: Command): void {
  targetOptions(
    program.command('status').description('one view of the installation: components, bridges, load'),
    'config file (namespace, release, context defaults)',
  )
    .option('-r, --release <name>', 'Helm release name (default: the config\'s, else "jitsi")')
    .option('--json', 'print the status object as JSON (with --watch: one object per line)')
    .option('-w, --watch', 'refresh every few seconds until Ctrl-C')
    .option('--interval <seconds>', 'refresh interval for --watch', '5')
    .action(async (raw: unknown, cmd: Command) => {
      const parsed = (await optionsSchema()).safeParse(raw);
      if (!parsed.success) throw new UsageError(`status: ${parsed.error.issues[0]?.message ?? 'bad options'}`);
      const opts = parsed.data;
      const [{ readStatus }, { formatStatus }, { sleep }, { interruptSignal, throwIfInterrupted }, { log }] = await Promise.all([
        import('../cluster/status.js'),
        import('../ui/status.js'),
        import('../cluster/wait.js'),
        import('../interrupt.js'),
        import('../ui/log.js'),
      ]);
      // the default file is optional; one named with --config must exist
      const target = await openTarget(opts, { optional: cmd.getOptionValueSource('config') === 'default' });
      const { namespace, release } = target;
      const bridges =
        target.config && !target.config.components.jvb.autoscale.enabled && release === target.config.cluster.release
          ? target.config.components.jvb.replicas
          : undefined;
      const signal = interruptSignal();
      const kube = await target.kube(signal);
      const logger = log();
      const tty = Boolean(process.stdout.isTTY);

      const withCapacity = await capacityReader(kube, target.config, { namespace, release });
      if (!opts.watch) {
        const status = await withCapacity(await readStatus(kube, { namespace, release, signal, bridges }));
        process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`);
        return;
      }
      logger.info(`watching release ${release} in ${namespace} every ${opts.interval}s — Ctrl-C to stop`);
      for (;;) {
        try {
          const status = await withCapacity(await readStatus(kube, { namespace, release, signal, bridges }));
          if (opts.json) process.stdout.write(`${JSON.stringify(status)}\n`);
          else process.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${formatStatus(status)}\n\n`);
        } catch (e) {
          throwIfInterrupted(signal);
          // a passing API hiccup should not end the watch
          logger.warn((e as Error).message);
        }
        await sleep(opts.interval * 1000, signal);
      }
    });
}
