import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { changeFields, openTarget } from './target.js';

// zod loads when the command runs, not for --help
async function optionsSchema() {
  const z = await import('../config/zod.js');
  return z.object({
    ...changeFields(z),
    deleteData: z.optional(z.boolean()),
    drain: z.optional(z.boolean()),
    drainTimeout: z.optional(z.string()),
  });
}

export function defineUninstall(program: Command): void {
  program
    .command('uninstall')
    .description('remove what apply installed (keeps the recording, transcript and prosody volumes unless --delete-data)')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('--delete-data', 'also delete PersistentVolumeClaims (recordings, transcripts, prosody data)')
    .option('--drain-timeout <duration>', 'how long the bridges may take to empty before the release goes, e.g. 30m (default: components.jvb.drain.timeout)')
    .option('--no-drain', 'remove the release at once, without waiting for the meetings to end')
    .option('--dry-run', 'print the plan, change nothing')
    .option('-y, --yes', 'do not ask for confirmation (also: at the drain deadline, drop whoever is left)')
    .option('--json', 'print the result as JSON')
    .option('--recover', 'a release left pending by a killed run: roll it back now, whatever its age (only when no run elsewhere works on it)')
    .addHelpText('after', '\nExamples:\n  jitsi-k8s uninstall --dry-run\n  jitsi-k8s uninstall --yes --delete-data')
    .action(async (raw: unknown) => {
      const parsed = (await optionsSchema()).safeParse(raw);
      if (!parsed.success) throw new UsageError(`uninstall: ${parsed.error.issues[0]?.message ?? 'bad option'}`);
      const o = parsed.data;
      const { uninstallRelease } = await import('../pipeline/apply.js');
      const { pipelineIO } = await import('./pipeline-io.js');
      const { confirmOrRefuse } = await import('./confirm.js');
      const { log } = await import('../ui/log.js');
      const { config, release, namespace, context } = await openTarget(o);
      const what = `release ${release} in namespace ${namespace}${context ? ` (context ${context})` : ''}${o.deleteData ? ' AND its data volumes' : ''}`;
      if (!o.dryRun && !o.yes) {
        const ok = await confirmOrRefuse(`Remove ${what}? ${o.drain === false ? 'Running meetings end.' : 'The bridges drain first: running meetings may end on their own until the drain deadline.'}`);
        if (!ok) {
          log().info('nothing removed');
          return;
        }
      }
      const { runTasks } = await pipelineIO(log());
      const { parseDuration, DURATION_HINT } = await import('../config/duration.js');
      const { drainTimeoutSeconds } = await import('../render/drain.js');
      const timeoutSeconds = o.drainTimeout === undefined ? drainTimeoutSeconds(config) : parseDuration(o.drainTimeout);
      if (timeoutSeconds === undefined) throw new UsageError(`--drain-timeout must be ${DURATION_HINT} (got "${o.drainTimeout}")`);
      const { drainReporter } = await import('../ui/drain.js');
      const drain = o.drain === false ? undefined : { timeoutSeconds, yes: Boolean(o.yes), confirm: confirmOrRefuse, onProgress: drainReporter((l) => log().info(l)) };
      const result = await uninstallRelease({ config, deleteData: Boolean(o.deleteData), dryRun: Boolean(o.dryRun), runTasks, drain, recover: Boolean(o.recover), say: (m) => log().warn(m) });
      if (result.cancelled) {
        log().info('nothing removed');
        return;
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ release: result.release, namespace: result.namespace, dryRun: Boolean(o.dryRun), steps: result.plan.map((s) => ({ id: s.id, title: s.title })), outcomes: result.outcomes }, null, 2)}\n`);
      } else if (result.planText !== undefined) {
        process.stdout.write(`${result.planText}\n`);
      } else {
        log().success(`removed ${what}`);
      }
      for (const n of result.notes) log().info(`  ${n}`);
    });
}
