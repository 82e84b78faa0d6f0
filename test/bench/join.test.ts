/** The join decision on its own: what a page shows in one interval → joined, failed with a named reason, or waiting. */
import { describe, expect, it } from 'vitest';
import type { PageJoinState } from '../../src/bench/jitsi-state.js';
import type { StatsDelta } from '../../src/bench/probe.js';
import { judgeJoin, judgeLeft, judgeLoad, loadErrorText, NOT_JITSI_AFTER_MS, type JoinObservation } from '../../src/bench/step/join.js';

const media = (packets: number): StatsDelta => ({
  intervalMs: 1_000,
  audio: { packetsReceived: packets, packetsLost: 0, lossPct: 0, nackCount: 0 },
  video: { packetsReceived: 0, packetsLost: 0, lossPct: 0, nackCount: 0 },
  bitrateInKbps: 0,
  bitrateOutKbps: 0,
  framesDecoded: 0,
  packetsSent: 0,
});

const jitsi = (s: Partial<PageJoinState> = {}): PageJoinState => ({ app: 'jitsi', loaded: true, joined: false, iceConnected: false, ...s });
const early = { elapsedMs: 2_000, timeoutMs: 30_000 };
const late = { elapsedMs: 31_000, timeoutMs: 30_000 };
const noPassword = { given: false, tried: false };
const obs = (o: Partial<JoinObservation>): JoinObservation => ({ ...early, password: noPassword, ...o });

describe('judgeJoin: page states → outcome', () => {
  it.each<[string, Partial<JoinObservation>, string, string?]>([
    ['joined, transport connected, media flows', { page: jitsi({ joined: true, iceConnected: true }), delta: media(40) }, 'joined'],
    ['joined and connected, first read (no media figure yet)', { page: jitsi({ joined: true, iceConnected: true }) }, 'waiting'],
    ['media but the app has not joined (not counted)', { page: jitsi({ joined: false }), delta: media(40) }, 'waiting'],
    ['joined, transport not connected yet', { page: jitsi({ joined: true }), delta: media(0) }, 'waiting'],
    ['joined and connected, no media by the timeout', { ...late, page: jitsi({ joined: true, iceConnected: true }), delta: media(0) }, 'failed', 'no-media'],
    ['joined, transport never connected', { ...late, page: jitsi({ joined: true }), delta: media(0) }, 'failed', 'ice-failed'],
    ['conference.iceFailed', { page: jitsi({ conferenceError: 'conference.iceFailed' }) }, 'failed', 'ice-failed'],
    ['locked room, no password given', { page: jitsi({ conferenceError: 'conference.passwordRequired', passwordRequired: true }) }, 'failed', 'password-required'],
    ['locked room, password given', { page: jitsi({ conferenceError: 'conference.passwordRequired', passwordRequired: true }), password: { given: true, tried: false } }, 'enter-password'],
    ['locked room, password refused', { page: jitsi({ conferenceError: 'conference.passwordRequired', passwordRequired: true }), password: { given: true, tried: true } }, 'failed', 'password-required'],
    ['members only (lobby)', { page: jitsi({ conferenceError: 'conference.connectionError.membersOnly' }) }, 'failed', 'lobby'],
    ['members only, no moderator yet', { page: jitsi({ conferenceError: 'conference.connectionError.membersOnly', lobbyWaitingForHost: true }) }, 'failed', 'waiting-for-host'],
    ['knocking in the lobby', { page: jitsi({ knocking: true }) }, 'failed', 'lobby'],
    ['denied from the lobby', { page: jitsi({ conferenceError: 'conference.connectionError.accessDenied' }) }, 'failed', 'lobby'],
    ['guests wait for an authenticated host', { page: jitsi({ conferenceError: 'conference.authenticationRequired' }) }, 'failed', 'waiting-for-host'],
    ['login refused (token needed)', { page: jitsi({ connectionError: 'connection.passwordRequired' }) }, 'failed', 'auth-required'],
    ['not allowed', { page: jitsi({ conferenceError: 'conference.connectionError.notAllowed' }) }, 'failed', 'auth-required'],
    ['room full', { page: jitsi({ conferenceError: 'conference.max_users' }) }, 'failed', 'room-full'],
    ['kicked', { page: jitsi({ joined: true, kicked: true }) }, 'failed', 'removed'],
    ['conference ended for all', { page: jitsi({ conferenceError: 'conference.destroyed' }) }, 'failed', 'removed'],
    ['another Jitsi error', { page: jitsi({ conferenceError: 'conference.videobridgeNotAvailable' }) }, 'failed', 'conference-failed'],
    ['a connection error', { page: jitsi({ connectionError: 'connection.otherError' }) }, 'failed', 'conference-failed'],
    ['still connecting at the timeout', { ...late, page: jitsi({}) }, 'failed', 'timeout'],
    ['unsupported browser page', { page: { app: 'none', loaded: true, unsupported: true } }, 'failed', 'browser-unsupported'],
    ['no app yet, loading', { page: { app: 'none', loaded: false } }, 'waiting'],
    ['no app on a loaded page, early', { page: { app: 'none', loaded: true } }, 'waiting'],
    ['no app on a loaded page, after the grace', { elapsedMs: NOT_JITSI_AFTER_MS, page: { app: 'none', loaded: true } }, 'failed', 'not-jitsi'],
    ['no answer from the page, early', {}, 'waiting'],
    ['no answer from the page by the timeout', { ...late }, 'failed', 'timeout'],
    ['loopback conference: media', { page: { app: 'loopback', loaded: true }, delta: media(5) }, 'joined'],
    ['loopback conference: no media by the timeout', { ...late, page: { app: 'loopback', loaded: true, loopback: { state: 'joined', errors: [], peers: 0 } }, delta: media(0) }, 'failed', 'no-media'],
  ])('%s', (_what, o, kind, reason) => {
    const v = judgeJoin(obs(o));
    expect(v.kind).toBe(kind);
    if (reason) expect(v.kind === 'failed' && v.reason).toBe(reason);
    if (v.kind === 'failed') expect(v.detail.length).toBeGreaterThan(5);
  });
});

describe('judgeJoin: a loopback participant without media names the state of each of its connections', () => {
  it('upstream and the media from each sender, as the page saw them', () => {
    const page: PageJoinState = { app: 'loopback', loaded: true, loopback: { state: 'joined', errors: [], peers: 2, connections: { up: 'connected', 'bench-1': 'connecting' } } };
    const v = judgeJoin(obs({ ...late, page, delta: media(0), connections: 2 }));
    expect(v).toEqual({ kind: 'failed', reason: 'no-media', detail: 'no media after 30000ms (2 connection(s); page joined, 2 peer(s), upstream connected, media from bench-1 connecting)' });
  });
});

describe('judgeLeft: a joined participant no longer in the conference', () => {
  it.each<[string, PageJoinState | undefined, string | undefined]>([
    ['still joined', jitsi({ joined: true, iceConnected: true }), undefined],
    ['kicked', jitsi({ joined: true, kicked: true }), 'removed'],
    ['ICE failed later', jitsi({ conferenceError: 'conference.iceFailed' }), 'ice-failed'],
    ['left without an error', jitsi({}), 'conference-failed'],
    ['not a Jitsi page', { app: 'loopback', loaded: true }, undefined],
    ['no answer', undefined, undefined],
  ])('%s', (_what, page, reason) => {
    expect(judgeLeft(page)?.reason).toBe(reason);
  });
});

describe('judgeLoad: the room page did not load', () => {
  const room = 'https://meet.example.com/room-1?jwt=SECRET';
  it.each<[string, Parameters<typeof judgeLoad>[1], RegExp | undefined]>([
    ['200 on the room', { status: 200, finalUrl: room }, undefined],
    ['http upgraded to https on the same path', { status: 200, finalUrl: 'https://meet.example.com/room-1' }, undefined],
    ['basic auth', { status: 401, statusText: 'Unauthorized', authenticate: 'Basic realm="x"' }, /^HTTP 401 Unauthorized: the site asks for a login \(HTTP basic auth\)$/],
    ['not found', { status: 404, statusText: 'Not Found' }, /^HTTP 404 Not Found$/],
    ['bad gateway', { status: 502 }, /^HTTP 502$/],
    ['redirect to a login page', { status: 200, finalUrl: 'https://sso.example.com/login?next=x' }, /^redirected to https:\/\/sso\.example\.com\/login instead of the room https:\/\/meet\.example\.com\/room-1$/],
    ['redirect to another path', { status: 200, finalUrl: 'https://meet.example.com/' }, /^redirected to/],
  ])('%s', (_what, r, want) => {
    const got = judgeLoad(room, r);
    if (want) expect(got).toMatch(want);
    else expect(got).toBeUndefined();
    expect(got ?? '').not.toContain('SECRET');
  });

  it('navigation errors lose the URL (it may carry a token)', () => {
    expect(loadErrorText(new Error('net::ERR_CERT_AUTHORITY_INVALID at https://meet.example.com/room-1?jwt=SECRET'))).toBe(
      'net::ERR_CERT_AUTHORITY_INVALID: the certificate is not trusted: pass --insecure for a self-signed or internal-CA certificate',
    );
    expect(loadErrorText(new Error('net::ERR_NAME_NOT_RESOLVED at http://x.invalid/r'))).toBe('net::ERR_NAME_NOT_RESOLVED: DNS: the name does not resolve');
    expect(loadErrorText(new Error('Navigation timeout of 30000 ms exceeded'))).toBe('Navigation timeout of 30000 ms exceeded');
  });
});
