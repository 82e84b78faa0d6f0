/**
 * verify: did auth.mode take effect? From outside, over the site's XMPP WebSocket, as a browser
 * logs in: open a stream to the XMPP domain, read the SASL mechanisms and, when ANONYMOUS is
 * offered, try it without credentials.
 *
 * - accounts (internal_hashed): the main domain offers SCRAM/PLAIN, not ANONYMOUS.
 * - jwt: Jitsi's mod_auth_token offers ANONYMOUS on the main domain but refuses it without a token
 *   ("not-allowed", token required; jitsi-meet resources/prosody-plugins/mod_auth_token.lua).
 * - guests: the guest domain (config.js hosts.anonymousdomain, else guest.<domain>) takes anonymous
 *   logins only when auth.guests is on; otherwise prosody does not serve it (host-unknown).
 * - open: the main domain takes anonymous logins: a warning row.
 */
import WebSocket from 'ws';
import type { AuthMode } from '../config/schema.js';
import { mechanismsIn, openSocket, type SiteAccess } from './signalling.js';
import type { VerifyCheck } from './verify-check.js';

const FRAMING_NS = 'urn:ietf:params:xml:ns:xmpp-framing';
const SASL_NS = 'urn:ietf:params:xml:ns:xmpp-sasl';

export type AnonymousOutcome =
  | { outcome: 'accepted'; mechanisms: string[] }
  | { outcome: 'refused'; mechanisms: string[]; condition: string; text?: string }
  | { outcome: 'not-offered'; mechanisms: string[] }
  | { outcome: 'stream-error'; condition: string }
  | { outcome: 'unreachable'; message: string };

/** Opens a stream to `domain` through the site and tries SASL ANONYMOUS without credentials. */
export async function probeAnonymousLogin(site: SiteAccess, domain: string): Promise<AnonymousOutcome> {
  const url = `${site.origin.replace(/^https:/, 'wss:')}/xmpp-websocket`;
  const opened = await openSocket(url, 'xmpp', site);
  if (!('ws' in opened)) return { outcome: 'unreachable', message: `${opened.outcome}${'message' in opened ? `: ${opened.message}` : 'status' in opened ? ` (HTTP ${opened.status})` : ''}` };
  const { ws } = opened;
  let received = '';
  let closed = false;
  const waiters = new Set<() => void>();
  ws.on('message', (d) => {
    received += d.toString();
    waiters.forEach((w) => w());
  });
  ws.on('close', () => {
    closed = true;
    waiters.forEach((w) => w());
  });
  ws.on('error', () => undefined);
  const until = (test: () => boolean) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, site.timeoutMs);
      function done() {
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      }
      function check() {
        if (test() || closed || site.signal?.aborted) done();
      }
      waiters.add(check);
      check();
    });
  try {
    ws.send(`<open xmlns="${FRAMING_NS}" to="${domain}" version="1.0"/>`);
    await until(() => /<(stream:)?features[\s>/]|<(stream:)?error[\s>]/.test(received));
    const error = /<(?:stream:)?error[\s>][\s\S]*?<([a-z-]+)[^>]*xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/.exec(received);
    if (error) return { outcome: 'stream-error', condition: error[1]! };
    if (!/<(stream:)?features[\s>/]/.test(received)) return { outcome: 'unreachable', message: closed ? 'the socket closed before the stream features' : `no stream features within ${Math.round(site.timeoutMs / 1000)} s` };
    const mechanisms = mechanismsIn(received);
    if (!mechanisms.includes('ANONYMOUS')) return { outcome: 'not-offered', mechanisms };
    const before = received.length;
    ws.send(`<auth xmlns="${SASL_NS}" mechanism="ANONYMOUS"/>`);
    await until(() => /<(success|failure)[\s>/]/.test(received.slice(before)));
    const answer = received.slice(before);
    if (/<success[\s>/]/.test(answer)) return { outcome: 'accepted', mechanisms };
    const failure = /<failure[^>]*>([\s\S]*?)<\/failure>/.exec(answer);
    if (!failure) return { outcome: 'unreachable', message: `no answer to the ANONYMOUS login within ${Math.round(site.timeoutMs / 1000)} s` };
    const condition = /<([a-z-]+)\s*\/>/.exec(failure[1]!)?.[1] ?? 'failure';
    const text = /<text[^>]*>([^<]*)<\/text>/.exec(failure[1]!)?.[1];
    return { outcome: 'refused', mechanisms, condition, ...(text ? { text } : {}) };
  } finally {
    try {
      if (ws.readyState === WebSocket.OPEN) ws.send(`<close xmlns="${FRAMING_NS}"/>`);
    } catch {
      /* closing anyway */
    }
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    else ws.terminate();
  }
}

const mechs = (m: string[]) => (m.length ? `SASL ${m.join(', ')}` : 'no SASL mechanism');
const UNCHECKED_HINT = 'see the XMPP WebSocket check: the stream must open before the login can be checked';

/** The main domain's row: anonymous login refused (accounts, jwt), or the open warning. */
export function mainDomainCheck(mode: AuthMode, domain: string, o: AnonymousOutcome): VerifyCheck {
  const base = { id: 'auth', title: 'who may start a meeting', details: { mode, domain, ...o } };
  // the XMPP WebSocket row fails already when the stream cannot open: this one only says it could not look
  if (o.outcome === 'unreachable') return { ...base, verdict: 'warn', message: `${domain}: not checked: ${o.message}`, hint: UNCHECKED_HINT };
  if (o.outcome === 'stream-error') return { ...base, verdict: 'fail', message: `${domain}: not checked: stream error ${o.condition}`, hint: 'pass --xmpp-domain with the XMPP domain prosody serves' };
  if (mode === 'open') {
    if (o.outcome === 'accepted') {
      return { ...base, verdict: 'warn', message: `auth.mode open: ${domain} accepts anonymous login — anyone who reaches the site starts meetings on your bridges`, hint: 'set auth.mode accounts or jwt and run `jitsi-k8s apply` (README "Who may start a meeting")' };
    }
    return { ...base, verdict: 'warn', message: `auth.mode open, but ${domain} refuses anonymous login (${mechs(o.mechanisms)}): the config and the cluster disagree`, hint: 'run `jitsi-k8s apply` so the cluster follows the config' };
  }
  if (o.outcome === 'accepted') {
    return {
      ...base,
      verdict: 'fail',
      message: `auth.mode ${mode}, but ${domain} accepts anonymous login: anyone who reaches the site starts meetings`,
      hint: 'prosody did not get ENABLE_AUTH / AUTH_TYPE: run `jitsi-k8s apply`, then check the prosody pod\'s env (kubectl describe) and restart it',
    };
  }
  if (o.outcome === 'not-offered') return { ...base, verdict: 'ok', message: `anonymous login refused: ${domain} offers ${mechs(o.mechanisms)} (${mode})` };
  return { ...base, verdict: 'ok', message: `anonymous login refused: ${domain} answered ${o.condition}${o.text ? ` (${o.text})` : ''} without ${mode === 'jwt' ? 'a token' : 'credentials'}` };
}

/** The guest domain's row (accounts, jwt): anonymous login only when auth.guests is on. */
export function guestDomainCheck(guests: boolean, domain: string, o: AnonymousOutcome): VerifyCheck {
  const base = { id: 'auth-guests', title: 'guests', details: { guests, domain, ...o } };
  if (o.outcome === 'unreachable') return { ...base, verdict: 'warn', message: `${domain}: not checked: ${o.message}`, hint: UNCHECKED_HINT };
  if (guests) {
    if (o.outcome === 'accepted') return { ...base, verdict: 'ok', message: `guests join opened rooms: ${domain} accepts anonymous login` };
    const seen = o.outcome === 'stream-error' ? `stream error ${o.condition}` : o.outcome === 'refused' ? `anonymous login refused (${o.condition})` : `no ANONYMOUS (${mechs(o.mechanisms)})`;
    return { ...base, verdict: 'fail', message: `auth.guests is on, but ${domain}: ${seen}`, hint: 'prosody did not get ENABLE_GUESTS: run `jitsi-k8s apply` and restart the prosody pod' };
  }
  if (o.outcome === 'accepted') {
    return { ...base, verdict: 'fail', message: `auth.guests is off, but ${domain} accepts anonymous login`, hint: 'run `jitsi-k8s apply` so ENABLE_GUESTS=false reaches prosody, then restart the prosody pod' };
  }
  const seen = o.outcome === 'stream-error' ? `prosody does not serve it (${o.condition})` : o.outcome === 'refused' ? `anonymous login refused (${o.condition})` : `no ANONYMOUS (${mechs(o.mechanisms)})`;
  return { ...base, verdict: 'ok', message: `no guests: ${domain}: ${seen}` };
}

export interface AuthVerifyInput {
  mode: AuthMode;
  guests: boolean;
  xmppDomain: string;
  /** config.js hosts.anonymousdomain, else guest.<xmppDomain> */
  guestDomain: string;
}

/** The auth rows of verify: the main domain, and the guest domain unless the site is open. */
export async function verifyAuth(site: SiteAccess, a: AuthVerifyInput): Promise<VerifyCheck[]> {
  const main = mainDomainCheck(a.mode, a.xmppDomain, await probeAnonymousLogin(site, a.xmppDomain));
  if (a.mode === 'open') return [main];
  return [main, guestDomainCheck(a.guests, a.guestDomain, await probeAnonymousLogin(site, a.guestDomain))];
}
