import type { Command } from 'commander';
import { CommandError, UsageError } from '../errors.js';
import type { SecurityReport } from '../cluster/security.js';
import type { VerifyResult } from '../cluster/verify.js';
import { openTarget, targetFields, targetOptions } from './target.js';

/** How long `--long` holds the XMPP WebSocket idle: above the 60 s default read timeout of common proxies. */
export const LONG_HOLD_SECONDS = 75;
/** The chart's coturn Service port for TURN (coturn.service.ports.turn). */
const TURN_PORT = 3478;

// zod loads when the command runs, not for --help
async function optionsSchema() {
  const z = await import('../config/zod.js');
  return z.object({
    ...targetFields(z),
    json: z.optional(z.boolean()),
    security: z.optional(z.boolean()),
    webAddress: z.optional(z.string().check(z.minLength(1))),
    turnAddress: z.optional(z.string().check(z.minLength(1))),
    xmppDomain: z.optional(z.string().check(z.regex(/^[a-z0-9.-]+$/i, '--xmpp-domain: a domain name'))),
    long: z.optional(
      z.union([
        z.literal(true),
        z.coerce
          .number({ error: '--long: a number of seconds' })
          .check(z.int('--long: whole seconds'), z.minimum(1, '--long: at least 1 second'), z.maximum(600, '--long: at most 600 seconds')),
      ]),
    ),
    timeout: z.coerce
      .number({ error: '--timeout: a number of seconds' })
      .check(z.positive('--timeout: must be > 0 seconds'), z.maximum(120, '--timeout: at most 120 seconds')),
  });
}

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

/** `verify --security`: the table of what is exposed to whom, then each fix (the JSON rendering is the report itself). */
export function formatSecurity(report: SecurityReport, formatTable: (h: string[], rows: string[][]) => string): string {
  const mark = { ok: '✓', warn: '‼', fail: '×' } as const;
  const rows = report.rows.map((r) => [mark[r.mark], r.what, r.openTo]);
  const fixes = report.rows.filter((r) => r.fix).map((r) => `${mark[r.mark]} ${r.what}\n    fix: ${r.fix}`);
  const verdict = `${report.counts.ok} ✓, ${report.counts.warn} ‼, ${report.counts.fail} ×`;
  return [formatTable(['', 'exposed', 'open to'], rows), '', ...fixes, ...(fixes.length ? [''] : []), verdict].join('\n');
}

/** coturn's shared secret from the secrets file beside the config; undefined when there is none. */
async function readTurnSecret(configPath: string): Promise<string | undefined> {
  const { loadSecrets, secretsPathFor } = await import('../config/file.js');
  return loadSecrets(secretsPathFor(configPath))?.turnSecret;
}

export function defineVerify(program: Command): void {
  targetOptions(
    program
      .command('verify')
      .description('prove the installation works: pods, HTTPS, signalling (XMPP WebSocket, BOSH, bridge channel), who may start a meeting (anonymous login refused, guests), TURN, advertised address, UDP media'),
  )
    .option('--json', 'print the result as JSON')
    .option('--security', 'instead of the probes: what the installation exposes to whom, read from the cluster (Services, Ingresses, NetworkPolicies, Pod Security), each with ✓/‼/× and the fix')
    .option('--web-address <ip[:port]>', 'connect the site checks to this address (and port) instead of resolving the domain (before DNS points at it)')
    .option('--turn-address <ip[:port]>', `connect the TURN check to this address instead of resolving the TURN host (default port ${TURN_PORT})`)
    .option('--xmpp-domain <domain>', 'XMPP domain of the stream (default: config.hosts.domain from the site\'s config.js, else meet.jitsi)')
    .option('--long [seconds]', `hold the XMPP WebSocket idle before closing it (default ${LONG_HOLD_SECONDS} s) to catch proxy read timeouts`)
    .option('--timeout <seconds>', 'budget of each network probe (HTTPS request; WebSocket upgrade and stream features; STUN and TURN transactions)', '5')
    .addHelpText(
      'after',
      `
Checks, from this machine:
  pods ready         every pod of the release, by component
  web over HTTPS     https://<domain>/ answers with a trusted certificate
  XMPP WebSocket     wss://<domain>/xmpp-websocket (subprotocol xmpp): a stream to the XMPP
                     domain gets its features (the SASL mechanisms are shown), then closes
                     cleanly; --long holds it idle first. Named failures: upgrade refused (HTTP
                     status), wrong subprotocol, no stream features, TLS error, closed by the
                     proxy after N s
  BOSH               POST https://<domain>/http-bind opens a session (the fallback transport)
  TURN relay         with exposure.turn.enabled: a real allocation on coturn (UDP 3478) with
                     credentials from turnSecret, released at once
  <jvb> advertises   the address the bridge gives clients matches exposure.publicIP
  <jvb> UDP media    a throw-away colibri2 endpoint on the bridge (through the API server's
                     pod proxy, port 8080), then a signed STUN Binding Request to each UDP
                     address it advertises: success, timeout or an answer from the wrong address.
                     The endpoint is always expired afterwards.
  <jvb> bridge channel  the colibri WebSocket the bridge gives that endpoint, opened through
                     the site (/colibri-ws/<server-id>/…): the upgrade must pass to every bridge
--security reads instead (nothing is probed): the namespace's Pod Security level, its NetworkPolicies
and the CNI, every Service, hostPort and Ingress of the release and whom they open it to, who may
reach the web, the bridges' media and the private ports (bridge REST API, prosody, jicofo) by the
policies; ✓ as intended, ‼ open wider than needed, × a private port open to everyone.
Exit status 1 when any check fails (with --security: when any row is ×).`,
    )
    .action(async (raw: unknown) => {
      const parsed = (await optionsSchema()).safeParse(raw);
      if (!parsed.success) throw new UsageError(`verify: ${parsed.error.issues[0]?.message ?? 'bad options'}`);
      const opts = parsed.data;
      const { parseAddress } = await import('./address.js');
      const web = opts.webAddress ? parseAddress('--web-address', opts.webAddress) : undefined;
      const turnAt = opts.turnAddress ? parseAddress('--turn-address', opts.turnAddress) : undefined;
      const holdIdleMs = opts.long === undefined ? 0 : (opts.long === true ? LONG_HOLD_SECONDS : opts.long) * 1000;
      const target = await openTarget(opts);
      const { config, namespace, context, release } = target;
      if (opts.security) {
        const [{ judgeSecurity, readSecurityFacts }, { openKube }, { log }, { formatTable }] = await Promise.all([
          import('../cluster/security.js'),
          import('../cluster/kube.js'),
          import('../ui/log.js'),
          import('../ui/table.js'),
        ]);
        const report = judgeSecurity(await readSecurityFacts(openKube({ context, namespace }), namespace, release), config);
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else log().line(formatSecurity(report, formatTable));
        const worst = report.rows.find((r) => r.mark === 'fail');
        if (worst) throw new CommandError(`verify --security: ${report.counts.fail} exposure(s) marked ×`, worst.fix ?? 'see the table above');
        return;
      }
      const turnSecret = config.exposure.turn.enabled ? await readTurnSecret(opts.config) : undefined;
      const [{ runVerify, verifyDepsFromKube }, { openKube }, { interruptSignal, throwIfInterrupted }, { log }, { formatTable }] = await Promise.all([
        import('../cluster/verify.js'),
        import('../cluster/kube.js'),
        import('../interrupt.js'),
        import('../ui/log.js'),
        import('../ui/table.js'),
      ]);
      const logger = log();
      logger.info(`verifying release ${release} in namespace ${namespace}${context ? ` (context ${context})` : ''} and https://${config.domain}/ …`);
      if (holdIdleMs) logger.info(`holding the XMPP WebSocket idle for ${holdIdleMs / 1000} s (--long) …`);
      const signal = interruptSignal();
      const result = await runVerify(
        {
          domain: config.domain,
          namespace,
          release,
          context,
          exposure: { mode: config.exposure.mode, publicIP: config.exposure.publicIP, udpPort: config.exposure.udpPort },
          timeoutMs: opts.timeout * 1000,
          ...(web ? { webConnectAddress: web.ip, ...(web.port ? { webUrl: `https://${config.domain}:${web.port}/` } : {}) } : {}),
          signalling: { xmppDomain: opts.xmppDomain, holdIdleMs },
          auth: { mode: config.auth.mode, guests: config.auth.guests },
          ...(config.exposure.turn.enabled
            ? { turn: { host: config.exposure.turn.host ?? `turn.${config.domain}`, port: turnAt?.port ?? TURN_PORT, connectAddress: turnAt?.ip, secret: turnSecret } }
            : {}),
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
