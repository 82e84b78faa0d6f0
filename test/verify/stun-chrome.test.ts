/**
 * The STUN client against a real Chrome ICE agent (issue 3: "tested for real").
 *
 * Chrome runs in a network namespace this test makes (it gathers no candidate on `lo` alone, and
 * no address outside a test-made namespace may be used); the probe runs our own stun.ts in a node
 * child inside the same namespace. In the page: an RTCPeerConnection with a data channel makes an
 * offer and gathers; a second, throw-away RTCPeerConnection produces a valid answer (with a real
 * DTLS fingerprint) whose ice-ufrag/ice-pwd are replaced by ours; Chrome then answers
 * connectivity checks for its own ufrag/pwd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import { chromiumBin } from '../support/tools.js';
import { BASE_FLAGS } from '../../src/bench/browsers.js';
import { createTestNetns, netnsExists, writeStunProbe, type TestNetns } from './netns.js';

// our browser flags, plus: show host candidates as IP addresses, not mDNS .local names (what a page without camera permission gets)
const LAUNCH_ARGS = ['--headless=new', ...BASE_FLAGS, '--use-fake-device-for-media-stream', '--disable-features=WebRtcHideLocalIpsWithMdns'];

interface ChromeIce {
  ufrag: string;
  pwd: string;
  candidates: { ip: string; port: number; protocol: string; type: string }[];
}

type ProbeResult =
  | { outcome: 'success'; rttMs: number; tries: number; mapped?: { address: string; port: number }; integrity: string; fingerprint: string }
  | { outcome: 'error'; code: number; reason: string; integrity: string; tries: number }
  | { outcome: 'timeout'; elapsedMs: number; tries: number; ignored: { reason: string }[] }
  | { outcome: 'wrong-address'; from: { address: string; port: number } }
  | { outcome: 'send-error'; code: string; tries: number };

const OUR_UFRAG = 'jk8sProbe';
const OUR_PWD = 'jk8s-probe-password-0123456789';

let netns: TestNetns | undefined;
let browser: Browser | undefined;
let chrome: ChromeIce;
let probe: string;
let target: { ip: string; port: number };

function parseIce(sdp: string): ChromeIce {
  const ufrag = /^a=ice-ufrag:(.+)$/m.exec(sdp)?.[1]?.trim();
  const pwd = /^a=ice-pwd:(.+)$/m.exec(sdp)?.[1]?.trim();
  if (!ufrag || !pwd) throw new Error(`no ICE credentials in Chrome's SDP:\n${sdp}`);
  const candidates = [...sdp.matchAll(/^a=candidate:\S+ (\d+) (\S+) \d+ (\S+) (\d+) typ (\S+)/gm)].map((m) => ({
    protocol: m[2]!.toLowerCase(),
    ip: m[3]!,
    port: Number(m[4]),
    type: m[5]!,
  }));
  return { ufrag, pwd, candidates };
}

async function check(input: Record<string, unknown>): Promise<ProbeResult> {
  return (await netns!.runNode(probe, { host: target.ip, port: target.port, timeoutMs: 2500, ...input })) as ProbeResult;
}

beforeAll(async () => {
  const executable = chromiumBin(); // throws (fails) when there is no Chromium: never a skip
  netns = await createTestNetns();
  probe = writeStunProbe(netns.dir);
  const puppeteer = await import('puppeteer-core');
  // pipe: the DevTools connection uses fds, not 127.0.0.1 (which inside the namespace is another loopback)
  browser = await puppeteer.launch({ executablePath: netns.browserWrapper(executable), pipe: true, args: LAUNCH_ARGS, headless: true });
  const page = await browser.newPage();
  const sdp = await page.evaluate(
    async (ufrag: string, pwd: string) => {
      const pc = new RTCPeerConnection({ iceServers: [] });
      (globalThis as unknown as { probePc: RTCPeerConnection }).probePc = pc; // keep it alive
      pc.createDataChannel('probe');
      const gathered = new Promise<void>((resolve) => {
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        setTimeout(resolve, 5000);
      });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered;
      const offer = pc.localDescription!.sdp;
      // a real answer (real DTLS fingerprint) from a second connection, with our credentials in it
      const answerer = new RTCPeerConnection({ iceServers: [] });
      await answerer.setRemoteDescription({ type: 'offer', sdp: offer });
      const answer = (await answerer.createAnswer()).sdp!;
      answerer.close();
      const ours = answer.replace(/a=ice-ufrag:.*\r\n/g, `a=ice-ufrag:${ufrag}\r\n`).replace(/a=ice-pwd:.*\r\n/g, `a=ice-pwd:${pwd}\r\n`);
      await pc.setRemoteDescription({ type: 'answer', sdp: ours });
      return offer;
    },
    OUR_UFRAG,
    OUR_PWD,
  );
  chrome = parseIce(sdp);
  const host = chrome.candidates.find((c) => c.type === 'host' && c.protocol === 'udp' && /^\d+\.\d+\.\d+\.\d+$/.test(c.ip));
  if (!host) throw new Error(`Chrome gathered no IPv4 UDP host candidate: ${JSON.stringify(chrome.candidates)}`);
  target = { ip: host.ip, port: host.port };
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (netns) {
    const name = netns.name;
    await netns.remove();
    expect(await netnsExists(name)).toBe(false);
  }
});

describe('STUN Binding checks against Chrome (real WebRTC ICE agent)', () => {
  it('Chrome gathered a host candidate on an address inside our namespace', () => {
    expect(netns!.addresses).toContain(target.ip);
    expect(chrome.ufrag.length).toBeGreaterThanOrEqual(4);
    expect(chrome.pwd.length).toBeGreaterThanOrEqual(22);
  });

  it('Chrome (the controlling offerer) answers our ICE-CONTROLLING with a lower tie-breaker with 487 Role Conflict', async () => {
    const r = await check({ remoteUfrag: chrome.ufrag, remotePassword: chrome.pwd, localUfrag: OUR_UFRAG, tieBreaker: '0' });
    // RFC 8445 7.3.1.1: both controlling, Chrome's tie-breaker is larger → 487, signed with its password
    expect(r).toMatchObject({ outcome: 'error', code: 487, reason: 'Role Conflict', integrity: 'ok' });
  });

  it('Chrome answers a valid Binding Request with a Binding Success we verify against its password', async () => {
    const r = await check({ remoteUfrag: chrome.ufrag, remotePassword: chrome.pwd, localUfrag: OUR_UFRAG, tieBreaker: String(2n ** 64n - 1n) });
    expect(r.outcome).toBe('success');
    if (r.outcome !== 'success') return;
    expect(r.integrity).toBe('verified');
    expect(r.fingerprint).toBe('ok');
    expect(netns!.addresses).toContain(r.mapped?.address);
  });

  // Chrome does not stay silent here: it answers 401 Unauthorized, unsigned (it cannot know the key)
  it('a request signed with the wrong password gets 401 Unauthorized without MESSAGE-INTEGRITY, never a success', async () => {
    const r = await check({ remoteUfrag: chrome.ufrag, remotePassword: 'wrong-password-0123456789', localUfrag: OUR_UFRAG });
    expect(r).toMatchObject({ outcome: 'error', code: 401, integrity: 'absent' });
  });

  it('a request for an unknown ufrag gets 401 Unauthorized', async () => {
    const r = await check({ remoteUfrag: 'nobody', remotePassword: chrome.pwd, localUfrag: OUR_UFRAG });
    expect(r).toMatchObject({ outcome: 'error', code: 401, integrity: 'absent' });
  });

  it('an address with no route from here is a send-error (ENETUNREACH), not a crash', async () => {
    // the namespace has no IPv6 route but ::1: the kernel refuses at once, nothing leaves
    const r = await check({ host: 'fd00:db8::1', remoteUfrag: chrome.ufrag, remotePassword: chrome.pwd, localUfrag: OUR_UFRAG });
    expect(r).toMatchObject({ outcome: 'send-error', code: 'ENETUNREACH', tries: 1 });
  });

  it('a port where no agent listens gives a timeout after all tries', async () => {
    const r = await check({ remoteUfrag: chrome.ufrag, remotePassword: chrome.pwd, localUfrag: OUR_UFRAG, port: target.port === 9 ? 10 : 9, timeoutMs: 1000 });
    expect(r).toMatchObject({ outcome: 'timeout', tries: 7 });
  });
});
