import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { changeFields } from './target.js';

// zod loads when the command runs, not for --help
async function optionsSchema() {
  const z = await import('../config/zod.js');
  return z.object({
    ...changeFields(z),
    timeout: z.optional(z.string().check(z.regex(/^\d+(s|m|h)$/, 'a duration such as 15m or 900s'))),
  });
}

export function defineApply(program: Command): void {
  program
    .command('apply')
    .description('install or upgrade Jitsi from jitsi-k8s.yaml (preflight, helm, extra manifests, wait)')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('--dry-run', 'print the plan (secrets redacted), change nothing')
    .option('-y, --yes', 'do not ask for confirmation (a context that differs from the config; restarting bridges with meetings on them)')
    .option('--timeout <duration>', 'how long helm waits for the release to become ready', '15m')
    .option('--json', 'print the result as JSON')
    .option('--recover', 'a release left pending by a killed run: roll it back now, whatever its age (only when no run elsewhere works on it)')
    .addHelpText(
      'after',
      `
Secrets (generated once into jitsi-k8s.secrets.yaml, mode 0600) go to helm on stdin, never argv.
Tailscale / Pangolin credentials come from TS_OAUTH_CLIENT_ID + TS_OAUTH_CLIENT_SECRET or
NEWT_ID + NEWT_SECRET the first time, then from the secrets file.
Examples:
  jitsi-k8s apply --dry-run
  jitsi-k8s apply --config prod.yaml --yes`,
    )
    .action(async (raw: unknown) => {
      const parsed = (await optionsSchema()).safeParse(raw);
      if (!parsed.success) throw new UsageError(`apply: --${String(parsed.error.issues[0]?.path[0] ?? '')}: ${parsed.error.issues[0]?.message ?? 'bad option'}`);
      const o = parsed.data;
      const { loadConfigAndSecrets } = await import('../config/secrets-env.js');
      const { applyInstall } = await import('../pipeline/apply.js');
      const { pipelineIO } = await import('./pipeline-io.js');
      const { log } = await import('../ui/log.js');
      const { confirmOrRefuse } = await import('./confirm.js');
      const logger = log();
      const { config, secrets, warnings } = loadConfigAndSecrets(o.config);
      for (const w of warnings) logger.warn(w);
      const result = await applyInstall({ configPath: o.config, config, secrets, yes: Boolean(o.yes), dryRun: Boolean(o.dryRun), timeout: o.timeout, recover: Boolean(o.recover), confirm: confirmOrRefuse, ...(await pipelineIO(logger)) });
      if (result.cancelled) {
        logger.info('not applied; nothing changed');
        return;
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ release: result.release, namespace: result.namespace, dryRun: Boolean(o.dryRun), steps: result.plan.map((s) => ({ id: s.id, title: s.title })), outcomes: result.outcomes, advertised: result.advertised, advertisedIPs: result.advertisedIPs, notes: result.notes }, null, 2)}\n`);
        return;
      }
      if (result.planText !== undefined) {
        process.stdout.write(`${result.planText}\n`);
      } else {
        const changed = result.outcomes.filter((x) => x.status === 'done').length;
        logger.success(changed === 0 ? `${result.release}: nothing changed` : `${result.release} applied in namespace ${result.namespace}`);
      }
      for (const n of result.notes) logger.info(`  ${n}`);
    });
}
