/**
 * verify's "who may start a meeting" rows against a real prosody (Debian) behind the local TLS proxy
 * that plays the site's ingress: a secure domain (internal_hashed, as auth.mode accounts makes the
 * main domain) refuses anonymous login, an anonymous VirtualHost takes it (the open site, or the guest
 * domain when guests are on), and a domain prosody does not serve is no guest login. Jitsi's token
 * module cannot run here: its answer (ANONYMOUS offered, refused without a token) is the row builder's
 * input in the last test, from mod_auth_token.lua.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigJs, type SiteAccess } from '../../src/cluster/signalling.js';
import { guestDomainCheck, mainDomainCheck, probeAnonymousLogin, verifyAuth } from '../../src/cluster/verify-auth.js';
import { startProsody, startSiteProxy, systemTool, type Prosody, type SiteProxy } from './servers.js';

const DOMAIN = 'meet.test';
/** the anonymous VirtualHost: the open site's main domain, or the guest domain */
const ANONYMOUS = 'guest.meet.jitsi';
/** a domain that needs accounts: the main domain of auth.mode accounts */
const SECURE = 'meet.jitsi';
const prosodyBin = systemTool('prosody');

describe.skipIf(!prosodyBin)('verify: who may start a meeting, over the XMPP WebSocket to real prosody', () => {
  let prosody: Prosody;
  let proxy: SiteProxy;
  let site: SiteAccess;

  beforeAll(async () => {
    prosody = await startProsody(prosodyBin!, ANONYMOUS, { secureDomain: SECURE });
    proxy = await startSiteProxy(DOMAIN, { upgrade: 'pass', backendPort: prosody.httpPort });
    site = { origin: `https://${DOMAIN}:${proxy.port}`, connectAddress: '127.0.0.1', ca: proxy.ca, timeoutMs: 4000 };
  }, 40_000);

  afterAll(async () => {
    await proxy?.close();
    await prosody?.close();
  });

  it('accounts with guests: "anonymous login refused" on the secure domain, the guest domain takes guests', async () => {
    const rows = await verifyAuth(site, { mode: 'accounts', guests: true, xmppDomain: SECURE, guestDomain: ANONYMOUS });
    expect(rows, prosody.log()).toMatchObject([
      { id: 'auth', verdict: 'ok', message: expect.stringMatching(/^anonymous login refused: meet\.jitsi offers SASL .*SCRAM-SHA-1.* \(accounts\)$/) },
      { id: 'auth-guests', verdict: 'ok', message: 'guests join opened rooms: guest.meet.jitsi accepts anonymous login' },
    ]);
    // prosody answered the ANONYMOUS login with <success/> (its log file lags under load, so the row's details are the proof)
    expect(rows[1]!.details).toMatchObject({ outcome: 'accepted', mechanisms: ['ANONYMOUS'] });
  });

  it('accounts without guests: a guest domain prosody does not serve is ok; one that takes anonymous logins fails', async () => {
    const none = await verifyAuth(site, { mode: 'accounts', guests: false, xmppDomain: SECURE, guestDomain: 'guest.other.jitsi' });
    expect(none[1]).toMatchObject({ id: 'auth-guests', verdict: 'ok', message: 'no guests: guest.other.jitsi: prosody does not serve it (host-unknown)' });
    const open = await verifyAuth(site, { mode: 'accounts', guests: false, xmppDomain: SECURE, guestDomain: ANONYMOUS });
    expect(open[1]).toMatchObject({ id: 'auth-guests', verdict: 'fail', message: 'auth.guests is off, but guest.meet.jitsi accepts anonymous login', hint: expect.stringContaining('ENABLE_GUESTS=false') });
  });

  it('an anonymous main domain: open is a warning row; accounts or jwt configured but not applied is a failure', async () => {
    const open = await verifyAuth(site, { mode: 'open', guests: false, xmppDomain: ANONYMOUS, guestDomain: 'unused' });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ id: 'auth', verdict: 'warn', message: 'auth.mode open: guest.meet.jitsi accepts anonymous login — anyone who reaches the site starts meetings on your bridges' });
    const notApplied = await verifyAuth(site, { mode: 'jwt', guests: false, xmppDomain: ANONYMOUS, guestDomain: 'guest.other.jitsi' });
    expect(notApplied[0]).toMatchObject({ verdict: 'fail', message: 'auth.mode jwt, but guest.meet.jitsi accepts anonymous login: anyone who reaches the site starts meetings' });
  });

  it('guests on but the guest domain needs accounts: a failure naming what was offered', async () => {
    const rows = await verifyAuth(site, { mode: 'accounts', guests: true, xmppDomain: SECURE, guestDomain: SECURE });
    expect(rows[1]).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/^auth\.guests is on, but meet\.jitsi: no ANONYMOUS \(SASL .*SCRAM-SHA-1/) });
  });

  it('a site that does not pass WebSockets: not checked, a warning pointing at the XMPP WebSocket row (which fails)', async () => {
    const strip = await startSiteProxy(DOMAIN, { upgrade: 'strip', backendPort: prosody.httpPort });
    try {
      const o = await probeAnonymousLogin({ ...site, origin: `https://${DOMAIN}:${strip.port}`, ca: strip.ca }, SECURE);
      expect(o.outcome).toBe('unreachable');
      expect(mainDomainCheck('accounts', SECURE, o)).toMatchObject({ verdict: 'warn', message: 'meet.jitsi: not checked: upgrade-refused (HTTP 200)', hint: expect.stringContaining('XMPP WebSocket check') });
    } finally {
      await strip.close();
    }
  });
});

describe('verify: the token module\'s answer (jwt) and config.js', () => {
  it('jwt: ANONYMOUS offered but refused without a token is "anonymous login refused"', () => {
    const row = mainDomainCheck('jwt', 'meet.jitsi', { outcome: 'refused', mechanisms: ['ANONYMOUS'], condition: 'not-allowed', text: 'token required' });
    expect(row).toMatchObject({ verdict: 'ok', message: 'anonymous login refused: meet.jitsi answered not-allowed (token required) without a token' });
    expect(guestDomainCheck(false, 'guest.meet.jitsi', { outcome: 'refused', mechanisms: ['ANONYMOUS'], condition: 'not-allowed' })).toMatchObject({ verdict: 'ok' });
  });

  it('reads the guest domain from config.js (hosts.anonymousdomain)', () => {
    expect(parseConfigJs("config.hosts.domain = 'meet.jitsi';\nconfig.hosts.anonymousdomain = 'guest.meet.jitsi';").guestDomain).toBe('guest.meet.jitsi');
  });
});
