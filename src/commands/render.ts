import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { writeOut } from '../ui/stdio.js';

// zod loads when the command runs, not for --help
async function optionsSchema() {
  const z = await import('../config/zod.js');
  return z.object({
    config: z.string().check(z.minLength(1)),
    out: z.string().check(z.minLength(1)),
    json: z.optional(z.boolean()),
  });
}

export function defineRender(program: Command): void {
  program
    .command('render')
    .description('turn jitsi-k8s.yaml into chart values and extra manifests (no cluster needed)')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('-o, --out <dir>', 'output folder, or - for stdout (values + manifests, no secrets)', '-')
    .option('--json', 'print what was written (paths, notes) as JSON')
    .addHelpText(
      'after',
      `
Writes to --out DIR:
  values.yaml           values for chart jitsi-meet 3.4.0 (commented, no secrets: fit for Git)
  secrets.values.yaml   internal passwords (mode 0600; from jitsi-k8s.secrets.yaml)
  jvb-drain.patch.yaml  what apply's helm post-renderer adds to the bridges (preStop graceful shutdown, grace period)
  extras/               a small chart with the manifests jitsi-meet lacks (bridge disruption budget, JVB autoscalers, Newt)
  data/                 a small chart holding the recording/transcript claims (kept on uninstall; install it first)
Examples:
  jitsi-k8s render --config jitsi-k8s.yaml --out rendered/
  jitsi-k8s render --out - | less`,
    )
    .action(async (raw: unknown) => {
      const parsed = (await optionsSchema()).safeParse(raw);
      if (!parsed.success) throw new UsageError(`render: ${parsed.error.issues[0]?.message ?? 'bad options'}`);
      const { runRender } = await import('../output/render.js');
      const { log } = await import('../ui/log.js');
      const result = runRender({ configPath: parsed.data.config, out: parsed.data.out });
      const logger = log();
      for (const w of result.warnings) logger.warn(w);
      if (parsed.data.json) {
        writeOut(`${JSON.stringify({ files: result.files, notes: result.notes, warnings: result.warnings }, null, 2)}\n`);
      } else if (result.stdout !== undefined) {
        writeOut(result.stdout);
      } else {
        for (const f of result.files) writeOut(`${f}\n`);
      }
      if (!parsed.data.json) for (const n of result.notes) logger.info(`  ${n}`);
    });
}
