import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { changeFields } from './target.js';

// zod loads when the command runs, not for --help
async function optionsSchema() {
  const z = await import('../config/zod.js');
  return z.object({
    ...changeFields(z),
    auto: z.optional(z.boolean()),
    min: z.optional(z.string()),
    max: z.optional(z.string()),
    cpu: z.optional(z.string()),
    drain: z.optional(z.boolean()),
    drainTimeout: z.optional(z.string()),
    for: z.optional(z.string()),
    roomSize: z.optional(z.string()),
    profile: z.optional(z.string()),
  });
}

/** `--for N`: the bridges N participants need, from the profile (file or ConfigMap) or the estimate; the arithmetic and the choice are said first. */
async function bridgesFor(participants: number, o: { config: string; roomSize?: string; profile?: string; json?: boolean }): Promise<number> {
  const { loadConfig } = await import('../config/file.js');
  const { parseCount } = await import('../config/scale.js');
  const { describeCapacity, sizeRelease, DEFAULT_ROOM_SIZE } = await import('../config/sizing.js');
  const { PLANNING_SHARE } = await import('../config/capacity-profile.js');
  const { openKube } = await import('../cluster/kube.js');
  const { capacityFor } = await import('../cluster/capacity.js');
  const { log } = await import('../ui/log.js');
  const logger = log();
  const { config } = loadConfig(o.config);
  const capacity = await capacityFor(config, o.config, { kube: () => openKube({ context: config.cluster.context }), profile: o.profile, warn: (m) => logger.warn(m) });
  const roomSize = parseCount(o.roomSize, '--room-size') ?? config.expect?.roomSize ?? capacity?.profile.shape.roomSize ?? DEFAULT_ROOM_SIZE;
  const sizing = sizeRelease({ ...config, expect: { ...config.expect, peakParticipants: participants, roomSize } }, capacity);
  const plan = sizing.plan!;
  if (!o.json) {
    for (const line of describeCapacity(sizing)) logger.info(line);
    logger.info(`chose ${plan.bridges} bridge${plan.bridges === 1 ? '' : 's'}: enough for ${participants} participants with the bridges at ${PLANNING_SHARE * 100} % of ${sizing.capacity.kind === 'profile' ? 'their measured' : 'the estimated'} capacity (20 % headroom)`);
  }
  return plan.bridges;
}

export function defineScale(program: Command): void {
  program
    .command('scale')
    .description('change the number of bridges (jvb), web or jibri pods, the way the chart requires')
    .argument('<component>', 'jvb | web | jibri')
    .argument('[count]', 'new number of pods')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .addOption(new Option('--auto', 'turn JVB autoscaling on (hostPort only)'))
    .addOption(new Option('--no-auto', 'turn JVB autoscaling off'))
    .option('--min <n>', 'autoscaling: fewest bridges')
    .option('--max <n>', 'autoscaling: most bridges')
    .option('--cpu <percent>', 'autoscaling: target CPU use, percent of the request')
    .option('--drain-timeout <duration>', 'scaling in: how long the bridges that go may take to empty, e.g. 30m (default: components.jvb.drain.timeout, 1h)')
    .option('--no-drain', 'scaling in: remove the bridges at once, without waiting for their meetings to end')
    .option('--for <participants>', 'jvb: as many bridges as this many participants need, from the measured capacity profile (else the published estimate), with 20 % headroom')
    .option('--room-size <n>', 'with --for: people per meeting (default: expect.roomSize, else the profile\'s rooms, else 10)')
    .option('--profile <file>', 'with --for: a capacity.json to size from (default: expect.profile, else the ConfigMap of `bench capacity save`)')
    .option('--dry-run', 'print the change and the plan, change nothing')
    .option('-y, --yes', 'do not ask: at the drain deadline (or with --no-drain) drop the participants left')
    .option('--json', 'print the result as JSON')
    .option('--recover', 'a release left pending by a killed run: roll it back now, whatever its age (only when no run elsewhere works on it)')
    .addHelpText(
      'after',
      `
Behind a Service (loadBalancer, nodePort, tailscale, pangolin) N bridges = N Deployments with one
UDP port each (UDPPort..UDPPort+N-1 must be open); with hostPort N bridges = N pods, one per node.
prosody, jicofo, jigasi and transcriber run exactly once in the chart and cannot be scaled.
Scaling in drains first: the emptiest bridges (hostPort; behind a Service the highest-numbered ones)
get no new meetings and are removed once their participants left, or at --drain-timeout, where
jitsi-k8s says how many would be dropped and goes on only with --yes or a "yes" on the terminal.
Ctrl-C while waiting takes them out of drain mode and changes nothing.
Examples:
  jitsi-k8s scale jvb 6
  jitsi-k8s scale jvb --for 900 --dry-run
  jitsi-k8s scale web 3 --dry-run
  jitsi-k8s scale jvb --auto --min 2 --max 10 --cpu 70`,
    )
    .action(async (component: string, count: string | undefined, raw: unknown) => {
      const parsed = (await optionsSchema()).safeParse(raw);
      if (!parsed.success) throw new UsageError(`scale: ${parsed.error.issues[0]?.message ?? 'bad option'}`);
      const o = parsed.data;
      const { parseCount } = await import('../config/scale.js');
      const forParticipants = parseCount(o.for, '--for');
      if (forParticipants !== undefined && component !== 'jvb') throw new UsageError('--for sizes the bridges: scale jvb --for <participants>');
      if (forParticipants !== undefined && count !== undefined) throw new UsageError('give a count or --for <participants>, not both');
      const request = {
        component,
        count: forParticipants !== undefined ? await bridgesFor(forParticipants, o) : parseCount(count, 'count'),
        auto: o.auto,
        min: parseCount(o.min, '--min'),
        max: parseCount(o.max, '--max'),
        cpuPercent: parseCount(o.cpu, '--cpu'),
      };
      const { loadConfigAndSecrets } = await import('../config/secrets-env.js');
      const { runScale } = await import('../pipeline/scale.js');
      const { pipelineIO } = await import('./pipeline-io.js');
      const { confirmOrRefuse } = await import('./confirm.js');
      const { log } = await import('../ui/log.js');
      const { parseDuration, DURATION_HINT } = await import('../config/duration.js');
      const drainTimeoutSeconds = o.drainTimeout === undefined ? undefined : parseDuration(o.drainTimeout);
      if (o.drainTimeout !== undefined && drainTimeoutSeconds === undefined) throw new UsageError(`--drain-timeout must be ${DURATION_HINT} (got "${o.drainTimeout}")`);
      const { drainReporter } = await import('../ui/drain.js');
      const logger = log();
      const { config, secrets } = loadConfigAndSecrets(o.config);
      // a bad request must fail before anything is read from the cluster
      const { planScaleChange } = await import('../config/scale.js');
      const change = planScaleChange(config, request);
      if (!o.json) for (const e of change.effects) logger.info(`  ${e}`);
      const result = await runScale({
        configPath: o.config,
        config,
        secrets,
        request,
        dryRun: Boolean(o.dryRun),
        yes: Boolean(o.yes),
        confirm: confirmOrRefuse,
        noDrain: o.drain === false,
        recover: Boolean(o.recover),
        drainTimeoutSeconds,
        onDrain: drainReporter((line) => logger.info(line)),
        ...(await pipelineIO(logger)),
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ ...result.change, status: result.status, bridges: result.bridges, drain: result.drain, outcomes: result.apply?.outcomes }, null, 2)}\n`);
        return;
      }
      if (result.apply?.planText !== undefined) process.stdout.write(`${result.apply.planText}\n`);
      const what = `${result.change.component} ${result.change.from} → ${result.change.to}`;
      if (result.status === 'unchanged') logger.info(`${result.change.component} already at ${result.change.to}: nothing to do`);
      else if (result.status === 'cancelled') logger.info(`not scaled (${what}); nothing changed`);
      else if (result.status === 'applied') {
        const drained = result.drain ? ` after draining ${result.drain.pods.length} bridge(s) for ${Math.round(result.drain.drainedMs / 1000)}s${result.drain.left ? ` (${result.drain.left} participants dropped)` : ''}` : '';
        logger.success(`scaled ${what}${drained}; ${o.config} updated`);
      }
    });
}
