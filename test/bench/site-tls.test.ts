/**
 * Sites people actually run, with real Chromium: an https site with a self-signed certificate
 * (refused with its reason, joined with --insecure) and a plain-http site on a name that is not a
 * secure context (the sender's camera works because the origin is treated as secure). The site is
 * the Jitsi stand-in (test/support/jitsi-standin.ts) on 127.0.0.1; the http site's name is mapped
 * to 127.0.0.1 inside Chromium, so nothing is resolved or sent elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../src/bench/runner.js';
import type { EventRecord, ParticipantSample, SampleRecord } from '../../src/bench/samples.js';
import { parseScenario, type ScenarioInput } from '../../src/bench/scenario.js';
import { startJitsiStandin, type Standin } from '../support/jitsi-standin.js';
import { chromiumBin } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-site-'));
const HOST = 'meet.jk8s.test';
let https: Standin;
let http: Standin;
/** Chromium that resolves HOST to 127.0.0.1 itself (no DNS query leaves). */
let mappedChromium: string;

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
  https = await startJitsiStandin({ key: readFileSync(join(work, 'key.pem'), 'utf8'), cert: readFileSync(join(work, 'cert.pem'), 'utf8') });
  http = await startJitsiStandin(undefined, HOST);
  mappedChromium = join(work, 'chromium-mapped');
  writeFileSync(mappedChromium, `#!/bin/sh\nexec ${chromiumBin()} '--host-resolver-rules=MAP ${HOST} 127.0.0.1' "$@"\n`);
  chmodSync(mappedChromium, 0o755);
});
afterAll(async () => {
  await https?.close();
  await http?.close();
  rmSync(work, { recursive: true, force: true });
});

async function run(name: string, input: Partial<ScenarioInput>) {
  const warnings: string[] = [];
  const s = parseScenario({
    target: 'jitsi',
    browser: chromiumBin(),
    participants: 1,
    senders: 0,
    audioSenders: 0,
    roomPrefix: 'room',
    durationMs: '3s',
    warmupMs: '300ms',
    cooldownMs: '300ms',
    joinTimeoutMs: '25s',
    sampleIntervalMs: '2s',
    outDir: join(work, name),
    ...input,
  });
  const outcome = await runBench(s, { signal: new AbortController().signal, log: { info: () => {}, debug: () => {}, warn: (m) => warnings.push(m) } });
  const records = readFileSync(outcome.samplesFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SampleRecord);
  const events = records.filter((r): r is EventRecord => r.kind === 'event');
  const samples = records.filter((r): r is ParticipantSample => r.kind === 'participant');
  return { outcome, events, samples, warnings };
}

describe('https with a self-signed certificate, http sites (real Chromium)', () => {
  it('without --insecure the join fails at once with the certificate error and the way out', async () => {
    const r = await run('refused', { url: https.url });
    expect(r.events.find((e) => e.event === 'join-failed')).toMatchObject({ reason: 'page-not-loaded', detail: expect.stringMatching(/ERR_CERT_AUTHORITY_INVALID.*--insecure/) });
    expect(r.outcome.joined).toBe(0);
  }, 120_000);

  it('with --insecure it joins, warned about; the default page size brings the 720p layer', async () => {
    const r = await run('insecure', { url: https.url, insecure: true });
    expect(r.warnings.some((w) => w.includes(`--insecure: certificate errors of ${https.url} are ignored`))).toBe(true);
    expect(r.events.find((e) => e.event === 'joined')).toBeDefined();
    expect(r.samples.map((s) => s.videoHeightIn)).toContain(720);
  }, 120_000);

  it('an http site is not a secure context, yet the sender gets its camera: the origin is treated as secure', async () => {
    // the control: without the flag, this origin has no camera
    const browser = await puppeteer.launch({ executablePath: mappedChromium, pipe: true, headless: true, args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${http.url}/room-13`);
      expect(await page.evaluate(() => ({ secure: window.isSecureContext, camera: Boolean(navigator.mediaDevices) }))).toEqual({ secure: false, camera: false });
    } finally {
      await browser.close();
    }
    const r = await run('http', { url: http.url, browser: mappedChromium, senders: 1, audioSenders: 0 });
    expect(r.warnings.some((w) => w.includes(`${http.url} is served over plain http`))).toBe(true);
    expect(r.events.find((e) => e.event === 'joined'), JSON.stringify(r.events)).toBeDefined();
    expect(r.samples.some((s) => s.role === 'sender' && (s.framesSentPerSecond ?? 0) > 0)).toBe(true);
  }, 120_000);
});
