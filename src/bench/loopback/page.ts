/**
 * The page of the local loopback conference. Query: room, name, video (1 = sends video),
 * audio (1 = sends audio), lite (1 = drop received video before decoding), w, h, fps, allow
 * (comma list of the addresses a candidate may have; the conference stays on them).
 * Jitsi-style URLs (/<room>#<overrides>) work as well.
 * Mesh: every participant that sends offers its tracks to every other participant in the room.
 * `window.__jk8sPage` exposes state and errors to the runner.
 */
export const LOOPBACK_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>jitsi-k8s loopback conference</title></head>
<body>
<script type="module">
const q = new URLSearchParams(location.search);
// a Jitsi-style URL (/<room>#userInfo.displayName="bench-1"&config.…) is understood too, so the
// Jitsi target's URLs and join detection run against this page on 127.0.0.1
const jitsi = new URLSearchParams(location.hash.slice(1));
const override = (k, d) => (jitsi.has(k) ? JSON.parse(jitsi.get(k)) : d);
const isJitsi = jitsi.has('userInfo.displayName');
const me = isJitsi ? override('userInfo.displayName') : q.get('name');
const room = isJitsi ? decodeURIComponent(location.pathname.split('/').pop()) : q.get('room');
const sendVideo = isJitsi ? !override('config.startWithVideoMuted', false) : q.get('video') === '1';
const sendAudio = isJitsi ? !override('config.startWithAudioMuted', false) : q.get('audio') === '1';
const lite = isJitsi ? override('config.flags.runInLiteMode', false) : q.get('lite') === '1';
const allow = (q.get('allow') || location.hostname).split(',');
const state = { name: me, room, state: 'starting', errors: [], peers: 0, liteDropped: 0 };
window.__jk8sPage = state;
const fail = (what, e) => { state.errors.push(what + ': ' + (e && e.message ? e.message : String(e))); };

let stream = null;
if (sendVideo || sendAudio) {
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: sendAudio,
      video: sendVideo ? { width: { ideal: Number(q.get('w') || 640) }, height: { ideal: Number(q.get('h') || 360) }, frameRate: { ideal: Number(q.get('fps') || 15) } } : false,
    });
  } catch (e) { fail('getUserMedia', e); state.state = 'failed'; throw e; }
}

const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
const send = (m) => ws.readyState === 1 && ws.send(JSON.stringify(m));
// one connection per direction and peer: "<peer>|out" (I send) and "<peer>|in" (I receive)
const pcs = new Map();

function allowed(c) {
  if (!c || !c.candidate) return false;
  const f = c.candidate.split(' ');
  return (f[2] || '').toLowerCase() === 'udp' && allow.includes(f[4] || '');
}

function connection(peer, dir) {
  const key = peer + '|' + dir;
  let pc = pcs.get(key);
  if (pc) return pc;
  pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', encodedInsertableStreams: lite && dir === 'in' });
  pcs.set(key, pc);
  pc.onicecandidate = (e) => { if (e.candidate && allowed(e.candidate)) send({ type: 'signal', to: peer, data: { dir, candidate: e.candidate.toJSON() } }); };
  pc.ontrack = (e) => {
    if (lite) {
      // Jitsi's lite mode: received video frames are dropped before the decoder, audio passes
      const { readable, writable } = e.receiver.createEncodedStreams();
      const video = e.track.kind === 'video';
      readable.pipeThrough(new TransformStream({ transform(frame, ctl) { if (video) state.liteDropped++; else ctl.enqueue(frame); } })).pipeTo(writable).catch((err) => fail('encoded stream', err));
    }
  };
  return pc;
}

async function offerTo(peer) {
  if (!stream) return;
  const pc = connection(peer, 'out');
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  await pc.setLocalDescription(await pc.createOffer());
  send({ type: 'signal', to: peer, data: { dir: 'out', sdp: pc.localDescription.toJSON() } });
}

async function onSignal(from, data) {
  // the sender's "out" is my "in" and the other way round
  const pc = connection(from, data.dir === 'out' ? 'in' : 'out');
  if (data.sdp) {
    await pc.setRemoteDescription(data.sdp);
    if (data.sdp.type === 'offer') {
      await pc.setLocalDescription(await pc.createAnswer());
      send({ type: 'signal', to: from, data: { dir: 'in', sdp: pc.localDescription.toJSON() } });
    }
  } else if (data.candidate) {
    await pc.addIceCandidate(data.candidate);
  }
}

function drop(peer) {
  for (const dir of ['in', 'out']) {
    const pc = pcs.get(peer + '|' + dir);
    if (pc) { pc.close(); pcs.delete(peer + '|' + dir); }
  }
}

ws.onopen = () => send({ type: 'join', room, name: me });
ws.onclose = () => { state.state = state.state === 'left' ? 'left' : 'disconnected'; };
ws.onmessage = (ev) => {
  const m = JSON.parse(ev.data);
  if (m.type === 'joined') {
    state.state = 'joined';
    state.peers = m.peers.length;
    for (const p of m.peers) offerTo(p).catch((e) => fail('offer', e));
  } else if (m.type === 'peer-joined') {
    state.peers++;
    offerTo(m.name).catch((e) => fail('offer', e));
  } else if (m.type === 'peer-left') {
    state.peers--;
    drop(m.name);
  } else if (m.type === 'signal') {
    onSignal(m.from, m.data).catch((e) => fail('signal', e));
  } else if (m.type === 'error') {
    fail('server', m.message);
  }
};
window.__jk8sLeave = () => { state.state = 'left'; for (const pc of pcs.values()) pc.close(); pcs.clear(); ws.close(); };
</script>
</body></html>
`;
