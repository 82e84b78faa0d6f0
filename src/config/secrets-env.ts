/** Config + secrets for commands that change the cluster: VPN credentials from the environment on first use. */
import { UsageError } from '../errors.js';
import { ensureSecrets, loadConfig, secretsPathFor, type SecretNeeds } from './file.js';
import type { Config, Secrets } from './schema.js';
import { formatIssue } from './validate.js';

/** Credentials the environment may supply (never flags): TS_OAUTH_CLIENT_ID/SECRET, NEWT_ID/SECRET. */
export function vpnSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Pick<Secrets, 'tailscale' | 'newt'>> {
  const out: Partial<Pick<Secrets, 'tailscale' | 'newt'>> = {};
  if (env.TS_OAUTH_CLIENT_ID && env.TS_OAUTH_CLIENT_SECRET) out.tailscale = { clientId: env.TS_OAUTH_CLIENT_ID, clientSecret: env.TS_OAUTH_CLIENT_SECRET };
  if (env.NEWT_ID && env.NEWT_SECRET) out.newt = { id: env.NEWT_ID, secret: env.NEWT_SECRET };
  return out;
}

/** What the exposure mode needs from the secrets file that is not there. */
export function missingVpnSecrets(config: Config, secrets: Secrets): string | undefined {
  if (config.exposure.mode === 'tailscale' && config.exposure.tailscale?.installOperator !== false && !secrets.tailscale) {
    return 'tailscale mode installs the Tailscale operator, which needs an OAuth client: set TS_OAUTH_CLIENT_ID and TS_OAUTH_CLIENT_SECRET once (they are kept in the secrets file), or run `jitsi-k8s init`';
  }
  if (config.exposure.mode === 'pangolin' && !secrets.newt) {
    return 'pangolin mode runs Newt, which needs its id and secret from Pangolin: set NEWT_ID and NEWT_SECRET once (they are kept in the secrets file), or run `jitsi-k8s init`';
  }
  return undefined;
}

/** The secrets the auth mode needs: jwt's app secret, from JWT_APP_SECRET on first use (never a flag). */
export function secretNeeds(config: Config, env: NodeJS.ProcessEnv = process.env): SecretNeeds {
  return config.auth.mode === 'jwt' ? { jwt: { given: env.JWT_APP_SECRET || undefined } } : {};
}

export function loadConfigAndSecrets(configPath: string, env: NodeJS.ProcessEnv = process.env): { config: Config; secrets: Secrets; warnings: string[] } {
  const { config, warnings } = loadConfig(configPath);
  const secrets = ensureSecrets(secretsPathFor(configPath), vpnSecretsFromEnv(env), secretNeeds(config, env));
  const missing = missingVpnSecrets(config, secrets);
  if (missing) throw new UsageError(`${configPath}: exposure.mode ${config.exposure.mode}: credentials missing`, missing);
  return { config, secrets, warnings: warnings.map(formatIssue) };
}
