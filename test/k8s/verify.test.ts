/**
 * runVerify against the REAL API server: release jitsi of the real chart (and another release of it)
 * installed with helm, kwok makes their pods Ready; the colibri2 probe goes through the real pods/proxy to the
 * STAND-IN bridge (test/support/standin-bridge.mjs; Jitsi cannot run here), whose endpoint
 * advertises a STUN responder on 127.0.0.1 that plays the JVB's ICE agent; the web check talks to
 * a real HTTPS server on 127.0.0.1. Also the verify command in process (--json, --namespace, the table).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cluster/exec.js';
import { openKube } from '../../src/cluster/kube.js';
import { runVerify, verifyDepsFromKube, type VerifyResult } from '../../src/cluster/verify.js';
import { defineVerify } from '../../src/commands/verify.js';
import { CommandError } from '../../src/errors.js';
import { createLogger, setLogger } from '../../src/ui/log.js';
import {
  assertPodRoute,
  bridgeSelector,
  cluster,
  installRelease,
  kubectl,
  skipReason,
  waitForReadyPods,
  startStandinBridge,
  type StandinBridge,
} from '../support/control-plane.js';
import { startStunResponder, type StunResponder } from '../verify/stun-responder.js';
import { config } from '../support/config.js';
import { installExtras } from '../support/extras.js';

const DOMAIN = 'meet.test';
const ns = `jk8s-verify-${Date.now().toString(36).slice(-5)}`;
// the stand-in bridge's ICE credentials
const creds = { ufrag: 'standinufrag', pwd: 'standinpwd0123456789abcd' };
const work = mkdtempSync(join(tmpdir(), 'jk8s-verify-'));
const loadFile = join(work, 'bridge-load.json');
let bridge: StandinBridge | undefined;
let responder: StunResponder | undefined;
let web: Server | undefined;
let webPort = 0;
let webCa = '';

/** the bridge pod of release jitsi, as the chart's Deployment named it */
let jvbPod = '';

beforeAll(async () => {
  if (!cluster) return;
  assertPodRoute();
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${DOMAIN}`,
      '-addext',
      `subjectAltName=DNS:${DOMAIN}`,
      '-keyout',
      join(work, 'key.pem'),
      '-out',
      join(work, 'cert.pem'),
    ],
    { timeoutMs: 20_000 },
  );
  webCa = readFileSync(join(work, 'cert.pem'), 'utf8');
  web = createServer({ key: readFileSync(join(work, 'key.pem')), cert: webCa }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', server: 'nginx' });
    res.end('<html>Jitsi Meet</html>');
  });
  await new Promise<void>((r) => web!.listen(0, '127.0.0.1', r));
  webPort = (web.address() as { port: number }).port;
  responder = await startStunResponder({ ...creds, mode: 'answer' });
  writeFileSync(loadFile, '{}');
  bridge = await startStandinBridge(loadFile);
  kubectl(['create', 'namespace', ns]);
  // the chart gives the bridge JVB_ADVERTISE_IPS from jvb.publicIPs
  await installRelease(ns, 'jitsi', 1, { publicURL: `https://${DOMAIN}`, jvb: { publicIPs: ['127.0.0.1'] } });
  await installRelease(ns, 'other', 1);
  // release jitsi with its NetworkPolicies (security.networkPolicies: on): verify reads the bridge through the API server's pod proxy, which they let in
  await installExtras(config({ security: { networkPolicies: 'on' }, cluster: { namespace: ns, release: 'jitsi' } }), work);
  const [jvb] = await waitForReadyPods(ns, bridgeSelector('jitsi'), 1);
  jvbPod = jvb!.name;
  // the bridge advertises the STUN responder as its server-reflexive address
  const candidates = [
    {
      generation: '0',
      component: '1',
      protocol: 'udp',
      port: String(responder.port),
      ip: '127.0.0.1',
      foundation: '1',
      id: 'c1',
      priority: '1694498815',
      type: 'srflx',
      network: '0',
    },
  ];
  writeFileSync(loadFile, JSON.stringify({ [jvb!.podIP]: { candidates } }));
  // web, prosody, jicofo and the bridge of each release
  for (const release of ['jitsi', 'other']) await waitForReadyPods(ns, `app.kubernetes.io/instance=${release}`, 4);
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  await responder?.close();
  if (web) await new Promise<void>((r) => web!.close(() => r()));
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!cluster)(`runVerify against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it(
    'lists the release pods by label (not another release’s) and probes the JVB through pods/proxy: all green, conference expired',
    { timeout: 60_000 },
    async () => {
      const input = {
        domain: DOMAIN,
        namespace: ns,
        release: 'jitsi',
        exposure: { mode: 'loadBalancer' as const, publicIP: '127.0.0.1', udpPort: 10000 },
        timeoutMs: 1500,
        webUrl: `https://${DOMAIN}:${webPort}/`,
        webConnectAddress: '127.0.0.1',
        webCa,
      };
      const r = await runVerify(
        input,
        verifyDepsFromKube(() => openKube({ kubeconfig: cluster!.kubeconfig, namespace: ns }), { namespace: ns, release: 'jitsi' }),
      );
      expect(kubectl(['get', 'networkpolicies', '-n', ns, '-o', 'name'])).toContain('networkpolicy.networking.k8s.io/jitsi-jvb-from-api-server');
      expect(r.checks.map((x) => [x.id, x.verdict])).toEqual([
        ['pods', 'ok'],
        ['web', 'ok'],
        [`advertised:${jvbPod}`, 'ok'],
        [`media:${jvbPod}`, 'ok'],
      ]);
      const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
      // release other's pods are not counted: one web pod, not two (components in the API server's order: by pod name)
      expect(byId.pods?.message).toBe('jicofo 1/1, jvb 1/1, prosody 1/1, web 1/1');
      expect(byId[`advertised:${jvbPod}`]?.details?.advertiseIPs).toEqual(['127.0.0.1']);
      expect(byId[`media:${jvbPod}`]?.message).toMatch(new RegExp(`^127.0.0.1:${responder!.port}: Binding Success in \\d+ ms \\(MESSAGE-INTEGRITY verified`));
      expect(responder!.valid).toBeGreaterThanOrEqual(1);
      // what reached the bridge through pods/proxy: one conference, created then expired
      const saw = JSON.parse(kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/${jvbPod}:8080/proxy/standin/calls`])) as {
        calls: { method: string; url: string }[];
        live: string[];
      };
      expect(saw.live).toEqual([]);
      expect(saw.calls.map((c) => c.method)).toEqual(['POST', 'PATCH']);
      expect(saw.calls[0]!.url).toBe('/colibri/v2/conferences');
    },
  );
});

describe.skipIf(!cluster)(`jitsi-k8s verify as a command, in process, against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  const savedKubeconfig = process.env.KUBECONFIG;
  let configPath = '';
  let stderr = '';

  beforeAll(() => {
    process.env.KUBECONFIG = cluster!.kubeconfig;
    const context = kubectl(['config', 'current-context']).trim();
    configPath = join(work, 'jitsi-k8s.yaml');
    writeFileSync(
      configPath,
      `apiVersion: jitsi-k8s/v1\ndomain: meet.test\ncluster:\n  context: ${context}\n  namespace: ${ns}\nexposure:\n  mode: loadBalancer\n  publicIP: 127.0.0.1\ntls:\n  mode: letsencrypt\n  email: ops@example.com\n`,
    );
    setLogger(createLogger({}, (text) => (stderr += text)));
  });
  afterAll(() => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
  });
  afterEach(() => {
    stderr = '';
    vi.restoreAllMocks();
  });

  async function verify(args: string[]): Promise<{ stdout: string; error?: unknown }> {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    defineVerify(program);
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((text: string | Uint8Array) => {
      stdout += String(text);
      return true;
    });
    try {
      await program.parseAsync(['node', 'jitsi-k8s', 'verify', ...args]);
      return { stdout };
    } catch (error) {
      return { stdout, error };
    } finally {
      vi.restoreAllMocks();
    }
  }

  it('--json: one object on stdout; a web address that refuses fails the run (exit 1) while media passes', { timeout: 60_000 }, async () => {
    // --web-address: the HTTPS check connects to 127.0.0.1:443 instead of resolving meet.test; nothing listens → refused
    const { stdout, error } = await verify(['--config', configPath, '--json', '--timeout', '2', '--web-address', '127.0.0.1']);
    const result = JSON.parse(stdout) as VerifyResult;
    expect(result.namespace).toBe(ns);
    expect(result.context).toBe('jitsi-k8s-test');
    expect(result.checks.map((c) => [c.id, c.verdict])).toEqual([
      ['pods', 'ok'],
      ['web', 'fail'],
      ['xmpp-websocket', 'fail'],
      ['bosh', 'fail'],
      // no stream, so auth.mode could not be looked at: a warning beside the failing XMPP row
      ['auth', 'warn'],
      [`advertised:${jvbPod}`, 'ok'],
      [`media:${jvbPod}`, 'ok'],
      // the stand-in bridge advertises no colibri WebSocket
      [`bridge-channel:${jvbPod}`, 'ok'],
    ]);
    expect(result.checks[1]?.message).toMatch(/ECONNREFUSED/);
    expect(result.checks[2]?.message).toBe('wss://meet.test/xmpp-websocket: connect ECONNREFUSED 127.0.0.1:443');
    expect(result.checks[3]?.message).toBe('POST https://meet.test/http-bind: connect ECONNREFUSED 127.0.0.1:443');
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).message).toBe('verify: 3 of 8 checks failed');
    expect((error as CommandError).hint).toMatch(/nothing accepts connections on 443/);
    expect(responder!.valid).toBeGreaterThanOrEqual(1);
  });

  it('--namespace overrides the config: no pods there → pods fail, nothing probed', { timeout: 60_000 }, async () => {
    const before = responder!.received;
    const { stdout, error } = await verify(['--config', configPath, '--json', '--namespace', 'elsewhere', '--web-address', '127.0.0.1']);
    const result = JSON.parse(stdout) as VerifyResult;
    expect(result.namespace).toBe('elsewhere');
    expect(result.checks.find((c) => c.id === 'pods')).toMatchObject({ verdict: 'fail', message: 'no pods of release jitsi in namespace elsewhere' });
    expect(error).toBeInstanceOf(CommandError);
    expect(responder!.received).toBe(before);
  });

  it('human output is a table on stderr, nothing on stdout', { timeout: 60_000 }, async () => {
    const { stdout } = await verify(['--config', configPath, '--web-address', '127.0.0.1']);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^check\s+verdict\s+result$/m);
    expect(stderr).toMatch(new RegExp(`^${jvbPod} UDP media\\s+ok\\s+127\\.0\\.0\\.1:\\d+: Binding Success`, 'm'));
    expect(stderr).toMatch(/^web over HTTPS\s+FAIL\s+/m);
    expect(stderr).toMatch(/^hint \(web over HTTPS\): nothing accepts connections/m);
  });
});
