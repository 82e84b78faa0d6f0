// STAND-IN for a Jitsi Videobridge's private HTTP port (Jitsi cannot run here). Started inside the
// test control plane's pod network namespace, where every pod IP is local: it answers for each
// pod on port 8080 with /colibri/stats whose `stress_level` encodes the last octet of the pod IP
// it was reached on, so a test can tell that the API server's pods/proxy dialled the right pod.
// An optional JSON file (argv[3], re-read per request) gives chosen figures per pod IP: { "<ip>": { "participants": n, … } }.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8080);
const loadFile = process.argv[3];
const server = createServer((req, res) => {
  const podIP = req.socket.localAddress ?? '';
  if (req.url === '/colibri/stats') {
    const octet = Number(podIP.split('.').pop());
    const chosen = loadFile ? (JSON.parse(readFileSync(loadFile, 'utf8'))[podIP] ?? {}) : {};
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ stress_level: octet / 1000, conferences: 1, participants: 3, endpoints: 3, incoming_loss: 0.01, outgoing_loss: 0, bit_rate_download: 900, bit_rate_upload: 1800, pod_ip: podIP, ...chosen }));
  } else if (req.url === '/about/health') {
    res.writeHead(200);
    res.end();
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.listen(port, '0.0.0.0', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
