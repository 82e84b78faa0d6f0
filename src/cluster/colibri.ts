/**
 * A throw-away endpoint on a JVB through its colibri2 REST API (private port 8080), for the media
 * probe of `verify`: allocate → read the bridge's ICE ufrag/pwd and advertised candidates → expire.
 *
 * JSON shape (facts from jitsi-videobridge `doc/rest-colibri2.md` and the REST resource
 * `rest/root/colibri/v2/conferences/Conferences.java`, 2026; serializer in jitsi-xmpp-extensions
 * `colibri2/json`):
 *   POST  /colibri/v2/conferences        {"meeting-id", "create": true, "endpoints": [{"id", "create": true,
 *                                          "transport": {"ice-controlling": <bool>}}]}
 *     → 200 {"endpoints": [{"id", "transport": {"transport": {"ufrag", "pwd", "candidates": [{"type",
 *            "ip", "port", "protocol", "priority", ...}] (numbers as strings), "web-sockets": ["wss://…/colibri-ws/…?pwd=…"]
 *            (only when the bridge's colibri WebSockets are on), "fingerprints", ...}}}], ...}
 *     → 400 text "Failed to create conference: ..." on a bad request; 404 when the colibri REST API is
 *       off (COLIBRI_REST_ENABLED / videobridge.apis.rest.enabled).
 *   PATCH /colibri/v2/conferences/<meeting-id>  {"expire": true}  → 200; 404 when it no longer exists.
 * An endpoint needs a transport but no media; `name` is optional (a JID when given), so we send none.
 * We send no remote transport of our own: the bridge answers incoming checks for the endpoint's ufrag
 * from its creation on (ice4j runs the check server per component and queues checks until it starts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CommandError } from '../errors.js';

/** One HTTP call to the JVB's private port; `json` is the parsed body, or the raw text when it is not JSON. */
export type JvbHttp = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => Promise<{ status: number; json: unknown }>;

export const CONFERENCES_PATH = 'colibri/v2/conferences';

export interface IceCandidate {
  type: string;
  ip: string;
  port: number;
  protocol: string;
  priority?: number;
}

export interface ProbeEndpoint {
  meetingId: string;
  endpointId: string;
  /** the bridge's ICE credentials for this endpoint (the probe signs its checks with pwd) */
  ufrag: string;
  pwd: string;
  candidates: IceCandidate[];
  /** the bridge-channel URLs the bridge gives this endpoint (empty when its colibri WebSockets are off) */
  webSockets: string[];
}

export function conferenceCreateRequest(meetingId: string, endpointId: string): Record<string, unknown> {
  return {
    'meeting-id': meetingId,
    create: true,
    endpoints: [
      {
        id: endpointId,
        create: true,
        // the bridge is the controlled agent: our STUN check carries ICE-CONTROLLING
        transport: { 'ice-controlling': false },
      },
    ],
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function shapeError(what: string, json: unknown): CommandError {
  return new CommandError(
    `the JVB's colibri2 answer has an unexpected shape: ${what}`,
    'the bridge version may speak another colibri2 dialect; run with --debug to see the answer',
    JSON.stringify(json).slice(0, 2000),
  );
}

/** Reads the endpoint's ICE transport out of a conference-modified answer. */
export function parseEndpointTransport(json: unknown, endpointId: string): Omit<ProbeEndpoint, 'meetingId' | 'endpointId'> {
  if (!isRecord(json) || !Array.isArray(json.endpoints)) throw shapeError('no "endpoints" list', json);
  const endpoint = json.endpoints.find((e) => isRecord(e) && e.id === endpointId);
  if (!isRecord(endpoint)) throw shapeError(`endpoint ${endpointId} missing`, json);
  const outer = endpoint.transport;
  // the ICE transport sits one level down: endpoint.transport.transport
  const ice = isRecord(outer) && isRecord(outer.transport) ? outer.transport : undefined;
  if (!ice) throw shapeError('no endpoints[].transport.transport', json);
  const ufrag = str(ice.ufrag);
  const pwd = str(ice.pwd);
  if (!ufrag || !pwd) throw shapeError('no ICE ufrag/pwd', json);
  const candidates: IceCandidate[] = [];
  for (const c of Array.isArray(ice.candidates) ? ice.candidates : []) {
    if (!isRecord(c)) continue;
    const ip = str(c.ip);
    const port = Number(str(c.port));
    if (!ip || !Number.isInteger(port) || port <= 0 || port > 65535) continue;
    const priority = Number(str(c.priority));
    candidates.push({
      type: str(c.type) ?? 'host',
      ip,
      port,
      protocol: (str(c.protocol) ?? 'udp').toLowerCase(),
      ...(Number.isFinite(priority) ? { priority } : {}),
    });
  }
  const webSockets = (Array.isArray(ice['web-sockets']) ? ice['web-sockets'] : []).filter((u): u is string => typeof u === 'string' && /^wss?:\/\//.test(u));
  return { ufrag, pwd, candidates, webSockets };
}

function bodyText(json: unknown): string {
  const text = typeof json === 'string' ? json : JSON.stringify(json);
  return text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}

function httpError(action: string, status: number, json: unknown): CommandError {
  const detail = bodyText(json);
  if (status === 404) {
    return new CommandError(
      `${action}: the JVB answered 404 — its colibri2 REST API is not enabled`,
      'the chart sets COLIBRI_REST_ENABLED=true on the JVB; check the JVB env (videobridge.apis.rest.enabled) and that port 8080 is the JVB HTTP port',
    );
  }
  if (status === 503 || /graceful|shutdown/i.test(detail)) {
    return new CommandError(`${action}: the JVB refused (${status}${detail ? `: ${detail}` : ''})`, 'the bridge is draining or shutting down; try again when it is back, or verify another bridge');
  }
  return new CommandError(`${action}: the JVB answered ${status}${detail ? `: ${detail}` : ''}`, 'look at the JVB log: `kubectl logs <jvb pod> -c jitsi-meet`');
}

/** Allocates a conference with one endpoint and returns the bridge's ICE side of it. */
export async function allocateProbeEndpoint(http: JvbHttp, ids: { meetingId?: string; endpointId?: string } = {}): Promise<ProbeEndpoint> {
  const meetingId = ids.meetingId ?? `jitsi-k8s-verify-${randomUUID()}`;
  const endpointId = ids.endpointId ?? randomBytes(4).toString('hex');
  const r = await http('POST', CONFERENCES_PATH, conferenceCreateRequest(meetingId, endpointId));
  if (r.status < 200 || r.status > 299) throw httpError('allocating a probe endpoint', r.status, r.json);
  try {
    return { meetingId, endpointId, ...parseEndpointTransport(r.json, endpointId) };
  } catch (e) {
    // the conference exists although we cannot use it: do not leave it behind
    await expireConference(http, meetingId).catch(() => undefined);
    throw e;
  }
}

/** Expires the conference (and its endpoint). A conference that is already gone counts as expired. */
export async function expireConference(http: JvbHttp, meetingId: string): Promise<void> {
  const r = await http('PATCH', `${CONFERENCES_PATH}/${encodeURIComponent(meetingId)}`, { expire: true });
  if (r.status === 404) return;
  if (r.status < 200 || r.status > 299) throw httpError('expiring the probe conference', r.status, r.json);
}

/** Allocate, use, and always expire. An expire failure after a successful use is reported through onExpireError. */
export async function withProbeEndpoint<T>(
  http: JvbHttp,
  use: (endpoint: ProbeEndpoint) => Promise<T>,
  onExpireError: (err: Error) => void = () => undefined,
): Promise<T> {
  const endpoint = await allocateProbeEndpoint(http);
  try {
    return await use(endpoint);
  } finally {
    await expireConference(http, endpoint.meetingId).catch((e: unknown) => onExpireError(e instanceof Error ? e : new Error(String(e))));
  }
}
