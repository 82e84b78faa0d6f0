/**
 * runVerify's verdicts with only the cluster and Jitsi faked: pods as PodViews and the JVB's colibri2 API
 * as the in-process FAKE JVB (Jitsi cannot run here), so each failure can be set up; the web check talks
 * to a real HTTPS server on 127.0.0.1 and the media probe sends real STUN over UDP to a local responder.
 * The same run through a real API server's pod list and pods/proxy is test/k8s/verify.test.ts. Only fakePod
 * from the look-alike API server's module stays: toPodView reads a crash-looping JVB pod, a state kwok's Stages never give.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cluster/exec.js';
import type { V1Pod } from '../../src/cluster/kube.js';
import { addressScope, mediaCheck, probeTargets } from '../../src/cluster/verify-media.js';
import { toPodView, type PodView } from '../../src/cluster/verify-pods.js';
import { runVerify, type VerifyDeps, type VerifyInput } from '../../src/cluster/verify.js';
import { CommandError } from '../../src/errors.js';
import { fakePod } from '../support/fake-apiserver.js';
import { fakeJvb, type FakeJvb } from './fake-jvb.js';
import { startStunResponder, type ResponderMode, type StunResponder } from './stun-responder.js';

const DOMAIN = 'meet.test';
const creds = { ufrag: 'jvbUfrag1', pwd: 'jvb-ice-password-0123456789' };
let tlsDir: string;
let web: Server;
let webPort: number;
let webCa: string;
let webStatus = 200;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  tlsDir = mkdtempSync(join(tmpdir(), 'verify-web-tls-'));
  // prettier-ignore
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${DOMAIN}`, '-addext', `subjectAltName=DNS:${DOMAIN}`, '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem')], { timeoutMs: 20_000 });
  webCa = readFileSync(join(tlsDir, 'cert.pem'), 'utf8');
  web = createServer({ key: readFileSync(join(tlsDir, 'key.pem')), cert: webCa }, (req, res) => {
    res.writeHead(webStatus, { 'content-type': 'text/html', server: 'nginx' });
    res.end('<html>Jitsi Meet</html>');
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webPort = (web.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((r) => web.close(() => r()));
  rmSync(tlsDir, { recursive: true, force: true });
});

afterEach(async () => {
  webStatus = 200;
  while (cleanups.length) await cleanups.pop()!();
});

const readyPods = (jvb: Partial<PodView> = {}): PodView[] => [
  { name: 'jitsi-web-1', component: 'web', ready: true },
  { name: 'jitsi-prosody-0', component: 'prosody', ready: true },
  { name: 'jitsi-jicofo-1', component: 'jicofo', ready: true },
  { name: 'jitsi-jvb-0-abc', component: 'jvb', ready: true, ...jvb },
];

function input(over: Partial<VerifyInput> = {}): VerifyInput {
  return {
    domain: DOMAIN,
    namespace: 'jitsi',
    release: 'jitsi',
    exposure: { mode: 'loadBalancer', publicIP: '127.0.0.1', udpPort: 10000 },
    timeoutMs: 1500,
    webUrl: `https://${DOMAIN}:${webPort}/`,
    webConnectAddress: '127.0.0.1',
    webCa,
    ...over,
  };
}

async function bridge(mode: ResponderMode = 'answer', extra: Partial<Parameters<typeof fakeJvb>[0]> = {}): Promise<{ jvb: FakeJvb; responder: StunResponder }> {
  const responder = await startStunResponder({ ...creds, mode });
  cleanups.push(() => responder.close());
  const jvb = fakeJvb({ ...creds, candidates: [{ type: 'srflx', ip: '127.0.0.1', port: responder.port }], ...extra });
  return { jvb, responder };
}

const deps = (jvb: FakeJvb, pods = readyPods()): VerifyDeps => ({ listPods: async () => pods, jvbHttp: () => jvb.http });
const byId = (r: Awaited<ReturnType<typeof runVerify>>) => Object.fromEntries(r.checks.map((c) => [c.id, c]));

describe('runVerify', () => {
  it('all green: pods, HTTPS, advertised address, STUN success; the probe conference is expired', async () => {
    const { jvb, responder } = await bridge();
    const r = await runVerify(input(), deps(jvb));
    const c = byId(r);
    expect(r.checks.map((x) => [x.id, x.verdict])).toEqual([
      ['pods', 'ok'],
      ['web', 'ok'],
      ['advertised:jitsi-jvb-0-abc', 'ok'],
      ['media:jitsi-jvb-0-abc', 'ok'],
    ]);
    expect(r.ok).toBe(true);
    expect(r.counts).toEqual({ ok: 4, warn: 0, fail: 0 });
    expect(c.pods?.message).toBe('web 1/1, prosody 1/1, jicofo 1/1, jvb 1/1');
    expect(c.web?.message).toMatch(new RegExp(`https://meet.test:${webPort}/ answered 200 in \\d+ ms`));
    expect(c['advertised:jitsi-jvb-0-abc']?.message).toBe(`127.0.0.1:${responder.port} (srflx) — as configured (exposure.publicIP)`);
    expect(c['media:jitsi-jvb-0-abc']?.message).toMatch(new RegExp(`^127.0.0.1:${responder.port}: Binding Success in \\d+ ms \\(MESSAGE-INTEGRITY verified; it sees us as 127.0.0.1:\\d+\\)$`));
    expect(responder.valid).toBeGreaterThanOrEqual(1);
    expect(jvb.live.size).toBe(0);
    expect(jvb.calls.map((x) => x.method)).toEqual(['POST', 'PATCH']);
    // the result is plain data: --json prints it as is
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('UDP that never comes back: media fails after all tries, with the hint for the exposure mode; still expired', async () => {
    const { jvb, responder } = await bridge('silent');
    const r = await runVerify(input({ timeoutMs: 700 }), deps(jvb));
    const media = byId(r)['media:jitsi-jvb-0-abc']!;
    expect(media.verdict).toBe('fail');
    expect(media.message).toBe(`no answer from 127.0.0.1:${responder.port} within 0.7 s (7 tries each): UDP media does not reach the bridge from here`);
    expect(media.hint).toMatch(/load balancer must carry UDP/);
    // the last datagram may still sit in the socket buffer when the give-up timer fires
    await expect.poll(() => responder!.received).toBe(7);
    expect(r.ok).toBe(false);
    expect(jvb.live.size).toBe(0);
  });

  it('answers from another port: wrong address, with the NAT / externalTrafficPolicy hint', async () => {
    const { jvb } = await bridge('other-port');
    const r = await runVerify(input(), deps(jvb));
    const media = byId(r)['media:jitsi-jvb-0-abc']!;
    expect(media.verdict).toBe('fail');
    expect(media.message).toMatch(/the answer came from 127\.0\.0\.1:\d+$/);
    expect(media.hint).toMatch(/externalTrafficPolicy: Local/);
  });

  it('the JVB advertises another address than exposure.publicIP', async () => {
    const { jvb, responder } = await bridge();
    const r = await runVerify(input({ exposure: { mode: 'loadBalancer', publicIP: '203.0.113.7', udpPort: 10000 } }), deps(jvb));
    const adv = byId(r)['advertised:jitsi-jvb-0-abc']!;
    expect(adv.verdict).toBe('fail');
    expect(adv.message).toBe('127.0.0.1 (from its colibri2 candidates), but exposure.publicIP is 203.0.113.7');
    expect(adv.hint).toMatch(/jvb.publicIPs/);
    // the probe only goes where the bridge says: nothing was sent to 203.0.113.7
    expect(byId(r)['media:jitsi-jvb-0-abc']?.verdict).toBe('ok');
    expect(responder.valid).toBeGreaterThanOrEqual(1);
  });

  it('no publicIP in the config and only a loopback address: a warning', async () => {
    const { jvb } = await bridge();
    const r = await runVerify(input({ exposure: { mode: 'loadBalancer', udpPort: 10000 } }), deps(jvb));
    const adv = byId(r)['advertised:jitsi-jvb-0-abc']!;
    expect(adv.verdict).toBe('warn');
    expect(adv.message).toBe('only 127.0.0.1 (loopback): no public address');
    expect(r.ok).toBe(true);
  });

  it('an untrusted certificate fails the web check with a cert-manager hint; a 502 fails it too', async () => {
    const { jvb } = await bridge();
    const r = await runVerify(input({ webCa: undefined }), deps(jvb));
    const w = byId(r).web!;
    expect(w.verdict).toBe('fail');
    expect(w.message).toMatch(/self[- ]signed certificate/i);
    expect(w.hint).toMatch(/kubectl get certificate/);
    webStatus = 502;
    const r2 = await runVerify(input(), deps(jvb));
    expect(byId(r2).web).toMatchObject({ verdict: 'fail', message: `https://meet.test:${webPort}/ answered 502` });
  });

  it('a certificate for another name fails with the altname hint', async () => {
    const { jvb } = await bridge();
    const r = await runVerify(input({ domain: 'other.test', webUrl: `https://other.test:${webPort}/` }), deps(jvb));
    expect(byId(r).web).toMatchObject({ verdict: 'fail', hint: expect.stringMatching(/certificate is for another name/) });
  });

  it('a JVB that is not ready: pods fail and nothing is probed', async () => {
    const { jvb, responder } = await bridge();
    const r = await runVerify(input(), deps(jvb, readyPods({ ready: false, phase: 'Running', reason: 'CrashLoopBackOff' })));
    const c = byId(r);
    expect(c.pods).toMatchObject({ verdict: 'fail', message: 'nothing ready in jvb; web 1/1, prosody 1/1, jicofo 1/1, jvb 0/1' });
    expect(c.pods?.hint).toMatch(/jitsi-jvb-0-abc \(CrashLoopBackOff\)/);
    expect(c.media).toMatchObject({ verdict: 'fail', message: 'no ready JVB pod to probe' });
    expect(jvb.calls).toHaveLength(0);
    expect(responder.received).toBe(0);
  });

  it('an unreachable cluster: pods and media fail with the kube hint, the web is still checked', async () => {
    const r = await runVerify(input(), {
      listPods: async () => {
        throw new CommandError('cannot reach the Kubernetes API server of context "x"', 'cluster unreachable — check --context / KUBECONFIG');
      },
      jvbHttp: () => {
        throw new Error('not reached');
      },
    });
    const c = byId(r);
    expect(c.pods).toMatchObject({ verdict: 'fail', hint: 'cluster unreachable — check --context / KUBECONFIG' });
    expect(c.media?.verdict).toBe('fail');
    expect(c.web?.verdict).toBe('ok');
  });

  it('colibri2 off (404): media fails with the COLIBRI_REST_ENABLED hint; the address falls back to JVB_ADVERTISE_IPS', async () => {
    const { jvb, responder } = await bridge('answer', { createStatus: 404 });
    const r = await runVerify(input(), deps(jvb, readyPods({ advertiseIPs: ['127.0.0.1'] })));
    const c = byId(r);
    expect(c['media:jitsi-jvb-0-abc']).toMatchObject({ verdict: 'fail', hint: expect.stringMatching(/COLIBRI_REST_ENABLED/) });
    expect(c['advertised:jitsi-jvb-0-abc']).toMatchObject({ verdict: 'ok', message: '127.0.0.1 — as configured (exposure.publicIP)' });
    expect(responder.received).toBe(0);
  });
});

describe('mediaCheck verdicts', () => {
  const pod: PodView = { name: 'jvb-0', component: 'jvb', ready: true };
  const exposure = { mode: 'hostPort' as const, publicIP: '203.0.113.7', udpPort: 10000 };
  const success = { outcome: 'success' as const, rttMs: 12, tries: 1, integrity: 'verified' as const, fingerprint: 'ok' as const };
  const timeout = { outcome: 'timeout' as const, elapsedMs: 5000, tries: 7, ignored: [] };
  const noRoute = { outcome: 'send-error' as const, tries: 1, code: 'ENETUNREACH', message: 'send ENETUNREACH' };

  it('success on the configured address: ok', () => {
    expect(mediaCheck(pod, [{ target: '203.0.113.7:10000', type: 'srflx', result: success }], exposure).verdict).toBe('ok');
  });
  it('success only on another address while the configured one stays silent: warn, with the mode hint', () => {
    const c = mediaCheck(pod, [
      { target: '203.0.113.7:10000', type: 'srflx', result: timeout },
      { target: '198.51.100.2:10000', type: 'srflx', result: success },
    ], exposure);
    expect(c.verdict).toBe('warn');
    expect(c.hint).toMatch(/^clients use 203.0.113.7:10000: open the UDP port on the node firewall/);
  });
  it('an unroutable IPv6 candidate does not spoil a working IPv4 one', () => {
    expect(mediaCheck(pod, [
      { target: '203.0.113.7:10000', type: 'srflx', result: success },
      { target: '[2001:db8::7]:10000', type: 'host', result: noRoute },
    ], exposure).verdict).toBe('ok');
  });
  it('nothing sendable: fail with the no-route hint', () => {
    const c = mediaCheck(pod, [{ target: '[2001:db8::7]:10000', type: 'host', result: noRoute }], exposure);
    expect(c).toMatchObject({ verdict: 'fail', message: '[2001:db8::7]:10000: cannot send from this machine (ENETUNREACH)' });
    expect(c.hint).toMatch(/no route/);
  });
  it('timeouts plus an unroutable candidate: fail naming both', () => {
    const c = mediaCheck(pod, [
      { target: '203.0.113.7:10000', type: 'srflx', result: timeout },
      { target: '[2001:db8::7]:10000', type: 'host', result: noRoute },
    ], exposure);
    expect(c.message).toBe('no answer from 203.0.113.7:10000 within 5.0 s (7 tries each); [2001:db8::7]:10000: cannot send from this machine (ENETUNREACH): UDP media does not reach the bridge from here');
  });
  it('no UDP candidate at all: fail', () => {
    expect(mediaCheck(pod, [], exposure)).toMatchObject({ verdict: 'fail', message: 'the bridge advertises no UDP candidate' });
  });
});

describe('helpers', () => {
  it('toPodView: component label, readiness, waiting reason, JVB_ADVERTISE_IPS from the downward API (useNodeIP)', () => {
    const pod = fakePod({ name: 'jitsi-jvb-0-x', component: 'jvb', ready: false });
    pod.spec.containers[0].env = [{ name: 'JVB_ADVERTISE_IPS', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }];
    pod.status.hostIP = '198.51.100.4';
    pod.status.containerStatuses[0].state = { waiting: { reason: 'CrashLoopBackOff' } };
    expect(toPodView(pod as V1Pod)).toEqual({
      name: 'jitsi-jvb-0-x',
      component: 'jvb',
      ready: false,
      phase: 'Pending',
      reason: 'CrashLoopBackOff',
      podIP: '10.244.0.10',
      advertiseIPs: ['198.51.100.4'],
    });
  });

  it('addressScope', () => {
    expect(['203.0.113.7', '10.1.2.3', '172.20.0.1', '192.168.1.1', '100.101.102.103', '127.0.0.1', '2001:db8::1', 'fd7a:115c:a1e0::1', 'fd00::2'].map(addressScope)).toEqual([
      'public',
      'private',
      'private',
      'private',
      'tailnet',
      'loopback',
      'public',
      'tailnet',
      'private',
    ]);
  });
  it('probeTargets: UDP only, deduplicated, expected address first, then srflx, then host', () => {
    const t = probeTargets(
      [
        { type: 'host', ip: '10.244.0.10', port: 10000, protocol: 'udp' },
        { type: 'srflx', ip: '198.51.100.2', port: 10000, protocol: 'udp' },
        { type: 'srflx', ip: '203.0.113.7', port: 10000, protocol: 'udp' },
        { type: 'srflx', ip: '203.0.113.7', port: 10000, protocol: 'udp' },
        { type: 'host', ip: '10.244.0.10', port: 4443, protocol: 'tcp' },
      ],
      '203.0.113.7',
    );
    expect(t.map((c) => `${c.ip}:${c.port}`)).toEqual(['203.0.113.7:10000', '198.51.100.2:10000', '10.244.0.10:10000']);
  });
});
