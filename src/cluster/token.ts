/**
 * Tokens for a `jwt` deployment, signed with the app secret from the secrets file (jose, HS256).
 *
 * The claims are the ones Jitsi's token module checks, read from jitsi-meet's
 * resources/prosody-plugins (token/util.lib.lua and luajwtjitsi.lib.lua at commit 0c48e205 of
 * jitsi/jitsi-meet, 2026; the prosody image of chart 3.4.0, stable-11146-2, ships this module):
 * - header `typ` must be "JWT" and `alg` the verifier's (HS256 with app_secret);
 * - `iss` must be one of asap_accepted_issuers (JWT_ACCEPTED_ISSUERS, default: the app id);
 * - `aud` must be one of asap_accepted_audiences (JWT_ACCEPTED_AUDIENCES, default: any);
 * - `room` is required (asap_require_room_claim); "*" is any room, else compared lowercased;
 * - `sub` is the tenant domain, checked only with enable_domain_verification ("*" = any);
 * - `exp` and `nbf` are numbers in seconds, checked against the server clock;
 * - `context.user` (name, moderator) becomes the session's user: the image's token_affiliation
 *   module makes `moderator: true` (or affiliation "owner") the room's owner.
 */
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config, Secrets } from '../config/schema.js';
import { UsageError } from '../errors.js';

export interface TokenRequest {
  /** a room name, or "*" for every room */
  room: string;
  /** display name of the holder (context.user.name) */
  name: string;
  /** the holder becomes the room's moderator (owner) */
  moderator: boolean;
  /** seconds until the token expires */
  lifetimeSeconds: number;
  /** context.user.email, optional */
  email?: string;
}

export interface TokenClaims extends JWTPayload {
  room: string;
  context: { user: { name: string; moderator: boolean; affiliation: 'owner' | 'member'; email?: string } };
}

/** Seconds before now a token is already valid: a server clock a little behind ours still accepts it. */
export const NOT_BEFORE_SKEW_SECONDS = 30;

/** What a token for this config carries in iss and aud: the first accepted value, else the app id. */
export function tokenAudience(config: Config): { issuer: string; audience: string } {
  const jwt = config.auth.jwt;
  return { issuer: jwt.issuers?.[0] ?? jwt.appId, audience: jwt.audiences?.[0] ?? jwt.appId };
}

/** The app secret of a jwt deployment, or a usage error saying why there is none. */
export function appSecret(config: Config, secrets: Secrets | undefined, configPath: string): Uint8Array {
  if (config.auth.mode !== 'jwt') {
    throw new UsageError(`${configPath}: auth.mode is ${config.auth.mode}: tokens are for auth.mode jwt`, 'set auth.mode: jwt and run `jitsi-k8s apply`, or use `jitsi-k8s users add` for accounts mode');
  }
  if (!secrets?.jwt) throw new UsageError(`${configPath}: the secrets file beside it has no JWT app secret`, 'run `jitsi-k8s apply` (or `init`) with this config: it generates the secret once');
  return new TextEncoder().encode(secrets.jwt.appSecret);
}

export async function mintToken(config: Config, key: Uint8Array, req: TokenRequest, nowMs = Date.now()): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  const { issuer, audience } = tokenAudience(config);
  const user = { name: req.name, moderator: req.moderator, affiliation: req.moderator ? 'owner' : 'member', ...(req.email ? { email: req.email } : {}) } as const;
  return new SignJWT({ room: req.room === '*' ? '*' : req.room.toLowerCase(), context: { user } })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('*')
    .setIssuedAt(now)
    .setNotBefore(now - NOT_BEFORE_SKEW_SECONDS)
    .setExpirationTime(now + req.lifetimeSeconds)
    .sign(key);
}

/**
 * The token module's checks, with jose: signature (HS256), typ JWT, exp/nbf, iss and aud against
 * the accepted lists (an audience list of "*" or none accepts any), room present.
 */
export async function verifyToken(config: Config, key: Uint8Array, token: string, nowMs = Date.now()): Promise<TokenClaims> {
  const jwt = config.auth.jwt;
  const audiences = jwt.audiences && !jwt.audiences.includes('*') ? jwt.audiences : undefined;
  const { payload } = await jwtVerify(token, key, {
    algorithms: ['HS256'],
    typ: 'JWT',
    issuer: jwt.issuers ?? [jwt.appId],
    ...(audiences ? { audience: audiences } : {}),
    currentDate: new Date(nowMs),
    requiredClaims: ['iss', 'aud', 'room', 'exp'],
  });
  return payload as TokenClaims;
}

/** The meeting link a token opens: https://<site>/<room>?jwt=<token> (a "*" token opens a room of your choice). */
export function meetingLink(site: string, room: string, token: string): string {
  const base = site.replace(/\/+$/, '');
  return `${base}/${room === '*' ? '<room>' : encodeURIComponent(room)}?jwt=${token}`;
}
