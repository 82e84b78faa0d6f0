/**
 * The built `jitsi-k8s verify` against a site made of real servers where they run here: Debian's
 * prosody (XMPP WebSocket + BOSH) and coturn (TURN, shared secret from the secrets file) behind a
 * local TLS proxy playing the ingress (its self-signed CA reaches the bin through
 * NODE_EXTRA_CA_CERTS). The cluster is the fake API server and the two bridges are the project's
 * stand-in JVB (fake-jvb.ts), which also serves each bridge's channel WebSocket; UDP media goes to
 * a local STUN responder.
 * Look-alike API server: it routes colibri2 into the in-process fake JVB that also serves each bridge's channel WebSocket
 * on 127.0.0.1; the thin stand-in bridge behind the real pods/proxy (test/k8s/) does not speak the bridge channel.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/cluster/verify.js';
import { generateSecrets, saveSecrets, secretsPathFor } from '../../src/config/file.js';
import { cliAsync } from '../support/cli.js';
import { fakePod, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { fakeJvb, type BridgeChannelServer, type FakeJvb } from './fake-jvb.js';
import { startCoturn, startProsody, startSiteProxy, systemTool, type Coturn, type Prosody, type SiteProxy, type SiteProxyOptions } from './servers.js';
import { startStunResponder, type StunResponder } from './stun-responder.js';

const DOMAIN = 'meet.test';
const creds = { ufrag: 'siteUfrag', pwd: 'site-ice-password-0123456789' };
const prosodyBin = systemTool('prosody');
const turnserver = systemTool('turnserver');
const CONFIG_JS = ["config.hosts.domain = 'meet.jitsi';", "config.bosh = '/http-bind';", `config.websocket = 'wss://${DOMAIN}/xmpp-websocket';`, ''].join('\n');

describe.skipIf(!prosodyBin || !turnserver)('jitsi-k8s verify: signalling and TURN through the site', () => {
  let dir: string;
  let configPath: string;
  let caBundle: string;
  let api: FakeApiServer;
  let prosody: Prosody;
  let coturn: Coturn;
  let responder: StunResponder;
  const jvbs: Record<string, FakeJvb> = {};
  const channels: Record<string, BridgeChannelServer> = {};
  const proxies: Record<'pass' | 'strip' | 'oneBridge' | 'shortTimeout', SiteProxy> = {} as never;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verify-site-'));
    configPath = join(dir, 'jitsi-k8s.yaml');
    writeFileSync(
      configPath,
      `apiVersion: jitsi-k8s/v1\ndomain: ${DOMAIN}\ncluster:\n  context: fake\n  namespace: jitsi\nexposure:\n  mode: loadBalancer\n  publicIP: 127.0.0.1\n  turn:\n    enabled: true\ntls:\n  mode: letsencrypt\n  email: ops@example.com\n`,
    );
    const secrets = generateSecrets();
    saveSecrets(secretsPathFor(configPath), secrets);
    [prosody, coturn, responder, api] = await Promise.all([startProsody(prosodyBin!, 'meet.jitsi'), startCoturn(turnserver!, { secret: secrets.turnSecret }, `turn.${DOMAIN}`), startStunResponder(creds), startFakeApiServer()]);
    for (const [name, serverId] of [
      ['jitsi-jvb-0-a', 'jvb-a'],
      ['jitsi-jvb-1-b', 'jvb-b'],
    ] as const) {
      jvbs[name] = fakeJvb({ ...creds, candidates: [{ type: 'srflx', ip: '127.0.0.1', port: responder.port }], webSocketBase: `wss://${DOMAIN}/colibri-ws/${serverId}` });
      channels[serverId] = await jvbs[name]!.serveBridgeChannel();
    }
    for (const [name, component] of [
      ['jitsi-web-1', 'web'],
      ['jitsi-prosody-0', 'prosody'],
      ['jitsi-jicofo-1', 'jicofo'],
      ['jitsi-jvb-0-a', 'jvb'],
      ['jitsi-jvb-1-b', 'jvb'],
    ] as const) {
      api.state.pods.push(fakePod({ name, component }));
    }
    api.state.colibri2 = (req) => jvbs[req.pod]!.handle(req);
    const bridges = { 'jvb-a': channels['jvb-a']!.port, 'jvb-b': channels['jvb-b']!.port };
    const site = (o: Omit<SiteProxyOptions, 'backendPort' | 'pages'>) => startSiteProxy(DOMAIN, { backendPort: prosody.httpPort, pages: { '/': '<html>Jitsi Meet</html>', '/config.js': CONFIG_JS }, ...o });
    proxies.pass = await site({ upgrade: 'pass', bridges });
    proxies.strip = await site({ upgrade: 'strip', bridges });
    proxies.oneBridge = await site({ upgrade: 'pass', bridges: { 'jvb-a': bridges['jvb-a'] } });
    proxies.shortTimeout = await site({ upgrade: 'pass', bridges, idleTimeoutMs: 1000 });
    caBundle = join(dir, 'site-ca.pem');
    writeFileSync(caBundle, Object.values(proxies).map((p) => p.ca).join(''));
    env = { KUBECONFIG: api.writeKubeconfig(), NODE_EXTRA_CA_CERTS: caBundle };
  }, 60_000);

  afterAll(async () => {
    for (const p of Object.values(proxies)) await p.close();
    for (const c of Object.values(channels)) await c.close();
    await Promise.all([prosody?.close(), coturn?.close(), responder?.close(), api?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const verify = (proxy: SiteProxy, extra: string[] = []) =>
    cliAsync(['verify', '--config', configPath, '--timeout', '4', '--web-address', `127.0.0.1:${proxy.port}`, '--turn-address', `127.0.0.1:${coturn.port}`, ...extra], { env, timeoutMs: 60_000 });

  it('a proxy that passes WebSockets: every row ok in --json but the open site\'s warning, SASL ANONYMOUS reported, exit 0', { timeout: 60_000 }, async () => {
    const before = { a: channels['jvb-a']!.accepted, b: channels['jvb-b']!.accepted };
    const r = await verify(proxies.pass, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as VerifyResult;
    expect(result.checks.map((c) => [c.id, c.verdict])).toEqual([
      ['pods', 'ok'],
      ['web', 'ok'],
      ['xmpp-websocket', 'ok'],
      ['bosh', 'ok'],
      // the config is open (auth.mode default) and meet.jitsi takes anonymous logins: a warning
      ['auth', 'warn'],
      ['turn', 'ok'],
      ['advertised:jitsi-jvb-0-a', 'ok'],
      ['media:jitsi-jvb-0-a', 'ok'],
      ['bridge-channel:jitsi-jvb-0-a', 'ok'],
      ['advertised:jitsi-jvb-1-b', 'ok'],
      ['media:jitsi-jvb-1-b', 'ok'],
      ['bridge-channel:jitsi-jvb-1-b', 'ok'],
    ]);
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    expect(byId['xmpp-websocket']!.message).toMatch(/^stream to meet\.jitsi: features in \d+ ms \(SASL ANONYMOUS\); closed cleanly$/);
    expect(byId.bosh!.message).toMatch(new RegExp(`^POST https://meet\\.test:${proxies.pass.port}/http-bind: session opened in \\d+ ms \\(SASL ANONYMOUS\\)$`));
    expect(byId.auth!.message).toBe('auth.mode open: meet.jitsi accepts anonymous login — anyone who reaches the site starts meetings on your bridges');
    expect(byId.turn!.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${coturn.port}/udp: relay 127\\.0\\.0\\.1:\\d+ allocated in \\d+ ms \\(realm turn\\.meet\\.test; .*\\); released$`));
    expect(byId['bridge-channel:jitsi-jvb-1-b']!.message).toMatch(new RegExp(`^wss://meet\\.test:${proxies.pass.port}/colibri-ws/jvb-b/jitsi-k8s-verify-[0-9a-f-]+/[0-9a-f]+ upgraded in \\d+ ms$`));
    // each bridge's own channel server took the upgrade, while its probe conference was live; then it was expired
    expect(channels['jvb-a']!.accepted).toBe(before.a + 1);
    expect(channels['jvb-b']!.accepted).toBe(before.b + 1);
    expect(jvbs['jitsi-jvb-0-a']!.live.size + jvbs['jitsi-jvb-1-b']!.live.size).toBe(0);
    expect(r.stdout).not.toContain(creds.pwd);
  });

  it('a proxy that strips the upgrade: the table names "upgrade refused (HTTP 200)" with the ingress hint, exit 1', { timeout: 60_000 }, async () => {
    const r = await verify(proxies.strip);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const port = proxies.strip.port;
    expect(r.stderr).toMatch(new RegExp(`^XMPP WebSocket\\s+FAIL\\s+wss://meet\\.test:${port}/xmpp-websocket: upgrade refused \\(HTTP 200\\)$`, 'm'));
    expect(r.stderr).toMatch(/^BOSH\s+ok\s+POST /m);
    expect(r.stderr).toMatch(/^jitsi-jvb-0-a bridge channel\s+FAIL\s+wss:\/\/meet\.test:\d+\/colibri-ws\/jvb-a\/\S+ upgrade refused \(HTTP 426\)$/m);
    expect(r.stderr).toMatch(/^hint \(XMPP WebSocket\): the ingress \(or any proxy in front of it\) must pass the WebSocket upgrade/m);
    expect(r.stderr).toMatch(/^who may start a meeting\s+WARN\s+meet\.jitsi: not checked: upgrade-refused \(HTTP 200\)$/m);
    expect(r.stderr).toMatch(/^error: verify: 3 of 12 checks failed$/m);
    expect(r.stderr).not.toContain(creds.pwd);
  });

  it('an ingress that routes /colibri-ws/ to one bridge only: the other bridge\'s channel fails, per bridge', { timeout: 60_000 }, async () => {
    const r = await verify(proxies.oneBridge, ['--json']);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as VerifyResult;
    const rows = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    expect(rows['bridge-channel:jitsi-jvb-0-a']!.verdict).toBe('ok');
    expect(rows['bridge-channel:jitsi-jvb-1-b']).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/colibri-ws\/jvb-b\/.* upgrade refused \(HTTP 404\)$/), hint: expect.stringMatching(/must reach this very bridge/) });
    expect(result.counts.fail).toBe(1);
  });

  it('--long holds the XMPP WebSocket idle: a proxy that closes idle tunnels after 1 s is named', { timeout: 60_000 }, async () => {
    const r = await verify(proxies.shortTimeout, ['--json', '--long', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holding the XMPP WebSocket idle for 3 s \(--long\)/);
    const row = (JSON.parse(r.stdout) as VerifyResult).checks.find((c) => c.id === 'xmpp-websocket');
    expect(row).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/^closed by the proxy after [12]\.\d s \(WebSocket close 1006\)$/), hint: expect.stringMatching(/proxy-read-timeout/) });
  });
});
