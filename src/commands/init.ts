import type { Command } from 'commander';
import { ANSWER_OPTIONS } from '../prompts/flags.js';

export function defineInit(program: Command): void {
  const init = program
    .command('init')
    .description('interactive wizard: choose, write jitsi-k8s.yaml, install, verify')
    .option('-c, --config <file>', 'pre-fill from this config file (and write back to it unless --out)')
    .option('-o, --out <file>', 'where to write the config (default: --config, else jitsi-k8s.yaml)')
    .option('-y, --yes', 'ask nothing; take flags, the environment, the config file, cluster facts and defaults')
    .option('--force', 'overwrite an existing, different config file')
    .option('--no-apply', 'stop after writing the files')
    .option('--dry-run', 'write nothing; print the config YAML to stdout');
  for (const o of ANSWER_OPTIONS) init.option(o.flags, o.description);
  init
    .addHelpText(
      'after',
      `
Nothing is asked with --yes, when CI is set, or when stdin is not a terminal; a required value
that is missing is then an error naming its flag. Precedence: flags > environment > --config
file > cluster facts > defaults.
VPN credentials are never flags: TS_OAUTH_CLIENT_ID + TS_OAUTH_CLIENT_SECRET (tailscale) or
NEWT_ID + NEWT_SECRET (pangolin); they go only to the 0600 secrets file beside the config.
Examples:
  jitsi-k8s init
  jitsi-k8s init --yes --domain meet.example.com --tls letsencrypt --tls-email ops@example.com
  jitsi-k8s init --yes --domain meet.example.com --exposure hostPort --jvb-replicas 2 --autoscale --autoscale-max 4 --tls none --no-apply`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.opts<import('../prompts/init-flow.js').InitOptions & { apply?: boolean }>();
      const { runInit } = await import('../prompts/init-flow.js');
      const { log } = await import('../ui/log.js');
      const logger = log();
      const outcome = await runInit(opts, { env: process.env, isTTY: Boolean(process.stdin.isTTY), say: (l) => logger.line(l), noteStyle: (t) => logger.colors.dim(t) });
      if (outcome.kind === 'declined') {
        logger.info('nothing written');
        return;
      }
      if (outcome.kind === 'dry-run') {
        process.stdout.write(outcome.yaml);
        return;
      }
      logger.success(`wrote ${outcome.configPath} and ${outcome.secretsPath} (0600)`);
      if (opts.apply === false) {
        logger.info(`next: jitsi-k8s apply${outcome.configPath === 'jitsi-k8s.yaml' ? '' : ` --config ${outcome.configPath}`}`);
        return;
      }
      const { applyInstall } = await import('../pipeline/apply.js');
      const { pipelineIO } = await import('./pipeline-io.js');
      const result = await applyInstall({ configPath: outcome.configPath, config: outcome.config, secrets: outcome.secrets, yes: true, dryRun: false, ...(await pipelineIO(logger)) });
      const changed = result.outcomes.filter((x) => x.status === 'done').length;
      logger.success(changed === 0 ? `${result.release}: nothing changed` : `${result.release} applied in namespace ${result.namespace}`);
      for (const n of result.notes) logger.info(`  ${n}`);
      logger.info(`next: jitsi-k8s verify${outcome.configPath === 'jitsi-k8s.yaml' ? '' : ` --config ${outcome.configPath}`}`);
    });
}
