/**
 * Who may start a meeting → the chart's keys and the env the images read (chart 3.4.0 facts in
 * shared/docs/operations.md "Who may start a meeting"). The chart has on/off keys (`enableAuth`,
 * `enableGuests`), prosody persistence and the JWT secret; AUTH_TYPE and the JWT settings go
 * through env pass-through. Pure. The app secret only ever goes to `prosody.jwt.secret`, which the
 * chart puts in a Secret (JWT_APP_SECRET) — never into an extraEnvs map, which become ConfigMaps.
 */
import type { Config, Secrets } from '../config/schema.js';

/** chart values (the same shape as values.ts's Values, kept apart so the two files do not import each other) */
type Values = Record<string, unknown>;

export interface AuthValues {
  /** merged into the chart values (public) */
  values: Values;
  /** merged into the secret values (stdin only) */
  secretValues: Values;
}

/** The XMPP domains the chart gives prosody (xmpp.domain is left at the chart's default). */
export const XMPP_DOMAIN = 'meet.jitsi';
export const GUEST_DOMAIN = `guest.${XMPP_DOMAIN}`;

/** The claim that keeps prosody's accounts, owned by the data chart (kept on uninstall like the recordings). */
export function accountsClaimName(fullname: string): string {
  return `${fullname}-prosody`;
}

export function renderAuth(config: Config, secrets: Secrets, fullname: string): AuthValues {
  const a = config.auth;
  if (a.mode === 'open') return { values: { enableAuth: false }, secretValues: {} };
  const common: Values = { enableAuth: true, enableGuests: a.guests };
  if (a.mode === 'accounts') {
    return {
      values: {
        ...common,
        // every component reads AUTH_TYPE from the common ConfigMap; internal = prosody's internal_hashed accounts
        extraCommonEnvs: { AUTH_TYPE: 'internal' },
        prosody: { persistence: { enabled: true, existingClaim: accountsClaimName(fullname) } },
      },
      secretValues: {},
    };
  }
  const jwt = a.jwt;
  const prosodyEnv: Record<string, string> = {
    JWT_APP_ID: jwt.appId,
    // the moderator flag of the token makes its holder the room's owner (jitsi-contrib prosody-plugins, in the image)
    XMPP_MUC_MODULES: 'token_affiliation',
    JWT_ALLOW_EMPTY: 'false',
  };
  if (jwt.issuers) prosodyEnv.JWT_ACCEPTED_ISSUERS = jwt.issuers.join(',');
  if (jwt.audiences) prosodyEnv.JWT_ACCEPTED_AUDIENCES = jwt.audiences.join(',');
  if (!secrets.jwt) throw new Error('auth.mode jwt needs the app secret in the secrets file (ensureSecrets makes it)');
  return {
    values: {
      ...common,
      extraCommonEnvs: { AUTH_TYPE: 'jwt' },
      prosody: { extraEnvs: prosodyEnv },
      // moderators come from the token, not from who joined first; prosody alone checks the token (jitsi-helm#171)
      jicofo: { extraEnvs: { ENABLE_AUTO_OWNER: 'false', JICOFO_ENABLE_AUTH: 'false' } },
    },
    secretValues: { prosody: { jwt: { secret: secrets.jwt.appSecret } } },
  };
}
