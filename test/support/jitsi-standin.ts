/**
 * A STAND-IN for a Jitsi Meet site — Jitsi's own web app, prosody, jicofo and bridge cannot run
 * here. It proves only that the bench reads the state surface it was written against: it mimics
 * nothing but what src/bench/jitsi-state.ts reads (`APP.store.getState()` slices
 * `features/base/conference`, `features/base/connection`, `features/lobby`, the conference's
 * `conference.kicked` event and `join(password)`, the unsupported-browser page's CSS class), with
 * the names of jitsi-meet / lib-jitsi-meet master (2026-11). "Media" is a canvas sent between two
 * RTCPeerConnections inside the page (a sender's camera; for a receiver a canvas whose height
 * follows the page height, as Jitsi asks the bridge for the layer that fits the tile). Served on
 * 127.0.0.1 only, over http or https (a test may name it by a host the browser maps to 127.0.0.1).
 *
 * The room's number picks the outcome: /<prefix>-<n>, n = 1 + the index in STANDIN_OUTCOMES.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export const STANDIN_OUTCOMES = [
  'joins',
  'no-media',
  'ice-failed',
  'password-accepted',
  'password-refused',
  'lobby',
  'waiting-for-host',
  'token-accepted',
  'token-refused',
  'room-full',
  'kicked-while-joining',
  'unsupported',
  'not-jitsi',
  'basic-auth',
  'redirect',
  'kicked-later',
] as const;
export type StandinOutcome = (typeof STANDIN_OUTCOMES)[number];

export const STANDIN_PASSWORD = 'open-sesame';
export const STANDIN_TOKEN = 'eyJ.standin-token.sig';

const page = (outcome: StandinOutcome) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Jitsi Meet stand-in</title></head><body>
<script>
const outcome = ${JSON.stringify(outcome)};
const conference = { handlers: {}, on(ev, fn) { (this.handlers[ev] ||= []).push(fn); }, emit(ev) { for (const fn of this.handlers[ev] || []) fn(); } };
const slices = { 'features/base/conference': {}, 'features/base/connection': {}, 'features/lobby': { knocking: false } };
const set = (slice, values) => { slices[slice] = { ...slices[slice], ...values }; };
const fail = (name, extra = {}) => set('features/base/conference', { conference: undefined, joining: undefined, error: { name }, ...extra });
const after = (ms, fn) => setTimeout(fn, ms);

// a sender (its URL does not start it video-muted) sends its camera, as Jitsi does; a receiver a canvas
const sender = !location.hash.includes('config.startWithVideoMuted=true');
async function source() {
  if (sender) return (await navigator.mediaDevices.getUserMedia({ video: true })).getVideoTracks()[0];
  const h = innerHeight >= 720 ? 720 : innerHeight >= 360 ? 360 : 180;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round((h * 16) / 9); canvas.height = h;
  const g = canvas.getContext('2d');
  let f = 0;
  setInterval(() => { g.fillStyle = 'hsl(' + (f++ * 7) % 360 + ',60%,50%)'; g.fillRect(0, 0, canvas.width, canvas.height); }, 66);
  const track = canvas.captureStream(15).getVideoTracks()[0];
  track.contentHint = 'detail'; // keep the resolution when the machine is busy: the height is what the test reads
  return track;
}
async function media() {
  let track;
  try { track = await source(); } catch (e) { window.__standinError = String(e); return; }
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  b.ontrack = (e) => { const v = document.createElement('video'); v.muted = true; v.srcObject = e.streams[0]; v.play().catch(() => {}); document.body.append(v); };
  a.addTrack(track, new MediaStream([track]));
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  return b;
}
// kicked well after media flows, so the bench has seen the participant joined
const kickOnceMediaFlows = async (pc) => {
  const received = async () => { let n = 0; (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') n += s.packetsReceived; }); return n; };
  while ((await received()) === 0) await new Promise((r) => setTimeout(r, 500));
  after(12000, () => conference.emit('conference.kicked'));
};
const join = () => { set('features/base/conference', { conference, joining: undefined, error: undefined, passwordRequired: undefined }); after(300, async () => { set('features/base/conference', { iceConnected: true }); const pc = await media(); if (outcome === 'kicked-later') kickOnceMediaFlows(pc); }); };
conference.join = (password) => (password === ${JSON.stringify(STANDIN_PASSWORD)} ? join() : after(200, () => fail('conference.passwordRequired', { passwordRequired: conference })));

window.APP = { store: { getState: () => slices } };
set('features/base/conference', { joining: conference });
const token = new URLSearchParams(location.search).get('jwt');
after(400, () => {
  switch (outcome) {
    case 'joins': case 'kicked-later': join(); break;
    case 'no-media': set('features/base/conference', { conference, joining: undefined, iceConnected: true }); break;
    case 'ice-failed': fail('conference.iceFailed'); break;
    case 'password-accepted': case 'password-refused': fail('conference.passwordRequired', { passwordRequired: outcome === 'password-accepted' ? conference : { join: (p) => conference.join(p + '!') } }); break;
    case 'lobby': fail('conference.connectionError.membersOnly', { membersOnly: conference, lobbyWaitingForHost: false }); set('features/lobby', { knocking: true }); break;
    case 'waiting-for-host': fail('conference.authenticationRequired', { authRequired: conference }); break;
    case 'token-accepted': if (token === ${JSON.stringify(STANDIN_TOKEN)}) join(); else set('features/base/connection', { error: { name: 'connection.passwordRequired' } }); break;
    case 'token-refused': set('features/base/conference', { joining: undefined }); set('features/base/connection', { error: { name: 'connection.passwordRequired' } }); break;
    case 'room-full': fail('conference.max_users'); break;
    case 'kicked-while-joining': set('features/base/conference', { conference, joining: undefined }); after(1500, () => conference.emit('conference.kicked')); break;
  }
});
</script></body></html>`;

const unsupportedPage = '<!doctype html><html><body><div class="unsupported-desktop-browser">This browser is not supported</div></body></html>';
const plainPage = '<!doctype html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>';

/** The outcome a room path asks for: /<prefix>-<n> → STANDIN_OUTCOMES[n - 1]. */
export function outcomeOf(pathname: string): StandinOutcome | undefined {
  const m = /-(\d+)$/.exec(decodeURIComponent(pathname));
  return m ? STANDIN_OUTCOMES[Number(m[1]) - 1] : undefined;
}

export interface Standin {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Serves the stand-in on 127.0.0.1 (an ephemeral port), over https with the given certificate. */
export async function startJitsiStandin(tls?: { key: string; cert: string }, host = '127.0.0.1'): Promise<Standin> {
  const requests: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname + url.search);
    const outcome = outcomeOf(url.pathname);
    const html = (body: string, status = 200) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body);
    };
    if (outcome === 'basic-auth') {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="meet"', 'content-type': 'text/plain' });
      res.end('login required');
    } else if (outcome === 'redirect') {
      res.writeHead(302, { location: '/sso/login' });
      res.end();
    } else if (url.pathname === '/sso/login') html(plainPage);
    else if (outcome === 'unsupported') html(unsupportedPage);
    else if (outcome === 'not-jitsi' || !outcome) html(plainPage, outcome ? 200 : 404);
    else html(page(outcome));
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
