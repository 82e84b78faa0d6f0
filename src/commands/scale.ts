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
  });
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
    .option('--dry-run', 'print the change and the plan, change nothing')
    .option('-y, --yes', 'do not ask before scaling in')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Behind a Service (loadBalancer, nodePort, tailscale, pangolin) N bridges = N Deployments with one
UDP port each (UDPPort..UDPPort+N-1 must be open); with hostPort N bridges = N pods, one per node.
prosody, jicofo, jigasi and transcriber run exactly once in the chart and cannot be scaled.
Examples:
  jitsi-k8s scale jvb 6
  jitsi-k8s scale web 3 --dry-run
  jitsi-k8s scale jvb --auto --min 2 --max 10 --cpu 70`,
    )
    .action(async (component: string, count: string | undefined, raw: unknown) => {
      const parsed = (await optionsSchema()).safeParse(raw);
      if (!parsed.success) throw new UsageError(`scale: ${parsed.error.issues[0]?.message ?? 'bad option'}`);
      const o = parsed.data;
      const { parseCount } = await import('../config/scale.js');
      const request = {
        component,
        count: parseCount(count, 'count'),
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
      const logger = log();
      const { config, secrets } = loadConfigAndSecrets(o.config);
      // a bad request must fail before anything is read from the cluster
      const { planScaleChange } = await import('../config/scale.js');
      const change = planScaleChange(config, request);
      if (!o.json) for (const e of change.effects) logger.info(`  ${e}`);
      const result = await runScale({ configPath: o.config, config, secrets, request, dryRun: Boolean(o.dryRun), yes: Boolean(o.yes), confirm: confirmOrRefuse, ...(await pipelineIO(logger)) });
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ ...result.change, status: result.status, bridges: result.bridges, outcomes: result.apply?.outcomes }, null, 2)}\n`);
        return;
      }
      if (result.apply?.planText !== undefined) process.stdout.write(`${result.apply.planText}\n`);
      const what = `${result.change.component} ${result.change.from} → ${result.change.to}`;
      if (result.status === 'unchanged') logger.info(`${result.change.component} already at ${result.change.to}: nothing to do`);
      else if (result.status === 'cancelled') logger.info(`not scaled (${what}); nothing changed`);
      else if (result.status === 'applied') logger.success(`scaled ${what}; ${o.config} updated`);
    });
}
