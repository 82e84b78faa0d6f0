import type { Command } from 'commander';
import { UsageError } from '../errors.js';

// zod loads when the command runs, not for --help
async function optionsSchema() {
  const z = await import('../config/zod.js');
  return z.object({
    config: z.string().check(z.minLength(1)),
    room: z.string().check(z.regex(/^(\*|[^\s/?#]+)$/, '--room: a room name (no spaces, /, ? or #) or * for every room')),
    name: z.string().check(z.minLength(1, '--name: a display name'), z.maxLength(128)),
    email: z.optional(z.email('--email: an e-mail address')),
    moderator: z.boolean(),
    ttl: z.string(),
    json: z.optional(z.boolean()),
  });
}

export function defineToken(program: Command): void {
  program
    .command('token')
    .description('mint a token for a jwt deployment (auth.mode jwt), signed with the app secret from the secrets file')
    .option('-c, --config <file>', 'config file; the app secret is in the secrets file beside it', 'jitsi-k8s.yaml')
    .requiredOption('--room <name>', 'the room the token opens, or * for every room')
    .option('--name <display name>', 'the holder\'s display name (context.user.name)', 'jitsi-k8s')
    .option('--email <address>', 'the holder\'s e-mail (context.user.email)')
    .option('--moderator', 'the holder moderates the room (default)', true)
    .option('--no-moderator', 'the holder joins as a participant')
    .option('--ttl <duration>', 'how long the token is valid, e.g. 1h, 30m, 24h', '1h')
    .option('--json', 'print {token, link, expires, …} as JSON')
    .addHelpText('after', '\nstdout: the token (data); stderr: the meeting link and when it expires. Treat the token like a password.')
    .action(async (raw: unknown) => {
      const parsed = (await optionsSchema()).safeParse(raw);
      if (!parsed.success) throw new UsageError(`token: ${parsed.error.issues[0]?.message ?? 'bad options'}`);
      const o = parsed.data;
      const [{ parseDuration, DURATION_HINT }, { loadConfig, loadSecrets, secretsPathFor }, { appSecret, meetingLink, mintToken }, { log }] = await Promise.all([
        import('../config/duration.js'),
        import('../config/file.js'),
        import('../cluster/token.js'),
        import('../ui/log.js'),
      ]);
      const lifetimeSeconds = parseDuration(o.ttl);
      if (lifetimeSeconds === undefined) throw new UsageError(`--ttl: '${o.ttl}' is not a duration`, DURATION_HINT);
      const { config } = loadConfig(o.config);
      const key = appSecret(config, loadSecrets(secretsPathFor(o.config)), o.config);
      const now = Date.now();
      const token = await mintToken(config, key, { room: o.room, name: o.name, moderator: o.moderator, lifetimeSeconds, ...(o.email ? { email: o.email } : {}) }, now);
      const link = meetingLink(`https://${config.domain}`, o.room, token);
      const expires = new Date(Math.floor(now / 1000) * 1000 + lifetimeSeconds * 1000).toISOString();
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ token, link, room: o.room, name: o.name, moderator: o.moderator, expires }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${token}\n`);
      log().info(`${o.moderator ? 'moderator' : 'participant'} token for ${o.room === '*' ? 'every room' : `room ${o.room}`}, valid until ${expires}`);
      log().info(`link: ${link}`);
    });
}
