/**
 * `verify`: proves from where the user stands that the installation works — pods ready, the web
 * URL answers over HTTPS, the signalling paths browsers open through the site (XMPP WebSocket,
 * BOSH, each bridge's channel), a TURN allocation when TURN is on, each JVB advertises the
 * expected address, and UDP media reaches it (a throw-away colibri2 endpoint, then a signed STUN
 * Binding Request to every UDP candidate it advertises; the endpoint is always expired).
 * One result object; the command prints it. The checks themselves are in verify-*.ts, signalling.ts and turn.ts.
 */
import { isIPv6 } from 'node:net';
import { InterruptedError, UsageError } from '../errors.js';
import { withProbeEndpoint, type JvbHttp } from './colibri.js';
import { JVB_HTTP_PORT, releaseSelector } from './jvb.js';
import { podProxyPath, type Kube } from './kube.js';
import { boshCheck, bridgeChannelCheck, probeBosh, probeBridgeChannel, probeXmppWebSocket, readSiteSignalling, xmppWebSocketCheck, type SiteAccess } from './signalling.js';
import { sendBindingCheck, type BindingCheckInput, type BindingCheckResult } from './stun.js';
import { allocateTurnRelay, turnCheck, turnRestCredentials } from './turn.js';
import type { AuthMode } from '../config/schema.js';
import { verifyAuth } from './verify-auth.js';
import { failFrom, type Verdict, type VerifyCheck } from './verify-check.js';
import { advertisedCheck, mediaCheck, probeTargets, targetOf, type VerifyExposure } from './verify-media.js';
import { podsCheck, toPodView, type PodView } from './verify-pods.js';
import { checkHttps, webCheck, type WebAnswer, type WebCheckOptions } from './verify-web.js';

export interface VerifyResult {
  context?: string;
  namespace: string;
  release: string;
  url: string;
  ok: boolean;
  counts: Record<Verdict, number>;
  checks: VerifyCheck[];
}

export interface VerifyInput {
  domain: string;
  namespace: string;
  release: string;
  context?: string;
  exposure: VerifyExposure;
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
  /** who may start a meeting (auth.mode, auth.guests): checked over the XMPP WebSocket with the signalling */
  auth?: { mode: AuthMode; guests: boolean };
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
async function verifySignalling(site: SiteAccess, opts: NonNullable<VerifyInput['signalling']>, auth?: VerifyInput['auth']): Promise<VerifyCheck[]> {
  const config = await readSiteSignalling(site);
  const xmppDomain = opts.xmppDomain ?? config?.xmppDomain ?? CHART_XMPP_DOMAIN;
  const wsUrl = `${site.origin.replace(/^https:/, 'wss:')}/xmpp-websocket`;
  const [ws, bosh, authRows] = await Promise.all([
    probeXmppWebSocket(site, { xmppDomain, holdMs: opts.holdIdleMs }),
    probeBosh(site, { xmppDomain }),
    auth ? verifyAuth(site, { ...auth, xmppDomain, guestDomain: config?.guestDomain ?? `guest.${xmppDomain}` }) : Promise.resolve([]),
  ]);
  return [
    xmppWebSocketCheck(wsUrl, ws, { xmppDomain, site: config, holdMs: opts.holdIdleMs }),
    boshCheck(`${site.origin}/http-bind`, bosh, { xmppDomain, site: config, webSocketWorks: ws.outcome === 'features' }),
    ...authRows,
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
  const signalling = input.signalling ? verifySignalling(site, input.signalling, input.auth) : Promise.resolve([]);
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


/** The real dependencies: pods of the release and the JVB pod proxy, from a kube client opened on first use. */
export function verifyDepsFromKube(open: () => Kube, ref: { namespace: string; release: string }): VerifyDeps {
  let kube: Kube | undefined;
  const get = () => (kube ??= open());
  return {
    listPods: async () => (await get().pods(ref.namespace, releaseSelector(ref.release))).map(toPodView),
    jvbHttp: (pod) => jvbHttpViaKube(get(), ref.namespace, pod),
  };
}
