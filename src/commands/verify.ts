import type { Command } from 'commander';
import { z } from 'zod';
import { CommandError, UsageError } from '../errors.js';
import type { VerifyResult } from '../cluster/verify.js';

const optionsSchema = z.object({
  config: z.string().min(1),
  context: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  json: z.boolean().optional(),
  webAddress: z.union([z.ipv4(), z.ipv6()], { error: '--web-address: an IP address' }).optional(),
  timeout: z.coerce
    .number({ error: '--timeout: a number of seconds' })
    .positive('--timeout: must be > 0 seconds')
    .max(120, '--timeout: at most 120 seconds'),
});

const VERDICT_LABEL = { ok: 'ok', warn: 'WARN', fail: 'FAIL' } as const;

/** The human rendering of the result (the JSON rendering is the object itself). */
export function formatVerify(result: VerifyResult, formatTable: (h: string[], rows: string[][]) => string): string {
  const rows = result.checks.map((c) => [c.title, VERDICT_LABEL[c.verdict], c.message]);
  const hints = result.checks.filter((c) => c.verdict !== 'ok' && c.hint).map((c) => `hint (${c.title}): ${c.hint}`);
  const verdict = result.ok
    ? `verified: ${result.counts.ok} ok${result.counts.warn ? `, ${result.counts.warn} warning(s)` : ''}`
    : `${result.counts.fail} of ${result.checks.length} checks failed`;
  return [formatTable(['check', 'verdict', 'result'], rows), '', ...hints, ...(hints.length ? [''] : []), verdict].join('\n');
}

export function defineVerify(program: Command): void {
  program
    .command('verify')
    .description('prove the installation works: pods, HTTPS, advertised address, UDP media (STUN)')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('--context <name>', 'kubeconfig context (default: the config\'s, else the current one)')
    .option('-n, --namespace <ns>', 'namespace (default: the config\'s)')
    .option('--json', 'print the result as JSON')
    .option('--web-address <ip>', 'connect the HTTPS check to this address instead of resolving the domain (before DNS points at it)')
    .option('--timeout <seconds>', 'budget of each network probe (HTTPS request; STUN check with its 7 tries)', '5')
    .addHelpText(
      'after',
      `
Checks, from this machine:
  pods ready         every pod of the release, by component
  web over HTTPS     https://<domain>/ answers with a trusted certificate
  <jvb> advertises   the address the bridge gives clients matches exposure.publicIP
  <jvb> UDP media    a throw-away colibri2 endpoint on the bridge (through the API server's
                     pod proxy, port 8080), then a signed STUN Binding Request to each UDP
                     address it advertises: success, timeout or an answer from the wrong address.
                     The endpoint is always expired afterwards.
Exit status 1 when any check fails.`,
    )
    .action(async (raw: unknown) => {
      const parsed = optionsSchema.safeParse(raw);
      if (!parsed.success) throw new UsageError(`verify: ${parsed.error.issues[0]?.message ?? 'bad options'}`);
      const opts = parsed.data;
      const { loadConfig } = await import('../config/file.js');
      const { config } = loadConfig(opts.config);
      const namespace = opts.namespace ?? config.cluster.namespace;
      const context = opts.context ?? config.cluster.context;
      const release = config.cluster.release;
      const [{ runVerify, verifyDepsFromKube }, { openKube }, { interruptSignal, throwIfInterrupted }, { log }, { formatTable }] = await Promise.all([
        import('../cluster/verify.js'),
        import('../cluster/kube.js'),
        import('../interrupt.js'),
        import('../ui/log.js'),
        import('../ui/table.js'),
      ]);
      const logger = log();
      logger.info(`verifying release ${release} in namespace ${namespace}${context ? ` (context ${context})` : ''} and https://${config.domain}/ …`);
      const signal = interruptSignal();
      const result = await runVerify(
        {
          domain: config.domain,
          namespace,
          release,
          context,
          exposure: { mode: config.exposure.mode, publicIP: config.exposure.publicIP, udpPort: config.exposure.udpPort },
          timeoutMs: opts.timeout * 1000,
          webConnectAddress: opts.webAddress,
          signal,
        },
        verifyDepsFromKube(() => openKube({ context, namespace }), { namespace, release }),
      );
      throwIfInterrupted(signal);
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else logger.line(formatVerify(result, formatTable));
      if (!result.ok) {
        throw new CommandError(`verify: ${result.counts.fail} of ${result.checks.length} checks failed`, result.checks.find((c) => c.verdict === 'fail')?.hint ?? 'see the checks above');
      }
    });
}
