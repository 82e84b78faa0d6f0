/**
 * `verify`: proves from where the user stands that the installation works — pods ready, the web
 * URL answers over HTTPS, the signalling paths browsers open through the site (XMPP WebSocket,
 * BOSH, each bridge's channel), a TURN allocation when TURN is on, each JVB advertises the
 * expected address, and UDP media reaches it (a throw-away colibri2 endpoint, then a signed STUN
 * Binding Request to every UDP candidate it advertises; the endpoint is always expired).
 * One result object; the command prints it.
 */
import { request as httpsRequest } from 'node:https';
import { isIPv4, isIPv6 } from 'node:net';
import type { ExposureMode } from '../config/schema.js';
import { CommandError, InterruptedError, UsageError } from '../errors.js';
import { withProbeEndpoint, type IceCandidate, type JvbHttp, type ProbeEndpoint } from './colibri.js';
import { JVB_HTTP_PORT, releaseSelector, toJvbPod } from './jvb.js';
import { podProxyPath, type Kube, type V1Pod } from './kube.js';
import {
  boshCheck,
  bridgeChannelCheck,
  fixedLookup,
  probeBosh,
  probeBridgeChannel,
  probeXmppWebSocket,
  readSiteSignalling,
  xmppWebSocketCheck,
  type SiteAccess,
} from './signalling.js';
import { sendBindingCheck, type BindingCheckInput, type BindingCheckResult } from './stun.js';
import { allocateTurnRelay, turnCheck, turnRestCredentials } from './turn.js';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface VerifyCheck {
  id: string;
  title: string;
  verdict: Verdict;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export interface VerifyResult {
  context?: string;
  namespace: string;
  release: string;
  url: string;
  ok: boolean;
  counts: Record<Verdict, number>;
  checks: VerifyCheck[];
}

/** What verify needs to know about a pod of the release. */
export interface PodView {
  name: string;
  component: string;
  ready: boolean;
  phase?: string;
  /** why a container waits (CrashLoopBackOff …) */
  reason?: string;
  podIP?: string;
  /** JVB_ADVERTISE_IPS of the pod, when set literally */
  advertiseIPs?: string[];
}

export interface VerifyInput {
  domain: string;
  namespace: string;
  release: string;
  context?: string;
  exposure: { mode: ExposureMode; publicIP?: string; udpPort: number };
  /** budget of each network probe (HTTPS request, STUN check with its retransmissions) */
  timeoutMs: number;
  /** default https://<domain>/ */
  webUrl?: string;
  /** connect the web check to this address instead of resolving the host (like curl --resolve) */
  webConnectAddress?: string;
  /** extra trusted CA (PEM) for the web check */
  webCa?: string;
  /** probe the signalling paths through the site: XMPP WebSocket, BOSH, each bridge's channel */
  signalling?: {
    /** default: config.hosts.domain from the site's config.js, else the chart's meet.jitsi */
    xmppDomain?: string;
    /** hold the XMPP WebSocket idle this long before closing it (catches proxy read timeouts) */
    holdIdleMs: number;
  };
  /** allocate a TURN relay with credentials derived from coturn's shared secret */
  turn?: { host: string; port: number; connectAddress?: string; secret?: string };
  signal?: AbortSignal;
}

export interface VerifyDeps {
  listPods(): Promise<PodView[]>;
  jvbHttp(pod: string): JvbHttp;
  stun?: (input: BindingCheckInput) => Promise<BindingCheckResult>;
  web?: (url: string, opts: WebCheckOptions) => Promise<WebAnswer>;
}

// ---------------------------------------------------------------- web

export interface WebCheckOptions {
  timeoutMs: number;
  connectAddress?: string;
  ca?: string;
  signal?: AbortSignal;
}

export type WebAnswer = { status: number; elapsedMs: number; server?: string } | { error: string; code?: string; elapsedMs: number };

/** One HTTPS GET with certificate verification; TLS and network failures come back as codes. */
export function checkHttps(url: string, opts: WebCheckOptions): Promise<WebAnswer> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const u = new URL(url);
    const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])]);
    const req = httpsRequest(
      u,
      {
        method: 'GET',
        headers: { 'user-agent': 'jitsi-k8s-verify', accept: 'text/html' },
        signal,
        servername: u.hostname,
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.connectAddress ? { lookup: fixedLookup(opts.connectAddress) } : {}),
        agent: false,
      },
      (res) => {
        res.resume();
        const server = res.headers.server;
        res.on('end', () => resolve({ status: res.statusCode ?? 0, elapsedMs: elapsed(), ...(typeof server === 'string' ? { server } : {}) }));
        res.on('error', (e) => resolve({ error: e.message, elapsedMs: elapsed() }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      const timedOut = signal.aborted && !(opts.signal?.aborted ?? false);
      resolve({ error: timedOut ? `no answer within ${Math.round(opts.timeoutMs / 1000)}s` : e.message, code: timedOut ? 'TIMEOUT' : e.code, elapsedMs: elapsed() });
    });
    req.end();
  });
}

const TLS_HINTS: { test: RegExp; hint: string }[] = [
  {
    test: /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/,
    hint: 'the certificate is not trusted: with letsencrypt, check `kubectl get certificate,certificaterequest -n <ns>` (still pending or staging issuer?); with tls.mode secret, the Secret must hold a publicly trusted chain',
  },
  { test: /ALTNAME/, hint: 'the certificate is for another name: it must cover the domain in the config (check the Ingress TLS host and the certificate)' },
  { test: /CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/, hint: 'the certificate is expired or not yet valid: renew it (cert-manager renews automatically when it works)' },
  { test: /ENOTFOUND|EAI_AGAIN/, hint: 'the domain does not resolve: create the DNS record for it (pointing at the load balancer / ingress address)' },
  { test: /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/, hint: 'nothing accepts connections on 443 there: check the ingress controller / web Service and firewalls' },
  { test: /TIMEOUT|ETIMEDOUT/, hint: 'no answer on 443: a firewall drops it, or the address is not the ingress / load balancer' },
];

export function webCheck(url: string, answer: WebAnswer): VerifyCheck {
  const base = { id: 'web', title: 'web over HTTPS' };
  if ('status' in answer) {
    if (answer.status >= 200 && answer.status < 400) {
      return { ...base, verdict: 'ok', message: `${url} answered ${answer.status} in ${answer.elapsedMs} ms`, details: { ...answer } };
    }
    return {
      ...base,
      verdict: 'fail',
      message: `${url} answered ${answer.status}`,
      hint: answer.status >= 500 ? 'the ingress cannot reach healthy web pods: check them with `kubectl get pods -n <ns>` and the Ingress backend' : 'check the Ingress host and path rules for the domain',
      details: { ...answer },
    };
  }
  const code = answer.code ?? '';
  const hint = TLS_HINTS.find((h) => h.test.test(code) || h.test.test(answer.error))?.hint;
  return { ...base, verdict: 'fail', message: `${url}: ${answer.error}${code && !answer.error.includes(code) ? ` (${code})` : ''}`, ...(hint ? { hint } : {}), details: { ...answer } };
}

// ---------------------------------------------------------------- pods

const ESSENTIAL = ['web', 'prosody', 'jicofo', 'jvb'];

export function podsCheck(pods: PodView[], ref: { namespace: string; release: string }): VerifyCheck {
  const base = { id: 'pods', title: 'pods ready' };
  if (pods.length === 0) {
    return { ...base, verdict: 'fail', message: `no pods of release ${ref.release} in namespace ${ref.namespace}`, hint: 'install with `jitsi-k8s apply`, or point --namespace / the config at the right release' };
  }
  const byComponent = new Map<string, PodView[]>();
  for (const p of pods) byComponent.set(p.component, [...(byComponent.get(p.component) ?? []), p]);
  const summary = [...byComponent.entries()].map(([c, ps]) => `${c} ${ps.filter((p) => p.ready).length}/${ps.length}`).join(', ');
  const missing = ESSENTIAL.filter((c) => !byComponent.has(c));
  const notReady = pods.filter((p) => !p.ready);
  const dead = [...byComponent.entries()].filter(([, ps]) => ps.every((p) => !p.ready)).map(([c]) => c);
  const details = { components: Object.fromEntries([...byComponent.entries()].map(([c, ps]) => [c, { ready: ps.filter((p) => p.ready).length, total: ps.length }])), notReady: notReady.map((p) => ({ name: p.name, phase: p.phase, reason: p.reason })) };
  const why = notReady.map((p) => `${p.name}${p.reason ? ` (${p.reason})` : p.phase ? ` (${p.phase})` : ''}`).join(', ');
  if (missing.length || dead.length) {
    return {
      ...base,
      verdict: 'fail',
      message: [missing.length ? `no ${missing.join(', ')} pod` : '', dead.length ? `nothing ready in ${dead.join(', ')}` : '', summary].filter(Boolean).join('; '),
      hint: notReady.length ? `look at ${why}: \`kubectl describe pod -n ${ref.namespace} <pod>\` and its logs` : 'the release looks incomplete: re-run `jitsi-k8s apply`',
      details,
    };
  }
  if (notReady.length) return { ...base, verdict: 'warn', message: `${summary}; not ready: ${why}`, hint: `\`kubectl describe pod -n ${ref.namespace} <pod>\``, details };
  return { ...base, verdict: 'ok', message: summary, details };
}

// ---------------------------------------------------------------- advertised address

export type AddressScope = 'public' | 'tailnet' | 'private' | 'loopback';

export function addressScope(ip: string): AddressScope {
  if (isIPv4(ip)) {
    const [a = 0, b = 0] = ip.split('.').map(Number);
    if (a === 127) return 'loopback';
    if (a === 100 && b >= 64 && b <= 127) return 'tailnet'; // CGNAT range: Tailscale addresses
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)) return 'private';
    return 'public';
  }
  const l = ip.toLowerCase();
  if (l === '::1') return 'loopback';
  if (l.startsWith('fd7a:115c:a1e0')) return 'tailnet';
  if (/^f[cd]/.test(l) || /^fe[89ab]/.test(l)) return 'private';
  return 'public';
}

/** Which address scope clients use in each exposure mode. */
const REACHED_THROUGH: Record<ExposureMode, AddressScope> = {
  loadBalancer: 'public',
  nodePort: 'public',
  hostPort: 'public',
  tailscale: 'tailnet',
  pangolin: 'public',
};

const fmtCandidate = (c: IceCandidate) => `${c.ip}:${c.port} (${c.type})`;

export function advertisedCheck(
  pod: PodView,
  endpoint: Pick<ProbeEndpoint, 'candidates'> | undefined,
  exposure: VerifyInput['exposure'],
  allocationError?: Error,
): VerifyCheck {
  const base = { id: `advertised:${pod.name}`, title: `${pod.name} advertises` };
  const env = pod.advertiseIPs ?? [];
  const udp = endpoint?.candidates.filter((c) => c.protocol === 'udp') ?? [];
  const ips = endpoint ? [...new Set(udp.map((c) => c.ip))] : env.map((e) => e.split('#')[0]!);
  const source = endpoint ? 'its colibri2 candidates' : 'JVB_ADVERTISE_IPS';
  const details = { candidates: endpoint?.candidates ?? [], advertiseIPs: env, expected: exposure.publicIP, ...(allocationError ? { allocationError: allocationError.message } : {}) };
  if (!endpoint && env.length === 0) {
    return { ...base, verdict: 'fail', message: `unknown: no probe endpoint (${allocationError?.message ?? 'not allocated'}) and no JVB_ADVERTISE_IPS in the pod`, hint: 'see the media check for why allocation failed', details };
  }
  if (exposure.publicIP) {
    if (ips.includes(exposure.publicIP)) {
      const shown = endpoint ? udp.filter((c) => c.ip === exposure.publicIP).map(fmtCandidate).join(', ') : exposure.publicIP;
      return { ...base, verdict: 'ok', message: `${shown} — as configured (exposure.publicIP)`, details };
    }
    return {
      ...base,
      verdict: 'fail',
      message: `${ips.join(', ') || 'no UDP address'} (from ${source}), but exposure.publicIP is ${exposure.publicIP}`,
      hint: 'clients get the advertised address: re-run `jitsi-k8s apply` so jvb.publicIPs (JVB_ADVERTISE_IPS) carries exposure.publicIP, or correct exposure.publicIP',
      details,
    };
  }
  const wanted = REACHED_THROUGH[exposure.mode];
  const reachable = ips.filter((ip) => addressScope(ip) === wanted);
  if (reachable.length) return { ...base, verdict: 'ok', message: `${reachable.join(', ')} (${wanted}; exposure.publicIP not set)`, details };
  return {
    ...base,
    verdict: 'warn',
    message: `only ${ips.map((ip) => `${ip} (${addressScope(ip)})`).join(', ') || 'no UDP address'}: no ${wanted} address`,
    hint: `clients ${wanted === 'tailnet' ? 'on the tailnet' : 'on the internet'} cannot reach this: set exposure.publicIP to the address they reach and re-apply`,
    details,
  };
}

// ---------------------------------------------------------------- UDP media

const TIMEOUT_HINTS: Record<ExposureMode, string> = {
  loadBalancer: 'the load balancer must carry UDP to the bridge (some managed LBs carry no UDP: then enable TURN or use hostPort), and firewalls must pass it',
  nodePort: 'open the UDP NodePort in the nodes\' firewall / security group, and make sure this machine can reach a node address',
  hostPort: 'open the UDP port on the node firewall / security group; the node needs a public IP or a port forward',
  tailscale: 'this machine must be on the tailnet, and the JVB Service must be exposed by the Tailscale operator',
  pangolin: 'on the Pangolin VPS: raw resources on (flags.allow_raw_resources), a Traefik UDP entrypoint and the Gerbil UDP port mapping, and a raised UDP session timeout',
};

interface TargetOutcome {
  target: string;
  type: string;
  result: BindingCheckResult;
}

function describeOutcome(o: TargetOutcome): string {
  const r = o.result;
  switch (r.outcome) {
    case 'success':
      return `${o.target}: Binding Success in ${r.rttMs} ms (MESSAGE-INTEGRITY verified${r.mapped ? `; it sees us as ${r.mapped.address}:${r.mapped.port}` : ''})`;
    case 'error':
      return `${o.target}: Binding Error ${r.code} ${r.reason}`;
    case 'wrong-address':
      return `${o.target}: the answer came from ${r.from.address}:${r.from.port}`;
    case 'timeout':
      return `${o.target}: no answer after ${r.tries} tries in ${(r.elapsedMs / 1000).toFixed(1)} s`;
    case 'send-error':
      return `${o.target}: cannot send from this machine (${r.code})`;
  }
}

export function mediaCheck(pod: PodView, outcomes: TargetOutcome[], exposure: VerifyInput['exposure']): VerifyCheck {
  const base = { id: `media:${pod.name}`, title: `${pod.name} UDP media` };
  const details = { targets: outcomes.map((o) => ({ target: o.target, type: o.type, ...o.result })) };
  if (outcomes.length === 0) {
    return { ...base, verdict: 'fail', message: 'the bridge advertises no UDP candidate', hint: 'check jvb.publicIPs / JVB_ADVERTISE_IPS and the JVB log', details };
  }
  const success = outcomes.find((o) => o.result.outcome === 'success');
  const expected = exposure.publicIP ? outcomes.find((o) => o.target.startsWith(`${exposure.publicIP}:`) || o.target.startsWith(`[${exposure.publicIP}]:`)) : undefined;
  if (success) {
    if (expected && expected.result.outcome !== 'success') {
      return {
        ...base,
        verdict: 'warn',
        message: `${describeOutcome(success)}; but ${describeOutcome(expected)}`,
        hint: `clients use ${expected.target}: ${TIMEOUT_HINTS[exposure.mode]}`,
        details,
      };
    }
    return { ...base, verdict: 'ok', message: describeOutcome(success), details };
  }
  const wrong = outcomes.find((o) => o.result.outcome === 'wrong-address');
  if (wrong) {
    return {
      ...base,
      verdict: 'fail',
      message: describeOutcome(wrong),
      hint: 'a NAT or load balancer rewrites the source of the bridge\'s answers, and browsers drop those: use externalTrafficPolicy: Local on the JVB Service or hostPort, and advertise the address the answers leave from',
      details,
    };
  }
  const refused = outcomes.find((o) => o.result.outcome === 'error');
  if (refused) {
    return {
      ...base,
      verdict: 'fail',
      message: `${describeOutcome(refused)}: UDP gets there, but the agent does not know this endpoint`,
      hint: 'another bridge (or another ICE agent) answers on that address: with several bridges behind one Service each needs its own port (jvb.portRangeSize)',
      details,
    };
  }
  const unsendable = outcomes.filter((o) => o.result.outcome === 'send-error');
  if (unsendable.length === outcomes.length) {
    return {
      ...base,
      verdict: 'fail',
      message: outcomes.map(describeOutcome).join('; '),
      hint: 'this machine has no route to the advertised address (an IPv6 address without IPv6 here, or a VPN that is not up)',
      details,
    };
  }
  const seconds = (Math.max(...outcomes.map((o) => (o.result.outcome === 'timeout' ? o.result.elapsedMs : 0))) / 1000).toFixed(1);
  return {
    ...base,
    verdict: 'fail',
    message: `no answer from ${outcomes.filter((o) => o.result.outcome === 'timeout').map((o) => o.target).join(', ')} within ${seconds} s (7 tries each)${unsendable.length ? `; ${unsendable.map(describeOutcome).join('; ')}` : ''}: UDP media does not reach the bridge from here`,
    hint: TIMEOUT_HINTS[exposure.mode],
    details,
  };
}

const targetOf = (c: IceCandidate) => (isIPv6(c.ip) ? `[${c.ip}]:${c.port}` : `${c.ip}:${c.port}`);

/** UDP candidates worth probing: deduplicated, the expected address first, then server-reflexive, then host. */
export function probeTargets(candidates: IceCandidate[], publicIP?: string): IceCandidate[] {
  const rank = (c: IceCandidate) => (c.ip === publicIP ? 0 : c.type === 'srflx' ? 1 : c.type === 'host' ? 2 : 3);
  const seen = new Set<string>();
  return candidates
    .filter((c) => c.protocol === 'udp')
    .sort((a, b) => rank(a) - rank(b))
    .filter((c) => (seen.has(targetOf(c)) ? false : (seen.add(targetOf(c)), true)));
}

// ---------------------------------------------------------------- run

function failFrom(id: string, title: string, e: unknown): VerifyCheck {
  const err = e instanceof Error ? e : new Error(String(e));
  return { id, title, verdict: 'fail', message: err.message, ...(err instanceof CommandError && err.hint ? { hint: err.hint } : {}) };
}

async function verifyBridge(pod: PodView, input: VerifyInput, deps: VerifyDeps, site: SiteAccess): Promise<VerifyCheck[]> {
  const stun = deps.stun ?? sendBindingCheck;
  let expireError: Error | undefined;
  try {
    const { endpoint, outcomes, channel } = await withProbeEndpoint(
      deps.jvbHttp(pod.name),
      async (endpoint) => {
        const targets = probeTargets(endpoint.candidates, input.exposure.publicIP);
        const outcomes = await Promise.all(
          targets.map(async (c) => ({
            target: targetOf(c),
            type: c.type,
            result: await stun({ host: c.ip, port: c.port, remoteUfrag: endpoint.ufrag, remotePassword: endpoint.pwd, timeoutMs: input.timeoutMs, signal: input.signal }),
          })),
        );
        // the bridge channel URL is valid only while the endpoint lives
        const advertised = endpoint.webSockets[0];
        const channel = input.signalling && advertised ? await probeBridgeChannel(site, advertised) : undefined;
        return { endpoint, outcomes, channel };
      },
      (e) => (expireError = e),
    );
    const media = mediaCheck(pod, outcomes, input.exposure);
    if (expireError) {
      media.details = { ...media.details, expireError: expireError.message };
      if (media.verdict === 'ok') Object.assign(media, { verdict: 'warn', hint: `the probe conference ${endpoint.meetingId} could not be expired (${expireError.message}); the bridge drops it after its idle timeout` });
    }
    const rows = [advertisedCheck(pod, endpoint, input.exposure), media];
    if (input.signalling) rows.push(bridgeChannelCheck(pod.name, site.origin, endpoint.webSockets, channel));
    return rows;
  } catch (e) {
    if (e instanceof InterruptedError || input.signal?.aborted) throw e;
    const err = e instanceof Error ? e : new Error(String(e));
    const rows = [advertisedCheck(pod, undefined, input.exposure, err), failFrom(`media:${pod.name}`, `${pod.name} UDP media`, err)];
    if (input.signalling) rows.push({ id: `bridge-channel:${pod.name}`, title: `${pod.name} bridge channel`, verdict: 'fail', message: 'not checked: no probe endpoint on this bridge', hint: 'see the media check for why allocation failed' });
    return rows;
  }
}

/** config.js, then the XMPP WebSocket and BOSH side by side. */
async function verifySignalling(site: SiteAccess, opts: NonNullable<VerifyInput['signalling']>): Promise<VerifyCheck[]> {
  const config = await readSiteSignalling(site);
  const xmppDomain = opts.xmppDomain ?? config?.xmppDomain ?? CHART_XMPP_DOMAIN;
  const wsUrl = `${site.origin.replace(/^https:/, 'wss:')}/xmpp-websocket`;
  const [ws, bosh] = await Promise.all([probeXmppWebSocket(site, { xmppDomain, holdMs: opts.holdIdleMs }), probeBosh(site, { xmppDomain })]);
  return [
    xmppWebSocketCheck(wsUrl, ws, { xmppDomain, site: config, holdMs: opts.holdIdleMs }),
    boshCheck(`${site.origin}/http-bind`, bosh, { xmppDomain, site: config, webSocketWorks: ws.outcome === 'features' }),
  ];
}

async function verifyTurn(turn: NonNullable<VerifyInput['turn']>, input: VerifyInput): Promise<VerifyCheck> {
  const host = turn.connectAddress ?? turn.host;
  const target = `${isIPv6(host) ? `[${host}]` : host}:${turn.port}/udp`;
  if (!turn.secret) {
    return { id: 'turn', title: 'TURN relay', verdict: 'fail', message: `${target}: not checked: no turnSecret in the secrets file`, hint: 'run verify with the config whose secrets file (<config>.secrets.yaml, created by `jitsi-k8s init`/`apply`) holds turnSecret' };
  }
  const result = await allocateTurnRelay({ host, port: turn.port, ...turnRestCredentials(turn.secret, 600), timeoutMs: input.timeoutMs, signal: input.signal });
  return turnCheck(target, result);
}

/** The chart's default XMPP domain (xmpp.domain), which jitsi-k8s leaves as is. */
export const CHART_XMPP_DOMAIN = 'meet.jitsi';

export async function runVerify(input: VerifyInput, deps: VerifyDeps): Promise<VerifyResult> {
  const url = input.webUrl ?? `https://${input.domain}/`;
  const site: SiteAccess = { origin: new URL(url).origin, connectAddress: input.webConnectAddress, ca: input.webCa, timeoutMs: input.timeoutMs, signal: input.signal };
  const web = (deps.web ?? checkHttps)(url, { timeoutMs: input.timeoutMs, connectAddress: input.webConnectAddress, ca: input.webCa, signal: input.signal }).then((a) => webCheck(url, a));
  const signalling = input.signalling ? verifySignalling(site, input.signalling) : Promise.resolve([]);
  const turn = input.turn ? verifyTurn(input.turn, input).then((c) => [c]) : Promise.resolve([]);
  const cluster = (async (): Promise<VerifyCheck[]> => {
    let pods: PodView[];
    try {
      pods = await deps.listPods();
    } catch (e) {
      // a wrong --context is the user's mistake (exit 2), not a verdict about the installation
      if (e instanceof InterruptedError || e instanceof UsageError) throw e;
      const pods = failFrom('pods', 'pods ready', e);
      return [pods, { id: 'media', title: 'UDP media', verdict: 'fail', message: 'not checked: the cluster could not be read', hint: 'see the pods check' }];
    }
    const checks = [podsCheck(pods, input)];
    const bridges = pods.filter((p) => p.component === 'jvb' && p.ready);
    if (bridges.length === 0) {
      checks.push({ id: 'media', title: 'UDP media', verdict: 'fail', message: 'no ready JVB pod to probe', hint: 'see the pods check' });
      return checks;
    }
    // bridges one after another: each probe is small, and sequential keeps the retransmission timing honest
    for (const pod of bridges) checks.push(...(await verifyBridge(pod, input, deps, site)));
    return checks;
  })();
  const [webResult, signallingResults, turnResults, clusterResults] = await Promise.all([web, signalling, turn, cluster]);
  const checks = [...clusterResults.slice(0, 1), webResult, ...signallingResults, ...turnResults, ...clusterResults.slice(1)];
  const counts: Record<Verdict, number> = { ok: 0, warn: 0, fail: 0 };
  for (const c of checks) counts[c.verdict]++;
  return { context: input.context, namespace: input.namespace, release: input.release, url, ok: counts.fail === 0, counts, checks };
}

// ---------------------------------------------------------------- wiring to the cluster

/** colibri2 calls through the API server's pod proxy to the JVB's private port 8080. */
export function jvbHttpViaKube(kube: Pick<Kube, 'request'>, namespace: string, pod: string): JvbHttp {
  return async (method, path, body) => {
    const r = await kube.request(method, podProxyPath(namespace, pod, JVB_HTTP_PORT, path), body === undefined ? {} : { body: body as object });
    let json: unknown = r.body;
    try {
      json = r.body === '' ? undefined : JSON.parse(r.body);
    } catch {
      /* not JSON (an error page): keep the text */
    }
    return { status: r.status, json };
  };
}

export function toPodView(pod: V1Pod): PodView {
  // readiness, waiting reason and JVB_ADVERTISE_IPS (literal or through the downward API) as the JVB discovery reads them
  const p = toJvbPod(pod);
  return {
    name: p.name,
    component: pod.metadata?.labels?.['app.kubernetes.io/component'] ?? 'unknown',
    ready: p.ready,
    ...(p.phase ? { phase: p.phase } : {}),
    ...(p.waitingReason ? { reason: p.waitingReason } : {}),
    ...(p.podIP ? { podIP: p.podIP } : {}),
    ...(p.advertiseIPs ? { advertiseIPs: p.advertiseIPs } : {}),
  };
}

/** The real dependencies: pods of the release and the JVB pod proxy, from a kube client opened on first use. */
export function verifyDepsFromKube(open: () => Kube, ref: { namespace: string; release: string }): VerifyDeps {
  let kube: Kube | undefined;
  const get = () => (kube ??= open());
  return {
    listPods: async () => (await get().pods(ref.namespace, releaseSelector(ref.release))).map(toPodView),
    jvbHttp: (pod) => jvbHttpViaKube(get(), ref.namespace, pod),
  };
}
