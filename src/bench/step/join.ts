/**
 * Join: open a participant's page in its browser and load the room; each sample interval decides
 * from what the page shows whether it has joined, failed (with a named reason), or is still on its
 * way. The decisions are pure (`judgeJoin`, `judgeLoad`, `judgeLeft`) and tested as tables.
 * A Jitsi Meet participant has joined when the app reports the conference joined and its media
 * transport connected, and then media flows; the loopback conference (this project's page) when
 * media flows.
 */
import type { HTTPResponse } from 'puppeteer-core';
import type { LaunchedBrowser } from '../browsers.js';
import { jitsiRoomUrl } from '../jitsi.js';
import { CONFERENCE_ERRORS, CONNECTION_PASSWORD_REQUIRED, JOIN_STATE_SCRIPT, type PageJoinState } from '../jitsi-state.js';
import type { LoopbackConference } from '../loopback/server.js';
import { mediaFlowing, PROBE_SCRIPT, type StatsDelta } from '../probe.js';
import type { JoinFailureReason } from '../samples.js';
import type { ParticipantPlan, Scenario } from '../scenario.js';
import type { Participant, StepLedger } from './account.js';
import { leave } from './ramp-down.js';
import type { StepResources } from './resources.js';
import { firstLine } from './timing.js';

/** Secrets of a protected site: never in the scenario, samples, logs or argv. */
export interface SiteCredentials {
  /** a JWT for token-authenticated sites (sent as the room URL's `jwt` query parameter, as Jitsi Meet reads it) */
  jwt?: string;
  roomPassword?: string;
}

/** The local runner's credentials: also one token per participant, by index (minted from a jwt deployment's secrets file); wins over jwt. */
export type ParticipantCredentials = SiteCredentials & { jwtFor?: string[] };

/** The page a participant opens: the loopback conference's, or the Jitsi room with bot overrides. */
export function roomUrl(s: Scenario, p: ParticipantPlan, conference: LoopbackConference | undefined, credentials: ParticipantCredentials = {}): string {
  if (conference) {
    const q = new URLSearchParams({
      room: p.room,
      name: p.name,
      video: p.role === 'sender' ? '1' : '0',
      audio: p.sendsAudio ? '1' : '0',
      lite: p.lite ? '1' : '0',
      // senders send three layers as Jitsi does by default; each receiver asks for the one its page size gets
      simulcast: '1',
      w: String(s.video.width),
      h: String(s.video.height),
      fps: String(s.video.fps),
      allow: conference.host,
    });
    return `${conference.url}?${q}`;
  }
  return jitsiRoomUrl(s.url!, p, s.video, { displayName: `${s.displayName}-${p.index + 1}`, jwt: credentials.jwtFor?.[p.index] ?? credentials.jwt });
}

/** A Jitsi page without its app this long after loading is not a Jitsi Meet site. */
export const NOT_JITSI_AFTER_MS = 10_000;

/** What one interval tells about a participant still joining. */
export interface JoinObservation {
  elapsedMs: number;
  timeoutMs: number;
  /** the page's join state; absent when the page did not answer */
  page?: PageJoinState;
  /** this interval's media; absent on the first read */
  delta?: StatsDelta;
  connections?: number;
  password: { given: boolean; tried: boolean };
}

export type JoinVerdict =
  | { kind: 'waiting' }
  | { kind: 'enter-password' }
  | { kind: 'joined'; detail: string }
  | { kind: 'failed'; reason: JoinFailureReason; detail: string };

const failed = (reason: JoinFailureReason, detail: string): JoinVerdict => ({ kind: 'failed', reason, detail });
const seconds = (ms: number) => `${ms}ms`;

/** A Jitsi Meet page that has not joined: the failure its errors name, if any. */
function jitsiFailure(page: PageJoinState, password: JoinObservation['password']): JoinVerdict | undefined {
  const e = page.conferenceError;
  if (page.connectionError === CONNECTION_PASSWORD_REQUIRED) {
    return failed('auth-required', `the site refused the login: it needs a valid token (--jwt) (${page.connectionError})`);
  }
  if (e === CONFERENCE_ERRORS.passwordRequired || (page.passwordRequired && !e)) {
    if (password.given && !password.tried) return { kind: 'enter-password' };
    return failed('password-required', password.tried ? `the room password was refused (${CONFERENCE_ERRORS.passwordRequired})` : `the room is locked: give its password with --room-password (${CONFERENCE_ERRORS.passwordRequired})`);
  }
  switch (e) {
    case undefined:
      break;
    case CONFERENCE_ERRORS.authenticationRequired:
      return failed('waiting-for-host', `the room has not started: an authenticated host must open it first, or give a moderator token with --jwt (${e})`);
    case CONFERENCE_ERRORS.membersOnly:
      return page.lobbyWaitingForHost
        ? failed('waiting-for-host', `members-only room without a moderator yet (${e})`)
        : failed('lobby', `the room has a lobby: a moderator must let participants in (${e})`);
    case CONFERENCE_ERRORS.accessDenied:
      return failed('lobby', `a moderator denied access from the lobby (${e})`);
    case CONFERENCE_ERRORS.displayNameRequired:
      return failed('lobby', `the lobby needs a display name (${e})`);
    case CONFERENCE_ERRORS.notAllowed:
      return failed('auth-required', `the site does not allow this participant in (${e})`);
    case CONFERENCE_ERRORS.maxUsers:
      return failed('room-full', `the room has its maximum number of participants (${e})`);
    case CONFERENCE_ERRORS.iceFailed:
      return failed('ice-failed', `the media connection to the bridge failed (${e})`);
    case CONFERENCE_ERRORS.destroyed:
      return failed('removed', `the conference was ended for everyone (${e})`);
    default:
      return failed('conference-failed', e);
  }
  if (page.knocking) return failed('lobby', 'waiting in the lobby for a moderator to let it in');
  if (page.connectionError) return failed('conference-failed', page.connectionError);
  return undefined;
}

/** Joined, failed (with its reason) or still on its way. */
export function judgeJoin(o: JoinObservation): JoinVerdict {
  const late = o.elapsedMs > o.timeoutMs;
  const media = o.delta !== undefined && mediaFlowing(o.delta);
  const page = o.page;
  if (!page) return late ? failed('timeout', `no answer from the page after ${seconds(o.timeoutMs)}`) : { kind: 'waiting' };
  if (page.app === 'loopback') {
    if (media) return { kind: 'joined', detail: `media after ${o.elapsedMs}ms` };
    if (!late) return { kind: 'waiting' };
    const own = page.loopback;
    const links = Object.entries(own?.connections ?? {}).map(([k, state]) => `, ${k === 'up' ? 'upstream' : `media from ${k}`} ${state}`);
    const why = own ? `; page ${own.state}, ${own.peers} peer(s)${links.join('')}${own.errors.length ? `, ${own.errors.join('; ')}` : ''}` : '';
    return failed('no-media', `no media after ${seconds(o.timeoutMs)} (${o.connections ?? 0} connection(s)${why})`);
  }
  if (page.unsupported) return failed('browser-unsupported', 'the site says this browser is not supported');
  if (page.app === 'none') {
    if (late || (page.loaded && o.elapsedMs >= Math.min(NOT_JITSI_AFTER_MS, o.timeoutMs))) {
      return failed('not-jitsi', `the page has no Jitsi Meet app (no APP.store) ${seconds(o.elapsedMs)} after opening`);
    }
    return { kind: 'waiting' };
  }
  if (page.kicked) return failed('removed', 'a moderator removed it from the room (conference.kicked)');
  if (page.joined) {
    if (page.iceConnected && media) return { kind: 'joined', detail: `conference joined, media transport connected, first media after ${o.elapsedMs}ms` };
    if (!late) return { kind: 'waiting' };
    return page.iceConnected
      ? failed('no-media', `conference joined and media transport connected, but no media after ${seconds(o.timeoutMs)}`)
      : failed('ice-failed', `conference joined, but its media transport did not connect in ${seconds(o.timeoutMs)}`);
  }
  const failure = jitsiFailure(page, o.password);
  if (failure) return failure;
  return late ? failed('timeout', `still connecting to the conference after ${seconds(o.timeoutMs)}`) : { kind: 'waiting' };
}

/** A joined Jitsi participant whose page says it is no longer in the conference: why. */
export function judgeLeft(page: PageJoinState | undefined): { reason: JoinFailureReason; detail: string } | undefined {
  if (!page || page.app !== 'jitsi') return undefined;
  if (page.kicked) return { reason: 'removed', detail: 'a moderator removed it from the room (conference.kicked)' };
  if (page.joined) return undefined;
  const f = jitsiFailure(page, { given: false, tried: true });
  if (f?.kind === 'failed') return { reason: f.reason, detail: f.detail };
  return { reason: 'conference-failed', detail: 'the app left the conference' };
}

/** What page.goto brought back, reduced to what decides a load. */
export interface LoadResult {
  status?: number;
  statusText?: string;
  finalUrl?: string;
  /** the WWW-Authenticate header of a 401 */
  authenticate?: string;
}

/** The page did not load: an HTTP error or a redirect away from the room. Only origin and path are named (the query may hold a token). */
export function judgeLoad(requested: string, r: LoadResult): string | undefined {
  if (r.status !== undefined && r.status >= 400) {
    const basic = r.status === 401 && /^\s*basic/i.test(r.authenticate ?? '') ? ': the site asks for a login (HTTP basic auth)' : r.status === 401 ? ': the site asks for a login' : '';
    return `HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}${basic}`;
  }
  if (!r.finalUrl) return undefined;
  const want = new URL(requested);
  const got = new URL(r.finalUrl);
  const upgraded = want.protocol === 'http:' && got.protocol === 'https:';
  const sameOrigin = got.host === want.host && (got.protocol === want.protocol || upgraded);
  if (sameOrigin && decodeURIComponent(got.pathname) === decodeURIComponent(want.pathname)) return undefined;
  return `redirected to ${got.origin}${got.pathname} instead of the room ${want.origin}${want.pathname}`;
}

/** What Chrome's navigation errors mean for a load test, by the error's name. */
const NET_ERRORS: [RegExp, string][] = [
  [/ERR_INVALID_AUTH_CREDENTIALS/, 'the site asks for a login (HTTP authentication)'],
  [/ERR_CERT_|ERR_SSL_/, 'the certificate is not trusted: pass --insecure for a self-signed or internal-CA certificate'],
  [/ERR_NAME_NOT_RESOLVED/, 'DNS: the name does not resolve'],
  [/ERR_CONNECTION_REFUSED/, 'nothing listens at that address and port'],
  [/ERR_TOO_MANY_REDIRECTS/, 'the site redirects in a loop'],
];

/** A navigation error's text with its meaning, without the URL puppeteer appends (the URL may carry a token). */
export function loadErrorText(e: unknown): string {
  const text = firstLine(e).replace(/ at (https?|wss?):\/\/\S+$/, '');
  const meaning = NET_ERRORS.find(([re]) => re.test(text))?.[1];
  return meaning ? `${text}: ${meaning}` : text;
}

function loadResult(response: HTTPResponse | null): LoadResult {
  if (!response) return {};
  return { status: response.status(), statusText: response.statusText(), finalUrl: response.url(), authenticate: response.headers()['www-authenticate'] };
}

/** Opens the page and loads the room; a page that does not load is a failed join with its reason (the machine running out, when it did). */
export async function openParticipant(
  ledger: StepLedger,
  p: ParticipantPlan,
  browser: LaunchedBrowser | undefined,
  where: { s: Scenario; conference?: LoopbackConference; credentials?: ParticipantCredentials; onBrowserError?: (why: string) => void; resources: StepResources },
): Promise<void> {
  const a = ledger.opened(p);
  try {
    if (!browser) throw new Error('its browser did not start');
    const page = await browser.browser.newPage().catch((e: unknown) => {
      // the browser itself is gone or stuck (out of memory, `Target closed`), not just this page
      where.onBrowserError?.(`browser ${p.browser + 1} cannot open a page (${firstLine(e as Error)})`);
      throw e;
    });
    a.page = page;
    page.once('error', (err) => crashed(ledger, a, err, where.resources));
    await page.evaluateOnNewDocument(`${PROBE_SCRIPT}\n${JOIN_STATE_SCRIPT}`);
    const url = roomUrl(where.s, p, where.conference, where.credentials);
    const notLoaded = judgeLoad(url, loadResult(await page.goto(url, { waitUntil: 'domcontentloaded', timeout: where.s.joinTimeoutMs })));
    if (notLoaded) throw new LoadFailure(notLoaded);
    if (a.state === 'opening') a.state = 'joining';
  } catch (e) {
    // left: Ctrl-C or ramp-down; failed: its browser died meanwhile
    if (a.state === 'left' || a.state === 'failed') return;
    const ranOut = browser && !(e instanceof LoadFailure) ? where.resources.blame(e instanceof Error ? e.message : String(e), `the page of ${p.name} did not open`) : undefined;
    const detail = e instanceof LoadFailure ? e.message : loadErrorText(e);
    ledger.settle(a, { joined: false, reason: 'page-not-loaded', detail: ranOut ? `out of ${ranOut}: ${detail}` : detail });
    await leave(a);
  }
}

class LoadFailure extends Error {}

/** The page's renderer crashed: say so (and whether the machine ran out) instead of letting its samples just stop. */
function crashed(ledger: StepLedger, a: Participant, err: Error, resources: StepResources): void {
  if (a.state !== 'joined' && a.state !== 'joining') return;
  const ranOut = resources.blame(err.message, `the page of ${a.plan.name} crashed`);
  const detail = `page crashed${ranOut ? ` (out of ${ranOut})` : ''}: ${firstLine(err)}`;
  if (a.state === 'joining') ledger.settle(a, { joined: false, reason: 'page-crashed', detail });
  else {
    a.state = 'left';
    ledger.event({ event: 'left', participant: a.plan.name, reason: 'page-crashed', detail });
  }
  a.page = undefined;
}
