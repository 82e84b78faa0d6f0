/**
 * jitsi-k8s deletion-cost keeper: runs in the cluster (a Deployment of the extras chart, node from a
 * pinned image, this file from a ConfigMap) and keeps each bridge pod's pod-deletion-cost at its own
 * participants (keeper-core.ts). Talks to the API server with its ServiceAccount token (re-read
 * every round: projected tokens rotate), to the bridges on their pod IPs. Environment:
 * KEEPER_NAMESPACE, KEEPER_SELECTOR, KEEPER_PERIOD_SECONDS (30); outside a pod (tests)
 * KEEPER_API_SERVER, KEEPER_TOKEN_FILE and KEEPER_CA_FILE. SIGTERM ends it at once. Bundled into
 * dist/keeper.mjs with node's own modules only.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { keepRound, type KeeperIO } from './keeper-core.js';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';
const env = process.env;
const namespace = env.KEEPER_NAMESPACE ?? readFileSync(`${SA}/namespace`, 'utf8').trim();
const selector = env.KEEPER_SELECTOR ?? 'app.kubernetes.io/component=jvb';
const periodMs = Number(env.KEEPER_PERIOD_SECONDS ?? 30) * 1000;
const server = env.KEEPER_API_SERVER ?? `https://${env.KUBERNETES_SERVICE_HOST}:${env.KUBERNETES_SERVICE_PORT ?? 443}`;
const tokenFile = env.KEEPER_TOKEN_FILE ?? `${SA}/token`;
const ca = readFileSync(env.KEEPER_CA_FILE ?? `${SA}/ca.crt`);

function call(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs: number }): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, { method: opts.method ?? 'GET', headers: opts.headers, ca: u.protocol === 'https:' ? ca : undefined, timeout: opts.timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function api(method: string, path: string, body?: object): Promise<unknown> {
  const headers: Record<string, string> = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`, accept: 'application/json' };
  if (body) headers['content-type'] = 'application/merge-patch+json';
  const r = await call(`${server}${path}`, { method, headers, body: body && JSON.stringify(body), timeoutMs: 10_000 });
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body) as unknown;
}

const ns = encodeURIComponent(namespace);
const io: KeeperIO = {
  listPods: () => api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`),
  readStats: async (ip) => {
    const r = await call(`http://${ip.includes(':') ? `[${ip}]` : ip}:8080/colibri/stats`, { timeoutMs: 5_000 });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return JSON.parse(r.body) as unknown;
  },
  patchCost: async (pod, cost) => {
    await api('PATCH', `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(pod)}`, { metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': cost } } });
  },
  log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
};

let stopped = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    stopped = true;
    process.exit(0);
  });
}

io.log(`keeping the pod-deletion-cost of the pods "${selector}" in ${namespace} every ${periodMs / 1000}s`);
while (!stopped) {
  await keepRound(io).catch((e: unknown) => io.log(`round failed: ${(e as Error).message}`));
  await new Promise((r) => setTimeout(r, periodMs));
}
