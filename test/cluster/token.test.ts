/**
 * `jitsi-k8s token` and the tokens bench mints: real jose, checked two ways — with the same
 * verification (verifyToken) and by hand the way Jitsi's luajwtjitsi does it (HMAC-SHA256 of
 * "header.payload" with the app secret, typ JWT, alg HS256, exp/nbf in seconds), claim for claim
 * against what token/util.lib.lua reads (iss, aud, sub, room, context.user).
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, errors } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { benchTokens } from '../../src/bench/tokens.js';
import { roomUrl } from '../../src/bench/step/join.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';
import { appSecret, meetingLink, mintToken, NOT_BEFORE_SKEW_SECONDS, verifyToken } from '../../src/cluster/token.js';
import { cli } from '../support/cli.js';
import { config, FIXED_SECRETS } from '../support/config.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-token-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const NOW = Date.UTC(2026, 11, 7, 18, 0, 0);
const jwtConfig = config({ auth: { mode: 'jwt', jwt: { appId: 'meet-app', issuers: ['meet-app', 'portal'], audiences: ['jitsi'] } } });
const key = appSecret(jwtConfig, FIXED_SECRETS, 'jitsi-k8s.yaml');
const b64 = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

describe('mintToken', () => {
  it('carries the claims the Jitsi token module reads, signed HS256 with typ JWT', async () => {
    const token = await mintToken(jwtConfig, key, { room: 'Standup', name: 'Ada', moderator: true, lifetimeSeconds: 3600, email: 'ada@example.com' }, NOW);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = await verifyToken(jwtConfig, key, token, NOW);
    const now = NOW / 1000;
    expect(claims).toEqual({
      iss: 'meet-app',
      aud: 'jitsi',
      sub: '*',
      room: 'standup',
      iat: now,
      nbf: now - NOT_BEFORE_SKEW_SECONDS,
      exp: now + 3600,
      context: { user: { name: 'Ada', moderator: true, affiliation: 'owner', email: 'ada@example.com' } },
    });
    // luajwtjitsi's check, by hand: the signature is HMAC-SHA256 of the signing input with the app secret
    const [header, payload, signature] = token.split('.') as [string, string, string];
    expect(createHmac('sha256', FIXED_SECRETS.jwt!.appSecret).update(`${header}.${payload}`).digest('base64url')).toBe(signature);
    expect(b64(header)).toMatchObject({ typ: 'JWT', alg: 'HS256' });
    expect(typeof b64(payload).exp).toBe('number');
  });

  it('a participant token for every room: room "*", moderator false, affiliation member', async () => {
    const token = await mintToken(jwtConfig, key, { room: '*', name: 'Guest', moderator: false, lifetimeSeconds: 600 }, NOW);
    expect((await verifyToken(jwtConfig, key, token, NOW)).context.user).toEqual({ name: 'Guest', moderator: false, affiliation: 'member' });
    expect((await verifyToken(jwtConfig, key, token, NOW)).room).toBe('*');
  });

  it('expires when asked: valid one second before exp, refused at exp (as the module: now >= exp)', async () => {
    const token = await mintToken(jwtConfig, key, { room: 'r', name: 'n', moderator: false, lifetimeSeconds: 60 }, NOW);
    await expect(verifyToken(jwtConfig, key, token, NOW + 59_000)).resolves.toMatchObject({ room: 'r' });
    await expect(verifyToken(jwtConfig, key, token, NOW + 60_000)).rejects.toBeInstanceOf(errors.JWTExpired);
    // and is not valid long before it was made (nbf)
    await expect(verifyToken(jwtConfig, key, token, NOW - 3600_000)).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
  });

  it('a wrong secret is refused by the same verification', async () => {
    const token = await mintToken(jwtConfig, key, { room: 'r', name: 'n', moderator: true, lifetimeSeconds: 60 }, NOW);
    const wrong = new TextEncoder().encode('another-secret-0123456789abcdefghijkl');
    await expect(verifyToken(jwtConfig, wrong, token, NOW)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    // a token of another deployment (other secret) is refused here too
    const foreign = await mintToken(jwtConfig, wrong, { room: 'r', name: 'n', moderator: true, lifetimeSeconds: 60 }, NOW);
    await expect(verifyToken(jwtConfig, key, foreign, NOW)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('an issuer or audience the deployment does not accept is refused', async () => {
    const other = config({ auth: { mode: 'jwt', jwt: { appId: 'other-app', audiences: ['elsewhere'] } } });
    const token = await mintToken(jwtConfig, key, { room: 'r', name: 'n', moderator: true, lifetimeSeconds: 60 }, NOW);
    await expect(verifyToken(other, key, token, NOW)).rejects.toThrow(/unexpected "iss" claim value/);
    const audOnly = config({ auth: { mode: 'jwt', jwt: { appId: 'meet-app', audiences: ['elsewhere'] } } });
    await expect(verifyToken(audOnly, key, token, NOW)).rejects.toThrow(/unexpected "aud" claim value/);
    // no audiences configured: any audience, as the module's default ('*')
    await expect(verifyToken(config({ auth: { mode: 'jwt', jwt: { appId: 'meet-app' } } }), key, token, NOW)).resolves.toMatchObject({ aud: 'jitsi' });
  });

  it('is for jwt deployments only, and needs the secret', () => {
    expect(() => appSecret(config({ auth: { mode: 'accounts' } }), FIXED_SECRETS, 'x.yaml')).toThrow(/auth\.mode is accounts: tokens are for auth\.mode jwt/);
    expect(() => appSecret(jwtConfig, { ...FIXED_SECRETS, jwt: undefined }, 'x.yaml')).toThrow(/no JWT app secret/);
    expect(meetingLink('https://meet.example.com', 'Stand up', 'T')).toBe('https://meet.example.com/Stand%20up?jwt=T');
  });
});

describe('bench on a jwt deployment: one token per participant from the secrets file', () => {
  it('mints a token per participant, the first a moderator, and each page opens with its own', async () => {
    const cfg = join(work, 'bench.yaml');
    writeFileSync(cfg, 'domain: meet.example.com\ntls: { mode: none }\nauth: { mode: jwt, jwt: { appId: meet-app } }\n');
    writeFileSync(join(work, 'bench.secrets.yaml'), secretsYaml(), { mode: 0o600 });
    const tokens = await benchTokens(cfg, 3, 'bench', NOW);
    expect(tokens).toHaveLength(3);
    const cfgParsed = config({ auth: { mode: 'jwt', jwt: { appId: 'meet-app' } } });
    const claims = await Promise.all(tokens!.map((t) => verifyToken(cfgParsed, key, t, NOW)));
    expect(claims.map((c) => [c.room, c.context.user.name, c.context.user.moderator])).toEqual([
      ['*', 'bench-1', true],
      ['*', 'bench-2', false],
      ['*', 'bench-3', false],
    ]);
    const s = parseScenario({ target: 'jitsi', url: 'https://meet.example.com', participants: 3 });
    const urls = assignParticipants(s).participants.map((p) => roomUrl(s, p, undefined, { jwtFor: tokens }));
    urls.forEach((u, i) => expect(new URL(u).searchParams.get('jwt')).toBe(tokens![i]));
    // not a jwt deployment: nothing minted
    const open = join(work, 'open.yaml');
    writeFileSync(open, 'domain: meet.example.com\ntls: { mode: none }\n');
    expect(await benchTokens(open, 3, 'bench', NOW)).toBeUndefined();
  });
});

function secretsYaml(): string {
  return `xmpp: ${JSON.stringify(FIXED_SECRETS.xmpp)}\nturnSecret: ${FIXED_SECRETS.turnSecret}\njwt: { appSecret: ${FIXED_SECRETS.jwt!.appSecret} }\n`;
}

describe('jitsi-k8s token (the built bin)', () => {
  it('prints a token that verifies with the secrets file, the link on stderr; the app secret never shows', async () => {
    const cfg = join(work, 'cli.yaml');
    writeFileSync(cfg, 'domain: meet.example.com\ntls: { mode: none }\nauth: { mode: jwt, jwt: { appId: meet-app } }\n');
    writeFileSync(join(work, 'cli.secrets.yaml'), secretsYaml(), { mode: 0o600 });
    const r = cli(['token', '-c', cfg, '--room', 'standup', '--name', 'Ada', '--ttl', '30m']);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    const claims = await verifyToken(config({ auth: { mode: 'jwt', jwt: { appId: 'meet-app' } } }), key, token);
    expect(claims).toMatchObject({ room: 'standup', context: { user: { name: 'Ada', moderator: true } } });
    expect(claims.exp! - claims.iat!).toBe(1800);
    expect(r.stderr).toContain(`link: https://meet.example.com/standup?jwt=${token}`);
    expect(r.stdout + r.stderr).not.toContain(FIXED_SECRETS.jwt!.appSecret);
    const j = cli(['token', '-c', cfg, '--room', '*', '--no-moderator', '--json']);
    expect(j.code, j.stderr).toBe(0);
    expect(parse(j.stdout)).toMatchObject({ room: '*', moderator: false, link: expect.stringMatching(/^https:\/\/meet\.example\.com\/<room>\?jwt=/) });
  });

  it('an accounts deployment, a bad --ttl or room: usage errors (exit 2) with a hint', () => {
    const cfg = join(work, 'acc.yaml');
    writeFileSync(cfg, 'domain: meet.example.com\ntls: { mode: none }\nauth: { mode: accounts }\n');
    const r = cli(['token', '-c', cfg, '--room', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: .*auth\.mode is accounts: tokens are for auth\.mode jwt\nhint: .*users add/);
    expect(cli(['token', '-c', cfg, '--room', 'x', '--ttl', 'soon']).stderr).toContain("--ttl: 'soon' is not a duration");
    expect(cli(['token', '-c', cfg, '--room', 'a b']).code).toBe(2);
  });
});
