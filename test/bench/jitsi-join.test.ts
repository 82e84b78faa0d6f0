/**
 * Join outcomes against a page exposing Jitsi Meet's conference states (test/support/jitsi-standin.ts,
 * a stand-in: Jitsi cannot run here), with real Chromium and the real runner: every outcome is a
 * named reason in samples.jsonl; the token and room password never reach a file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeResults } from '../../src/bench/results/index.js';
import { runBench } from '../../src/bench/runner.js';
import type { EventRecord, ParticipantSample, SampleRecord } from '../../src/bench/samples.js';
import { parseScenario } from '../../src/bench/scenario.js';
import { startJitsiStandin, STANDIN_OUTCOMES, STANDIN_PASSWORD, STANDIN_TOKEN, type Standin, type StandinOutcome } from '../support/jitsi-standin.js';
import { chromiumBin } from '../support/tools.js';

const EXPECTED: Record<StandinOutcome, { event: 'joined' | 'join-failed'; reason?: string; detail?: RegExp }> = {
  joins: { event: 'joined', detail: /conference joined, media transport connected, first media/ },
  'no-media': { event: 'join-failed', reason: 'no-media' },
  'ice-failed': { event: 'join-failed', reason: 'ice-failed', detail: /conference\.iceFailed/ },
  'password-accepted': { event: 'joined' },
  'password-refused': { event: 'join-failed', reason: 'password-required', detail: /refused/ },
  lobby: { event: 'join-failed', reason: 'lobby', detail: /membersOnly/ },
  'waiting-for-host': { event: 'join-failed', reason: 'waiting-for-host', detail: /authenticationRequired/ },
  'token-accepted': { event: 'joined' },
  'token-refused': { event: 'join-failed', reason: 'auth-required', detail: /connection\.passwordRequired/ },
  'room-full': { event: 'join-failed', reason: 'room-full', detail: /conference\.max_users/ },
  'kicked-while-joining': { event: 'join-failed', reason: 'removed', detail: /kicked/ },
  unsupported: { event: 'join-failed', reason: 'browser-unsupported' },
  'not-jitsi': { event: 'join-failed', reason: 'not-jitsi', detail: /no Jitsi Meet app/ },
  'basic-auth': { event: 'join-failed', reason: 'page-not-loaded', detail: /ERR_INVALID_AUTH_CREDENTIALS: the site asks for a login|HTTP 401.*basic auth/ },
  redirect: { event: 'join-failed', reason: 'page-not-loaded', detail: /redirected to http:\/\/127\.0\.0\.1:\d+\/sso\/login/ },
  'kicked-later': { event: 'joined' },
};

let standin: Standin;
const work = mkdtempSync(join(tmpdir(), 'jk8s-join-'));
beforeAll(async () => {
  standin = await startJitsiStandin();
});
afterAll(async () => {
  await standin?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('joining a Jitsi Meet site (stand-in page, real Chromium)', () => {
  it('every outcome is a named reason; joined participants report the received video height; secrets stay out of files', async () => {
    const n = STANDIN_OUTCOMES.length;
    const outDir = join(work, 'run');
    const s = parseScenario({
      target: 'jitsi',
      url: standin.url,
      browser: chromiumBin(),
      participants: n,
      rooms: n,
      senders: 0,
      audioSenders: 0,
      liteReceivers: 0,
      participantsPerBrowser: n / 2,
      roomPrefix: 'room',
      displayName: 'loadbot',
      viewport: { width: 320, height: 240 },
      durationMs: '2s',
      rampPerSecond: '8/s',
      warmupMs: '500ms',
      cooldownMs: '500ms',
      // generous: a shared 2-core machine can take half a minute to get media flowing in 16 pages
      joinTimeoutMs: '45s',
      sampleIntervalMs: '3s',
      outDir,
    });
    const logged: string[] = [];
    const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), debug: (m: string) => logged.push(m) };
    const outcome = await runBench(s, { signal: new AbortController().signal, log, credentials: { jwt: STANDIN_TOKEN, roomPassword: STANDIN_PASSWORD } });
    const text = readFileSync(outcome.samplesFile, 'utf8');
    const records = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as SampleRecord);
    const events = records.filter((r): r is EventRecord => r.kind === 'event');
    const verdicts = new Map<string, EventRecord>();
    for (const e of events) if ((e.event === 'joined' || e.event === 'join-failed') && e.participant) verdicts.set(e.participant, e);
    if (process.env.JK8S_DEBUG_JOIN) console.log(logged.join('\n'), text);
    for (const [i, what] of STANDIN_OUTCOMES.entries()) {
      const e = verdicts.get(`bench-${i + 1}`);
      const want = EXPECTED[what];
      expect({ what, event: e?.event, reason: e?.reason }, `${what}: ${e?.detail}`).toEqual({ what, event: want.event, reason: want.reason });
      if (want.detail) expect(e?.detail, what).toMatch(want.detail);
    }
    // a kick after joining is a left with its reason
    const kickedLater = `bench-${STANDIN_OUTCOMES.indexOf('kicked-later') + 1}`;
    expect(events.find((e) => e.event === 'left' && e.participant === kickedLater)).toMatchObject({ reason: 'removed' });
    // the page size reached the page: the stand-in sends the layer that fits it
    const joined = records.filter((r): r is ParticipantSample => r.kind === 'participant' && r.participant === 'bench-1');
    expect(joined.length).toBeGreaterThan(0);
    expect(joined.map((r) => r.videoHeightIn)).toContain(180);
    expect(outcome.joined).toBe(4);
    expect(outcome.failed).toBe(n - 4);
    // the token went to the site as Jitsi reads it, the display name with it
    expect(standin.requests.some((r) => r.includes(`jwt=${encodeURIComponent(STANDIN_TOKEN)}`))).toBe(true);
    for (const file of [outcome.samplesFile, outcome.scenarioFile]) {
      const content = readFileSync(file, 'utf8');
      expect(content).not.toContain(STANDIN_TOKEN);
      expect(content).not.toContain(STANDIN_PASSWORD);
    }
    expect(logged.join('\n')).not.toContain(STANDIN_TOKEN);
    expect(JSON.parse(readFileSync(outcome.scenarioFile, 'utf8'))).toMatchObject({ viewport: { width: 320, height: 240 }, displayName: 'loadbot' });
    // the summary and report carry the named reasons and each receiver's received height
    const { summary } = await writeResults(outDir);
    const failedReasons = Object.values(EXPECTED).flatMap((e) => (e.reason ? [e.reason] : []));
    expect(new Set(summary.run.reasons.filter((r) => r.event === 'join-failed').map((r) => r.reason))).toEqual(new Set(failedReasons));
    expect(summary.run.reasons.find((r) => r.event === 'left')).toMatchObject({ reason: 'removed', count: 1 });
    expect(summary.receivers.find((r) => r.participant === 'bench-1')?.videoHeightIn).toBe(180);
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    for (const label of ['waiting for the host', 'room full', 'not a Jitsi Meet site', 'browser not supported', 'page did not load']) expect(html).toContain(label);
  }, 240_000);
});
