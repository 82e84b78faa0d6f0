// STAND-IN for a Jitsi Videobridge's private HTTP port (Jitsi cannot run here). Started inside the
// test control plane's pod network namespace, where every pod IP is local: it answers for each
// pod on port 8080 with /colibri/stats whose `stress_level` encodes the last octet of the pod IP
// it was reached on, so a test can tell that the API server's pods/proxy dialled the right pod.
// colibri2 (in the shape of jitsi-videobridge doc/rest-colibri2.md): POST creates a conference whose
// endpoint advertises the pod IP as its host candidate, PATCH {expire:true} ends it; GET
// /standin/calls (the stand-in's own, no JVB has it) lists the colibri2 requests that reached a pod IP.
// An optional JSON file (argv[3], re-read per request) sets figures per pod IP:
// { "<ip>": { "stats": { "participants": n, "octo_endpoints": n, … }, "colibri2": false, "candidates": [colibri2 candidates],
//   "shutdownRest": false } }
// (colibri2 false: REST API off, 404; candidates: what the endpoint advertises instead of the pod IP; shutdownRest false:
// SHUTDOWN_REST_ENABLED off, POST /colibri/shutdown 404).
// LOOK-ALIKE of JVB's drain and graceful-shutdown endpoints (jitsi-videobridge rest/root/colibri/drain/Drain.java,
// rest/root/colibri/shutdown/Shutdown.java, shutdown/ShutdownManager.kt): POST /colibri/drain/enable|disable → 200 and
// GET /colibri/drain → {"drain": bool}; POST /colibri/shutdown {"graceful-shutdown": true} → GRACEFUL_SHUTDOWN, which
// becomes SHUTTING_DOWN once participants − octo_endpoints ≤ 0 (the stand-in never exits); /colibri/stats carries
// `drain`, `graceful_shutdown`, `shutting_down` as JVB does. The state is kept per pod IP (SIGUSR2 forgets it all).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8080);
const loadFile = process.argv[3];
const live = new Map(); // pod IP → Set of meeting ids
const calls = new Map(); // pod IP → [{ method, url, body }]
const states = new Map(); // pod IP → { drain, shutdown: 'RUNNING' | 'GRACEFUL_SHUTDOWN' | 'SHUTTING_DOWN' }
const ICE = { ufrag: 'standinufrag', pwd: 'standinpwd0123456789abcd' };

function send(res, status, body) {
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function colibri2(podIP, method, url, body, chosen) {
  const conferences = live.get(podIP) ?? new Set();
  live.set(podIP, conferences);
  if (method === 'POST' && url === '/colibri/v2/conferences') {
    if (typeof body?.['meeting-id'] !== 'string' || body.create !== true) return [400, 'Failed to create conference'];
    conferences.add(body['meeting-id']);
    const endpoints = (body.endpoints ?? []).filter((e) => e.create === true);
    const candidates = chosen.candidates ?? [{ generation: '0', component: '1', protocol: 'udp', port: '10000', ip: podIP, foundation: '1', id: 'c1', priority: '2130706431', type: 'host', network: '0' }];
    return [200, { endpoints: endpoints.map((e) => ({ id: e.id, transport: { transport: { ...ICE, candidates, 'rtcp-mux': true } } })), sources: [] }];
  }
  const id = /^\/colibri\/v2\/conferences\/([^/]+)$/.exec(url)?.[1];
  if (method === 'PATCH' && id && conferences.has(decodeURIComponent(id))) {
    if (body?.expire === true) conferences.delete(decodeURIComponent(id));
    return [200, {}];
  }
  return [404, 'Not Found'];
}

function stateOf(podIP, stats) {
  const state = states.get(podIP) ?? { drain: false, shutdown: 'RUNNING' };
  states.set(podIP, state);
  // ShutdownManager.maybeShutdown: graceful shutdown ends once the bridge's own endpoints are gone
  if (state.shutdown === 'GRACEFUL_SHUTDOWN' && (stats.participants ?? 0) - (stats.octo_endpoints ?? 0) <= 0) state.shutdown = 'SHUTTING_DOWN';
  return state;
}

const server = createServer((req, res) => {
  const podIP = req.socket.localAddress ?? '';
  const chosen = loadFile ? (JSON.parse(readFileSync(loadFile, 'utf8'))[podIP] ?? {}) : {};
  let text = '';
  req.on('data', (c) => (text += c));
  req.on('end', () => {
    const octet = Number(podIP.split('.').pop());
    const stats = { stress_level: octet / 1000, conferences: 1, participants: 3, endpoints: 3, octo_endpoints: 0, incoming_loss: 0.01, outgoing_loss: 0, bit_rate_download: 900, bit_rate_upload: 1800, pod_ip: podIP, ...chosen.stats };
    const state = stateOf(podIP, stats);
    const record = () => calls.set(podIP, [...(calls.get(podIP) ?? []), { method: req.method, url: req.url, body: text ? JSON.parse(text) : undefined }]);
    if (req.url === '/colibri/stats') {
      send(res, 200, { ...stats, drain: state.drain, graceful_shutdown: state.graceful === true, shutting_down: state.shutdown === 'SHUTTING_DOWN' });
    } else if (req.method === 'POST' && (req.url === '/colibri/drain/enable' || req.url === '/colibri/drain/disable')) {
      record();
      state.drain = req.url.endsWith('/enable');
      send(res, 200, '');
    } else if (req.method === 'GET' && req.url === '/colibri/drain') {
      send(res, 200, { drain: state.drain });
    } else if (req.method === 'POST' && req.url === '/colibri/shutdown') {
      record();
      if (chosen.shutdownRest === false) return send(res, 404, 'Not Found');
      const graceful = text ? JSON.parse(text)['graceful-shutdown'] : undefined;
      if (graceful === undefined) return send(res, 400, 'graceful-shutdown is required');
      if (state.shutdown === 'RUNNING') {
        // VideobridgeMetrics.gracefulShutdown is set on entering GRACEFUL_SHUTDOWN and never cleared
        state.graceful = graceful === true || graceful === 'true';
        state.shutdown = state.graceful ? 'GRACEFUL_SHUTDOWN' : 'SHUTTING_DOWN';
      }
      stateOf(podIP, stats);
      send(res, 200, '');
    } else if (req.url === '/about/health') {
      send(res, 200, '');
    } else if (req.url === '/standin/calls') {
      send(res, 200, { calls: calls.get(podIP) ?? [], live: [...(live.get(podIP) ?? [])] });
    } else if (req.url?.startsWith('/colibri/v2/')) {
      const body = text ? JSON.parse(text) : undefined;
      calls.set(podIP, [...(calls.get(podIP) ?? []), { method: req.method, url: req.url, body }]);
      send(res, ...(chosen.colibri2 === false ? [404, 'Not Found'] : colibri2(podIP, req.method, req.url, body, chosen)));
    } else {
      send(res, 404, 'Not Found');
    }
  });
});
server.listen(port, '0.0.0.0', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// SIGUSR2: the pods answered so far are gone (a test deleted their namespace); a new pod may get one of their IPs
// and is a new bridge, so every state is forgotten
process.on('SIGUSR2', () => {
  for (const m of [live, calls, states]) m.clear();
  process.stdout.write('forgot\n');
});
