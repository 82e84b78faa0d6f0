/**
 * The signalling probes against a real prosody (Debian, mod_websocket + mod_bosh, anonymous
 * VirtualHost) behind a local TLS proxy playing the site's ingress: passing the WebSocket upgrade,
 * stripping it, closing idle tunnels, or routing to a backend that speaks no xmpp subprotocol.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  boshCheck,
  bridgeChannelCheck,
  IDLE_TIMEOUT_HINT,
  parseConfigJs,
  probeBosh,
  probeXmppWebSocket,
  redactPwd,
  UPGRADE_HINT,
  xmppWebSocketCheck,
  type SiteAccess,
} from '../../src/cluster/signalling.js';
import { startProsody, startSiteProxy, systemTool, type Prosody, type SiteProxy } from './servers.js';

const DOMAIN = 'meet.test';
const XMPP_DOMAIN = 'meet.jitsi';
/** a VirtualHost that needs accounts, as a Jitsi secure domain configures it */
const SECURE_DOMAIN = 'secure.jitsi';
const prosodyBin = systemTool('prosody');

describe('parseConfigJs', () => {
  it('reads the XMPP domain, BOSH path and WebSocket URL the way docker-jitsi-meet writes them; comments do not count', () => {
    const js = [
      'var config = {};',
      "config.hosts.domain = 'meet.jitsi';",
      "config.bosh = '/http-bind';",
      "config.websocket = 'wss://meet.example.com/xmpp-websocket';",
    ].join('\n');
    expect(parseConfigJs(js)).toEqual({ xmppDomain: 'meet.jitsi', bosh: '/http-bind', websocket: 'wss://meet.example.com/xmpp-websocket' });
    expect(parseConfigJs("config.hosts.domain = 'meet.jitsi';\n// config.websocket = 'wss://x/xmpp-websocket';")).toEqual({ xmppDomain: 'meet.jitsi' });
  });
});

describe('bridgeChannelCheck', () => {
  it('never shows the ICE password of the endpoint', () => {
    const row = bridgeChannelCheck('jvb-0', 'https://meet.test', ['wss://meet.test/colibri-ws/10.0.0.5/conf/ep?pwd=secretpwd'], { outcome: 'upgrade-refused', status: 404, elapsedMs: 3 });
    expect(JSON.stringify(row)).not.toContain('secretpwd');
    expect(redactPwd('wss://x/y?a=1&pwd=abc&b=2')).toBe('wss://x/y?a=1&pwd=…&b=2');
  });
  it('a bridge that advertises no WebSocket is fine: the data channel carries it', () => {
    expect(bridgeChannelCheck('jvb-0', 'https://meet.test', [], undefined)).toMatchObject({ verdict: 'ok', message: expect.stringMatching(/advertises no colibri WebSocket/) });
  });
});

describe.skipIf(!prosodyBin)('XMPP over WebSocket and BOSH through a TLS proxy to real prosody', () => {
  let prosody: Prosody;
  const proxies: SiteProxy[] = [];
  let noSubprotocol: Server;
  let noSubprotocolPort: number;
  let silentXmpp: Server;
  let silentXmppPort: number;

  const proxy = async (opts: Omit<Parameters<typeof startSiteProxy>[1], 'backendPort'> & { backendPort?: number }) => {
    const p = await startSiteProxy(DOMAIN, { backendPort: prosody.httpPort, ...opts });
    proxies.push(p);
    return p;
  };
  const site = (p: SiteProxy, over: Partial<SiteAccess> = {}): SiteAccess => ({ origin: `https://${DOMAIN}:${p.port}`, connectAddress: '127.0.0.1', ca: p.ca, timeoutMs: 4000, ...over });

  beforeAll(async () => {
    prosody = await startProsody(prosodyBin!, XMPP_DOMAIN, { secureDomain: SECURE_DOMAIN });
    // a WebSocket backend that is not prosody: it accepts the upgrade but names no subprotocol
    const wss = new WebSocketServer({ noServer: true, handleProtocols: () => false });
    noSubprotocol = createServer();
    noSubprotocol.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('error', () => undefined)));
    await new Promise<void>((r) => noSubprotocol.listen(0, '127.0.0.1', r));
    noSubprotocolPort = (noSubprotocol.address() as { port: number }).port;
    // one that takes the xmpp subprotocol and then says nothing
    const silent = new WebSocketServer({ noServer: true, handleProtocols: () => 'xmpp' });
    silentXmpp = createServer();
    silentXmpp.on('upgrade', (req, socket, head) => silent.handleUpgrade(req, socket, head, (ws) => ws.on('error', () => undefined)));
    await new Promise<void>((r) => silentXmpp.listen(0, '127.0.0.1', r));
    silentXmppPort = (silentXmpp.address() as { port: number }).port;
  }, 40_000);

  afterAll(async () => {
    for (const p of proxies) await p.close();
    for (const server of [noSubprotocol, silentXmpp]) {
      server?.closeAllConnections();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    }
    await prosody?.close();
  });

  it('a proxy that passes WebSockets: stream features with SASL ANONYMOUS, clean close; BOSH opens a session', async () => {
    const p = await proxy({ upgrade: 'pass' });
    const ws = await probeXmppWebSocket(site(p), { xmppDomain: XMPP_DOMAIN, holdMs: 0 });
    expect(ws, prosody.log()).toMatchObject({ outcome: 'features', mechanisms: ['ANONYMOUS'], closedCleanly: true });
    const bosh = await probeBosh(site(p), { xmppDomain: XMPP_DOMAIN });
    expect(bosh, prosody.log()).toMatchObject({ outcome: 'session', mechanisms: ['ANONYMOUS'] });
    const wsRow = xmppWebSocketCheck(`wss://${DOMAIN}:${p.port}/xmpp-websocket`, ws, { xmppDomain: XMPP_DOMAIN, holdMs: 0 });
    expect(wsRow).toMatchObject({ id: 'xmpp-websocket', verdict: 'ok', message: expect.stringMatching(/^stream to meet\.jitsi: features in \d+ ms \(SASL ANONYMOUS\); closed cleanly$/) });
    expect(boshCheck(`https://${DOMAIN}:${p.port}/http-bind`, bosh, { xmppDomain: XMPP_DOMAIN, webSocketWorks: true })).toMatchObject({ id: 'bosh', verdict: 'ok' });
    // the probe ended its BOSH session instead of leaving it to prosody's inactivity timeout
    expect(prosody.log()).toMatch(/BOSH client disconnected: session close/);
  });

  it('a domain that needs accounts (secure domain): the row reports the mechanisms it offers instead of ANONYMOUS', async () => {
    const p = await proxy({ upgrade: 'pass' });
    const ws = await probeXmppWebSocket(site(p), { xmppDomain: SECURE_DOMAIN, holdMs: 0 });
    expect(ws, prosody.log()).toMatchObject({ outcome: 'features', closedCleanly: true });
    if (ws.outcome !== 'features') throw new Error('no features');
    // prosody's internal_hashed: SCRAM, and PLAIN because TLS ends at the proxy (consider_websocket_secure)
    expect(ws.mechanisms).toContain('PLAIN');
    expect(ws.mechanisms.some((m) => m.startsWith('SCRAM-SHA-'))).toBe(true);
    expect(ws.mechanisms).not.toContain('ANONYMOUS');
    const row = xmppWebSocketCheck('wss://x/xmpp-websocket', ws, { xmppDomain: SECURE_DOMAIN, holdMs: 0 });
    expect(row).toMatchObject({ verdict: 'ok', message: expect.stringContaining(`(SASL ${ws.mechanisms.join(', ')})`) });
    const bosh = await probeBosh(site(p), { xmppDomain: SECURE_DOMAIN });
    expect(bosh).toMatchObject({ outcome: 'session', mechanisms: ws.mechanisms });
  });

  it('a proxy that strips the upgrade: "upgrade refused (HTTP 200)" with the ingress hint; BOSH still answers', async () => {
    const p = await proxy({ upgrade: 'strip' });
    const ws = await probeXmppWebSocket(site(p), { xmppDomain: XMPP_DOMAIN, holdMs: 0 });
    expect(ws).toMatchObject({ outcome: 'upgrade-refused', status: 200 });
    const row = xmppWebSocketCheck(`wss://${DOMAIN}:${p.port}/xmpp-websocket`, ws, { xmppDomain: XMPP_DOMAIN, holdMs: 0 });
    expect(row).toMatchObject({ verdict: 'fail', message: `wss://${DOMAIN}:${p.port}/xmpp-websocket: upgrade refused (HTTP 200)`, hint: UPGRADE_HINT });
    expect(row.hint).toMatch(/ingress-nginx and Traefik pass it by themselves/);
    const bosh = await probeBosh(site(p), { xmppDomain: XMPP_DOMAIN });
    expect(bosh.outcome).toBe('session');
  });

  it('a site whose config.js offers no WebSocket: a refused upgrade is expected, BOSH is what counts', async () => {
    const p = await proxy({ upgrade: 'strip', pages: { '/': '<html/>', '/config.js': `config.hosts.domain = '${XMPP_DOMAIN}';\nconfig.bosh = '/http-bind';\n` } });
    const ws = await probeXmppWebSocket(site(p), { xmppDomain: XMPP_DOMAIN, holdMs: 0 });
    const row = xmppWebSocketCheck('wss://x/xmpp-websocket', ws, { xmppDomain: XMPP_DOMAIN, site: { xmppDomain: XMPP_DOMAIN, bosh: '/http-bind' }, holdMs: 0 });
    expect(row).toMatchObject({ verdict: 'ok', message: 'not offered: config.js sets no websocket, browsers use BOSH (the upgrade answered HTTP 200)' });
    // BOSH refused on such a site fails: browsers have nothing else
    expect(boshCheck('https://x/http-bind', { outcome: 'not-bosh', status: 404, excerpt: '' }, { xmppDomain: XMPP_DOMAIN, site: { bosh: '/http-bind' }, webSocketWorks: false }).verdict).toBe('fail');
  });

  it('a proxy read timeout shorter than the hold: "closed by the proxy after N s" with the timeout annotations', async () => {
    const p = await proxy({ upgrade: 'pass', idleTimeoutMs: 1000 });
    const ws = await probeXmppWebSocket(site(p), { xmppDomain: XMPP_DOMAIN, holdMs: 3000 });
    expect(ws).toMatchObject({ outcome: 'closed-by-proxy', code: 1006 });
    if (ws.outcome !== 'closed-by-proxy') throw new Error('not closed');
    expect(ws.afterMs).toBeGreaterThanOrEqual(900);
    expect(ws.afterMs).toBeLessThan(3000); // before the hold ended
    const row = xmppWebSocketCheck('wss://x/xmpp-websocket', ws, { xmppDomain: XMPP_DOMAIN, holdMs: 3000 });
    expect(row).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/^closed by the proxy after [12]\.\d s \(WebSocket close 1006\)$/), hint: IDLE_TIMEOUT_HINT });
    expect(row.hint).toMatch(/nginx\.ingress\.kubernetes\.io\/proxy-read-timeout/);
    // the same proxy with a hold shorter than its timeout keeps the stream and closes it cleanly
    const short = await probeXmppWebSocket(site(p), { xmppDomain: XMPP_DOMAIN, holdMs: 300 });
    expect(short).toMatchObject({ outcome: 'features', closedCleanly: true });
    if (short.outcome === 'features') expect(short.heldMs).toBeGreaterThanOrEqual(300);
  });

  it('an XMPP domain prosody does not serve: host-unknown from both, with the --xmpp-domain hint', async () => {
    const p = await proxy({ upgrade: 'pass' });
    const ws = await probeXmppWebSocket(site(p), { xmppDomain: 'other.example', holdMs: 0 });
    expect(ws).toEqual({ outcome: 'stream-error', condition: 'host-unknown' });
    expect(xmppWebSocketCheck('wss://x/xmpp-websocket', ws, { xmppDomain: 'other.example', holdMs: 0 }).hint).toMatch(/--xmpp-domain/);
    const bosh = await probeBosh(site(p), { xmppDomain: 'other.example' });
    // prosody's mod_bosh names an unknown host improper-addressing
    expect(bosh).toEqual({ outcome: 'terminated', condition: 'improper-addressing' });
    expect(boshCheck('https://x/http-bind', bosh, { xmppDomain: 'other.example', webSocketWorks: false }).hint).toMatch(/--xmpp-domain/);
  });

  it('a backend that answers the upgrade without the xmpp subprotocol: "wrong subprotocol"', async () => {
    const p = await proxy({ upgrade: 'pass', backendPort: noSubprotocolPort });
    const ws = await probeXmppWebSocket(site(p), { xmppDomain: XMPP_DOMAIN, holdMs: 0 });
    expect(ws).toMatchObject({ outcome: 'wrong-subprotocol', offered: '' });
    expect(xmppWebSocketCheck('wss://x/xmpp-websocket', ws, { xmppDomain: XMPP_DOMAIN, holdMs: 0 }).message).toBe("wss://x/xmpp-websocket: wrong subprotocol (none instead of 'xmpp')");
  });

  it('an upgrade to something that never opens the stream: "no stream features" within the timeout', async () => {
    const p = await proxy({ upgrade: 'pass', backendPort: silentXmppPort });
    const ws = await probeXmppWebSocket(site(p, { timeoutMs: 1000 }), { xmppDomain: XMPP_DOMAIN, holdMs: 0 });
    expect(ws).toMatchObject({ outcome: 'no-features' });
    if (ws.outcome === 'no-features') expect(ws.waitedMs).toBeGreaterThanOrEqual(1000);
    expect(xmppWebSocketCheck('wss://x/xmpp-websocket', ws, { xmppDomain: XMPP_DOMAIN, holdMs: 0 })).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/^wss:\/\/x\/xmpp-websocket: no stream features within \d\.\d s$/) });
  });

  it('a certificate this machine does not trust: "TLS error"', async () => {
    const p = await proxy({ upgrade: 'pass' });
    const ws = await probeXmppWebSocket(site(p, { ca: undefined }), { xmppDomain: XMPP_DOMAIN, holdMs: 0 });
    expect(ws).toMatchObject({ outcome: 'tls-error', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(xmppWebSocketCheck('wss://x/xmpp-websocket', ws, { xmppDomain: XMPP_DOMAIN, holdMs: 0 }).message).toMatch(/^wss:\/\/x\/xmpp-websocket: TLS error: self[- ]signed certificate/);
    const bosh = await probeBosh(site(p, { ca: undefined }), { xmppDomain: XMPP_DOMAIN });
    expect(bosh).toMatchObject({ outcome: 'tls-error', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });
});
