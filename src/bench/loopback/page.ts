/**
 * The page of the local loopback conference. Query: room, name, video (1 = sends video),
 * audio (1 = sends audio), lite (1 = drop received video before decoding), w, h, fps, allow
 * (comma list of the addresses a candidate may have; the conference stays on them),
 * simulcast (1 = send three layers q/h/f), layer (q, h or f: the layer to receive; default: the
 * one a Jitsi client of this page size asks for).
 * Jitsi-style URLs (/<room>#<overrides>) work as well.
 * Like a Jitsi client: one upstream connection to the forwarding unit when sending, and the unit
 * offers one downstream connection per sender in the room.
 * `window.__jk8sPage` exposes state, errors and each connection's state ("up" or the sender's
 * name) to the runner; `window.__jk8sLayer(rid)` changes the layer received.
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
const state = { name: me, room, state: 'starting', errors: [], peers: 0, connections: {} };
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

const simulcast = q.get('simulcast') === '1';
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
const send = (m) => ws.readyState === 1 && ws.send(JSON.stringify(m));
// "up": my single upstream; otherwise the downstream carrying that sender's media
const pcs = new Map();

function allowed(c) {
  if (!c || !c.candidate) return false;
  const f = c.candidate.split(' ');
  return (f[2] || '').toLowerCase() === 'udp' && allow.includes(f[4] || '');
}

// Jitsi's lite mode: received video frames are dropped before the decoder (packets, RTCP and the
// bridge's work unchanged). A script transform on video receivers only, whose worker cancels the
// frames' stream: Chrome then drops them itself, with no JavaScript per frame and audio untouched
// (measured: a third of a lite page's CPU went to moving every audio and video frame through JS)
const scriptTransform = lite && typeof RTCRtpScriptTransform === 'function';
let dropVideo;

function connection(key) {
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', encodedInsertableStreams: lite && !scriptTransform && key !== 'up' });
  pcs.set(key, pc);
  // each connection's state, so a participant without media says which link is stuck
  state.connections[key] = pc.connectionState;
  pc.onconnectionstatechange = () => { if (pcs.get(key) === pc) state.connections[key] = pc.connectionState; };
  pc.onicecandidate = (e) => { if (e.candidate && allowed(e.candidate)) send({ type: 'candidate', pc: key, candidate: e.candidate.toJSON() }); };
  pc.ontrack = (e) => {
    const video = e.track.kind === 'video';
    if (scriptTransform) {
      dropVideo ??= new Worker(URL.createObjectURL(new Blob(['onrtctransform = (e) => e.transformer.readable.cancel();'], { type: 'text/javascript' })));
      if (video) e.receiver.transform = new RTCRtpScriptTransform(dropVideo, {});
    } else if (lite) {
      // a Chrome without script transforms: every received frame passes through here, audio goes on
      const { readable, writable } = e.receiver.createEncodedStreams();
      readable.pipeThrough(new TransformStream({ transform(frame, ctl) { if (!video) ctl.enqueue(frame); } })).pipeTo(writable).catch((err) => fail('encoded stream', err));
    }
  };
  return pc;
}

// Jitsi Meet's default VP8 caps per layer height (videoQuality.maxBitratesVideo: 200k / 500k / 1.5M)
const capFor = (height) => (height <= 180 ? 200000 : height <= 360 ? 500000 : 1500000);

async function publish() {
  const pc = connection('up');
  for (const track of stream.getTracks()) {
    let encodings;
    if (track.kind === 'video') {
      const h = track.getSettings().height || Number(q.get('h') || 360);
      encodings = simulcast
        ? [4, 2, 1].map((by, i) => ({ rid: 'qhf'[i], scaleResolutionDownBy: by, maxBitrate: capFor(h / by) }))
        : [{ maxBitrate: capFor(h) }];
    }
    pc.addTransceiver(track, { direction: 'sendonly', streams: [stream], sendEncodings: encodings });
  }
  await pc.setLocalDescription(await pc.createOffer());
  send({ type: 'publish', sdp: pc.localDescription.sdp });
}

async function onOffer(from, sdp) {
  pcs.get(from)?.close();
  const pc = connection(from);
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  send({ type: 'answer', from, sdp: pc.localDescription.sdp });
}

function drop(peer) {
  const pc = pcs.get(peer);
  if (pc) { pc.close(); pcs.delete(peer); delete state.connections[peer]; }
}

// Jitsi Meet's receive quality levels (jitsi-meet video-quality constants, 2026): a stage of ≥ 720 px
// asks for 720p, ≥ 360 px for 360p, smaller for 180p — the top, middle and bottom simulcast layer
const layerForViewport = (height) => (height >= 720 ? 'f' : height >= 360 ? 'h' : 'q');

window.__jk8sLayer = (rid) => send({ type: 'layer', rid });
ws.onopen = () => send({ type: 'join', room, name: me });
ws.onclose = () => { state.state = state.state === 'left' ? 'left' : 'disconnected'; };
ws.onmessage = (ev) => {
  const m = JSON.parse(ev.data);
  if (m.type === 'joined') {
    state.state = 'joined';
    state.peers = m.peers.length;
    send({ type: 'layer', rid: q.get('layer') || layerForViewport(innerHeight) });
    if (stream) publish().catch((e) => fail('publish', e));
  } else if (m.type === 'published') {
    pcs.get('up')?.setRemoteDescription({ type: 'answer', sdp: m.sdp }).catch((e) => fail('published', e));
  } else if (m.type === 'offer') {
    onOffer(m.from, m.sdp).catch((e) => fail('offer', e));
  } else if (m.type === 'peer-joined') {
    state.peers++;
  } else if (m.type === 'peer-left') {
    state.peers--;
    drop(m.name);
  } else if (m.type === 'error') {
    fail('server', m.message);
  }
};
window.__jk8sLeave = () => { state.state = 'left'; for (const pc of pcs.values()) pc.close(); pcs.clear(); ws.close(); };
</script>
</body></html>
`;
