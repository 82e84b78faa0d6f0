/**
 * The signalling paths a browser opens through the site's own ingress, probed from here:
 * XMPP over WebSocket (RFC 7395) and BOSH (XEP-0124/0206) to prosody, and the bridge channel
 * (colibri WebSocket) to each JVB. Each probe returns a named outcome; the check builders turn
 * outcomes into verify rows with the usual ingress fix.
 *
 * Jitsi facts (docker-jitsi-meet web `system-config.js` and jitsi-videobridge `doc/web-sockets.md`,
 * 2026): config.js sets `config.hosts.domain = '<XMPP domain>'`, `config.bosh = '/http-bind'` and,
 * only when XMPP WebSockets are on, `config.websocket = 'wss://<site>/xmpp-websocket'`; prosody
 * serves them through mod_bosh and mod_websocket; the bridge advertises
 * `wss://<domain>/colibri-ws/<server-id>/<conference>/<endpoint>?pwd=<ice pwd>`.
 */
import { randomInt } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { isIPv6, type LookupFunction } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';
import type { VerifyCheck } from './verify-check.js';

/** How to reach the public site: its origin, and optionally a fixed address and an extra CA. */
export interface SiteAccess {
  /** https://<domain>[:port] */
  origin: string;
  connectAddress?: string;
  ca?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A resolver that always answers this address (the host name still drives SNI and certificate checks). */
export function fixedLookup(address: string): LookupFunction {
  const family = isIPv6(address) ? 6 : 4;
  return (_host, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function tlsOptions(site: SiteAccess): { ca?: string; lookup?: LookupFunction; servername: string } {
  return { servername: new URL(site.origin).hostname, ...(site.ca ? { ca: site.ca } : {}), ...(site.connectAddress ? { lookup: fixedLookup(site.connectAddress) } : {}) };
}

const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO|TLS|SSL|EPROTO|ALTNAME/;

/** The ICE password in a colibri WebSocket URL is a credential of a live endpoint: never shown. */
export const redactPwd = (url: string) => url.replace(/([?&]pwd=)[^&]*/g, '$1…');

// ---------------------------------------------------------------- the site's config.js

export interface SiteSignalling {
  xmppDomain?: string;
  /** config.websocket: set only when the site offers XMPP over WebSocket */
  websocket?: string;
  bosh?: string;
  /** config.hosts.anonymousdomain: the guest domain, set when guests may join */
  guestDomain?: string;
}

/** Reads what the site tells browsers in /config.js; undefined when it cannot be read. */
export async function readSiteSignalling(site: SiteAccess): Promise<SiteSignalling | undefined> {
  const answer = await httpsText(`${site.origin}/config.js`, 'GET', site);
  if ('error' in answer || answer.status !== 200) return undefined;
  return parseConfigJs(answer.body);
}

/** The assignments config.js makes (lines that are not comments). */
export function parseConfigJs(source: string): SiteSignalling {
  const code = source
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .join('\n');
  const value = (key: string) => new RegExp(`config\\.${key.replace('.', '\\.')}\\s*=\\s*['"]([^'"]+)['"]`).exec(code)?.[1];
  const xmppDomain = value('hosts.domain');
  const websocket = value('websocket');
  const bosh = value('bosh');
  const guestDomain = value('hosts.anonymousdomain');
  return { ...(xmppDomain ? { xmppDomain } : {}), ...(websocket ? { websocket } : {}), ...(bosh ? { bosh } : {}), ...(guestDomain ? { guestDomain } : {}) };
}

// ---------------------------------------------------------------- a WebSocket through the site

export type SocketOpen = { ws: WebSocket; elapsedMs: number };
export type UpgradeFailure =
  | { outcome: 'upgrade-refused'; status: number; elapsedMs: number }
  | { outcome: 'wrong-subprotocol'; offered: string; elapsedMs: number }
  | { outcome: 'tls-error'; code: string; message: string; elapsedMs: number }
  | { outcome: 'network-error'; code: string; message: string; elapsedMs: number };

export function openSocket(url: string, protocol: string | undefined, site: SiteAccess): Promise<SocketOpen | UpgradeFailure> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocol ? [protocol] : [], { ...tlsOptions(site), handshakeTimeout: site.timeoutMs, perMessageDeflate: false, followRedirects: false });
    let offered = '';
    const onAbort = () => ws.terminate();
    site.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (r: SocketOpen | UpgradeFailure) => {
      site.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    ws.on('upgrade', (res) => (offered = String(res.headers['sec-websocket-protocol'] ?? '')));
    ws.on('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      settle({ outcome: 'upgrade-refused', status: res.statusCode ?? 0, elapsedMs: elapsed() });
    });
    ws.on('open', () => settle({ ws, elapsedMs: elapsed() }));
    ws.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      if (/subprotocol/i.test(e.message)) settle({ outcome: 'wrong-subprotocol', offered, elapsedMs: elapsed() });
      else if (TLS_CODE.test(code)) settle({ outcome: 'tls-error', code, message: e.message, elapsedMs: elapsed() });
      else if (/handshake has timed out/i.test(e.message)) settle({ outcome: 'network-error', code: 'TIMEOUT', message: `no upgrade within ${Math.round(site.timeoutMs / 1000)} s`, elapsedMs: elapsed() });
      else settle({ outcome: 'network-error', code: code || 'ERROR', message: e.message, elapsedMs: elapsed() });
    });
  });
}

// ---------------------------------------------------------------- XMPP over WebSocket (RFC 7395)

const FRAMING_NS = 'urn:ietf:params:xml:ns:xmpp-framing';

export type XmppWebSocketOutcome =
  | { outcome: 'features'; mechanisms: string[]; elapsedMs: number; heldMs: number; closedCleanly: boolean }
  | { outcome: 'no-features'; waitedMs: number }
  | { outcome: 'stream-error'; condition: string }
  | { outcome: 'closed-by-proxy'; afterMs: number; code: number }
  | UpgradeFailure;

export const mechanismsIn = (xml: string) => [...xml.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]!.trim());

/**
 * Opens wss://<site>/xmpp-websocket with subprotocol xmpp, opens a stream to the XMPP domain, waits
 * for the stream features, holds the socket idle for holdMs (a proxy read timeout shows as a close),
 * then closes the stream and the socket.
 */
export async function probeXmppWebSocket(site: SiteAccess, opts: { xmppDomain: string; holdMs: number }): Promise<XmppWebSocketOutcome> {
  const url = `${site.origin.replace(/^https:/, 'wss:')}/xmpp-websocket`;
  const opened = await openSocket(url, 'xmpp', site);
  if (!('ws' in opened)) return opened;
  // ws refuses an answer without the xmpp subprotocol: openSocket reported that as wrong-subprotocol
  const { ws } = opened;
  const openedAt = performance.now();
  const since = () => Math.round(performance.now() - openedAt);
  let received = '';
  let closed: { code: number; at: number } | undefined;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  ws.on('message', (data) => {
    received += data.toString();
    wake();
  });
  ws.on('close', (code) => {
    closed ??= { code, at: since() };
    wake();
  });
  ws.on('error', () => undefined); // a reset arrives as close 1006 too
  /** resolves when test() holds, the socket closes, or ms pass */
  const until = async (test: () => boolean, ms: number) => {
    const met = new AbortController();
    const check = () => {
      if (test() || closed) met.abort();
    };
    waiters.add(check);
    check();
    // the wait's only rejection is its end before ms: the test held, the socket closed or the run stopped
    await delay(ms, undefined, { signal: AbortSignal.any([met.signal, ...(site.signal ? [site.signal] : [])]) }).catch(() => undefined);
    waiters.delete(check);
  };
  try {
    ws.send(`<open xmlns="${FRAMING_NS}" to="${opts.xmppDomain}" version="1.0"/>`);
    await until(() => /<(stream:)?features[\s>/]|<(stream:)?error[\s>]/.test(received), site.timeoutMs);
    const error = /<(?:stream:)?error[\s>][\s\S]*?<([a-z-]+)[^>]*xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/.exec(received);
    if (error) return { outcome: 'stream-error', condition: error[1]! };
    if (!/<(stream:)?features[\s>/]/.test(received)) {
      if (closed) return { outcome: 'closed-by-proxy', afterMs: closed.at, code: closed.code };
      return { outcome: 'no-features', waitedMs: since() };
    }
    const mechanisms = mechanismsIn(received);
    const featuresAt = since();
    if (opts.holdMs > 0) await until(() => false, opts.holdMs);
    if (site.signal?.aborted) return { outcome: 'features', mechanisms, elapsedMs: opened.elapsedMs + featuresAt, heldMs: since() - featuresAt, closedCleanly: false };
    if (closed) return { outcome: 'closed-by-proxy', afterMs: closed.at, code: closed.code };
    const heldMs = since() - featuresAt;
    const before = received.length;
    ws.send(`<close xmlns="${FRAMING_NS}"/>`);
    await until(() => /<close[\s/>]/.test(received.slice(before)), site.timeoutMs);
    const closedCleanly = /<close[\s/>]/.test(received.slice(before));
    return { outcome: 'features', mechanisms, elapsedMs: opened.elapsedMs + featuresAt, heldMs, closedCleanly };
  } finally {
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    else ws.terminate();
  }
}

// ---------------------------------------------------------------- BOSH

type TextAnswer = { status: number; body: string; elapsedMs: number } | { error: string; code: string; elapsedMs: number };

function httpsText(url: string, method: 'GET' | 'POST', site: SiteAccess, body?: string): Promise<TextAnswer> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const signal = AbortSignal.any([AbortSignal.timeout(site.timeoutMs), ...(site.signal ? [site.signal] : [])]);
    const req = httpsRequest(
      url,
      { method, signal, agent: false, ...tlsOptions(site), headers: { 'user-agent': 'jitsi-k8s-verify', ...(body !== undefined ? { 'content-type': 'text/xml; charset=utf-8' } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), elapsedMs: elapsed() }));
        res.on('error', (e) => resolve({ error: e.message, code: 'ERROR', elapsedMs: elapsed() }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      const timedOut = signal.aborted && !(site.signal?.aborted ?? false);
      resolve({ error: timedOut ? `no answer within ${Math.round(site.timeoutMs / 1000)} s` : e.message, code: timedOut ? 'TIMEOUT' : (e.code ?? 'ERROR'), elapsedMs: elapsed() });
    });
    req.end(body);
  });
}

export type BoshOutcome =
  | { outcome: 'session'; mechanisms: string[]; elapsedMs: number }
  | { outcome: 'terminated'; condition: string }
  | { outcome: 'not-bosh'; status: number; excerpt: string }
  | { outcome: 'tls-error' | 'network-error'; code: string; message: string };

const attr = (xml: string, name: string) => new RegExp(`\\s${name}=['"]([^'"]*)['"]`).exec(xml)?.[1];

/** POSTs a BOSH session request to the XMPP domain, reads the session and features, then terminates it. */
export async function probeBosh(site: SiteAccess, opts: { xmppDomain: string }): Promise<BoshOutcome> {
  const url = `${site.origin}/http-bind`;
  const rid = randomInt(1_000_000, 2 ** 40);
  const body = (extra: string) => `<body xmlns="http://jabber.org/protocol/httpbind" xmlns:xmpp="urn:xmpp:xbosh" ${extra}/>`;
  const a = await httpsText(url, 'POST', site, body(`rid="${rid}" to="${opts.xmppDomain}" wait="5" hold="1" ver="1.6" xmpp:version="1.0" xml:lang="en" content="text/xml; charset=utf-8"`));
  if ('error' in a) return { outcome: TLS_CODE.test(a.code) ? 'tls-error' : 'network-error', code: a.code, message: a.error };
  const head = /<body\b[^>]*>/.exec(a.body)?.[0];
  if (a.status !== 200 || !head || !/httpbind/.test(head)) return { outcome: 'not-bosh', status: a.status, excerpt: a.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120) };
  if (attr(head, 'type') === 'terminate') return { outcome: 'terminated', condition: attr(head, 'condition') ?? 'unknown' };
  const sid = attr(head, 'sid');
  // terminate the session so prosody does not keep it until its inactivity timeout
  if (sid) await httpsText(url, 'POST', site, body(`rid="${rid + 1}" sid="${sid}" type="terminate"`));
  return { outcome: 'session', mechanisms: mechanismsIn(a.body), elapsedMs: a.elapsedMs };
}

// ---------------------------------------------------------------- the bridge channel

export type BridgeChannelOutcome = { outcome: 'upgraded'; elapsedMs: number } | UpgradeFailure;

/** Opens the bridge's colibri WebSocket path through the public site and closes it once upgraded. */
export async function probeBridgeChannel(site: SiteAccess, advertised: string): Promise<BridgeChannelOutcome> {
  const u = new URL(advertised);
  const opened = await openSocket(`${site.origin.replace(/^https:/, 'wss:')}${u.pathname}${u.search}`, undefined, site);
  if (!('ws' in opened)) return opened;
  opened.ws.on('error', () => undefined);
  opened.ws.close(1000);
  return { outcome: 'upgraded', elapsedMs: opened.elapsedMs };
}

// ---------------------------------------------------------------- rows of verify's table

/** The usual fix when a proxy drops the WebSocket upgrade, per ingress controller. */
export const UPGRADE_HINT =
  'the ingress (or any proxy in front of it) must pass the WebSocket upgrade (HTTP/1.1 with the Upgrade and Connection headers): ingress-nginx and Traefik pass it by themselves — look for a configuration-snippet, middleware or outer proxy/CDN that drops it; HAProxy ingress passes it in http mode; a hand-written nginx needs proxy_http_version 1.1, proxy_set_header Upgrade $http_upgrade and proxy_set_header Connection "upgrade"';

/** The usual fix when a proxy closes idle WebSockets, per ingress controller. */
export const IDLE_TIMEOUT_HINT =
  'raise the proxy\'s idle/read timeout for WebSockets: ingress-nginx: annotations nginx.ingress.kubernetes.io/proxy-read-timeout and nginx.ingress.kubernetes.io/proxy-send-timeout (e.g. "3600") on the web Ingress; Traefik: the entry point\'s transport.respondingTimeouts (readTimeout, idleTimeout); HAProxy ingress: timeout tunnel (annotation haproxy.org/timeout-tunnel); cloud load balancers: their idle timeout (AWS ELB idle timeout, GKE BackendConfig timeoutSec)';

const TLS_ROW_HINT = 'the site\'s certificate is not accepted from here: see the web over HTTPS check';
const NETWORK_ROW_HINT = 'the site does not answer from here: see the web over HTTPS check';
const HOST_UNKNOWN_HINT = 'prosody serves no VirtualHost for that XMPP domain: pass --xmpp-domain with the domain of config.js (config.hosts.domain; the chart\'s xmpp.domain, meet.jitsi by default)';

const secs = (ms: number) => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);
const mechs = (m: string[]) => (m.length ? `SASL ${m.join(', ')}` : 'no SASL mechanism offered');

function upgradeFailureRow(f: UpgradeFailure, url: string): { message: string; hint: string } {
  switch (f.outcome) {
    case 'upgrade-refused':
      return {
        message: `${url}: upgrade refused (HTTP ${f.status})`,
        hint: f.status >= 500 ? `the proxy answers but its backend does not: check the web pod and what it proxies ${new URL(url).pathname.split('/').slice(0, 2).join('/')} to` : UPGRADE_HINT,
      };
    case 'wrong-subprotocol':
      return {
        message: `${url}: wrong subprotocol (${f.offered ? `'${f.offered}'` : 'none'} instead of 'xmpp')`,
        hint: 'something other than prosody\'s mod_websocket answers this path, or a proxy drops the Sec-WebSocket-Protocol header: route /xmpp-websocket to the web pod (which proxies it to prosody) unchanged',
      };
    case 'tls-error':
      return { message: `${url}: TLS error: ${f.message}`, hint: TLS_ROW_HINT };
    case 'network-error':
      return { message: `${url}: ${f.message}${f.message.includes(f.code) ? '' : ` (${f.code})`}`, hint: NETWORK_ROW_HINT };
  }
}

export function xmppWebSocketCheck(url: string, o: XmppWebSocketOutcome, ctx: { xmppDomain: string; site?: SiteSignalling; holdMs: number }): VerifyCheck {
  const base = { id: 'xmpp-websocket', title: 'XMPP WebSocket' };
  const details = { url, xmppDomain: ctx.xmppDomain, holdMs: ctx.holdMs, ...o };
  switch (o.outcome) {
    case 'features': {
      const held = ctx.holdMs > 0 ? `; held idle ${secs(o.heldMs)}` : '';
      if (!o.closedCleanly) return { ...base, verdict: 'warn', message: `stream features in ${o.elapsedMs} ms (${mechs(o.mechanisms)})${held}; no <close/> back when closing`, hint: 'prosody did not close the stream: look at the prosody log', details };
      return { ...base, verdict: 'ok', message: `stream to ${ctx.xmppDomain}: features in ${o.elapsedMs} ms (${mechs(o.mechanisms)})${held}; closed cleanly`, details };
    }
    case 'no-features':
      return { ...base, verdict: 'fail', message: `${url}: no stream features within ${secs(o.waitedMs)}`, hint: 'the upgrade passed but no XMPP stream came back: look at the prosody log; a proxy or CDN that buffers WebSocket frames does this too', details };
    case 'stream-error':
      return { ...base, verdict: 'fail', message: `prosody refused the stream to ${ctx.xmppDomain}: ${o.condition}`, hint: o.condition === 'host-unknown' ? HOST_UNKNOWN_HINT : 'look at the prosody log', details };
    case 'closed-by-proxy':
      return { ...base, verdict: 'fail', message: `closed by the proxy after ${secs(o.afterMs)} (WebSocket close ${o.code})`, hint: IDLE_TIMEOUT_HINT, details };
    default: {
      // a site whose config.js offers no XMPP WebSocket sends browsers to BOSH: a refused upgrade is expected there
      if (o.outcome === 'upgrade-refused' && ctx.site && !ctx.site.websocket) {
        return { ...base, verdict: 'ok', message: `not offered: config.js sets no websocket, browsers use BOSH (the upgrade answered HTTP ${o.status})`, details };
      }
      const { message, hint } = upgradeFailureRow(o, url);
      return { ...base, verdict: 'fail', message, hint, details };
    }
  }
}

export function boshCheck(url: string, o: BoshOutcome, ctx: { xmppDomain: string; site?: SiteSignalling; webSocketWorks: boolean }): VerifyCheck {
  const base = { id: 'bosh', title: 'BOSH' };
  const details = { url, xmppDomain: ctx.xmppDomain, ...o };
  if (o.outcome === 'session') return { ...base, verdict: 'ok', message: `POST ${url}: session opened in ${o.elapsedMs} ms (${mechs(o.mechanisms)})`, details };
  // BOSH is what browsers use unless config.js offers a WebSocket that works
  const needed = !ctx.webSocketWorks || (ctx.site !== undefined && !ctx.site.websocket);
  const verdict = needed ? 'fail' : 'warn';
  const fallback = needed ? '' : ' (browsers use the XMPP WebSocket; BOSH is the fallback)';
  switch (o.outcome) {
    case 'terminated':
      // prosody's mod_bosh answers an unknown host with improper-addressing
      return { ...base, verdict, message: `POST ${url}: session refused (${o.condition})${fallback}`, hint: /host-unknown|improper-addressing/.test(o.condition) ? HOST_UNKNOWN_HINT : 'look at the prosody log', details };
    case 'not-bosh':
      return {
        ...base,
        verdict,
        message: `POST ${url}: does not answer as BOSH (HTTP ${o.status}${o.excerpt ? `: ${o.excerpt}` : ''})${fallback}`,
        hint: 'route /http-bind to the web pod (which proxies it to prosody\'s mod_bosh on port 5280); BOSH requests are held up to a minute, so the proxy read timeout must exceed 60 s',
        details,
      };
    default:
      return { ...base, verdict, message: `POST ${url}: ${o.message}${fallback}`, hint: o.outcome === 'tls-error' ? TLS_ROW_HINT : NETWORK_ROW_HINT, details };
  }
}

export function bridgeChannelCheck(pod: string, origin: string, advertised: string[], o: BridgeChannelOutcome | undefined): VerifyCheck {
  const base = { id: `bridge-channel:${pod}`, title: `${pod} bridge channel` };
  const first = advertised[0];
  if (!first || !o) {
    return { ...base, verdict: 'ok', message: 'the bridge advertises no colibri WebSocket: clients use the data channel inside the media connection', details: { advertised: [] } };
  }
  const path = redactPwd(new URL(first).pathname);
  const url = `${origin.replace(/^https:/, 'wss:')}${path}`;
  const details = { advertised: advertised.map(redactPwd), url, ...o };
  if (o.outcome === 'upgraded') {
    const advertisedHost = new URL(first).host;
    const siteHost = new URL(origin).host;
    if (advertisedHost !== siteHost && new URL(first).hostname !== new URL(origin).hostname) {
      return {
        ...base,
        verdict: 'warn',
        message: `${url} upgraded in ${o.elapsedMs} ms, but the bridge advertises ${advertisedHost}, not the site`,
        hint: 'browsers connect to the advertised host: the bridge\'s colibri WebSocket domain (JVB_WS_DOMAIN) must be the site\'s domain',
        details,
      };
    }
    return { ...base, verdict: 'ok', message: `${url} upgraded in ${o.elapsedMs} ms`, details };
  }
  const { message, hint } = upgradeFailureRow(o, url);
  const routeHint =
    o.outcome === 'upgrade-refused' && o.status < 500
      ? `${UPGRADE_HINT}; and /colibri-ws/<server-id>/ must reach this very bridge (the web pod proxies it by the server id in the path)`
      : hint;
  return { ...base, verdict: 'fail', message, hint: routeHint, details };
}
