/**
 * FAKE of the JVB's colibri2 REST API (Jitsi cannot run here). It answers in the shape documented
 * in jitsi-videobridge doc/rest-colibri2.md (endpoints[].transport.transport with ufrag, pwd and
 * string-typed candidates), checks the requests the way the bridge would (meeting-id, create,
 * a transport on a created endpoint), and keeps the set of live conferences so tests can assert
 * that the probe expired its conference.
 */
import type { JvbHttp } from '../../src/cluster/colibri.js';

export interface FakeJvbOptions {
  ufrag: string;
  pwd: string;
  /** candidates the bridge advertises */
  candidates: { type: string; ip: string; port: number; protocol?: string }[];
  /** force an answer to conference creation (e.g. 404: REST API disabled) */
  createStatus?: number;
  createBody?: unknown;
  expireStatus?: number;
}

export interface FakeJvb {
  http: JvbHttp;
  /** same logic, in the fake API server's colibri2 hook signature */
  handle(req: { method: string; path: string; body: unknown }): { status: number; body: unknown };
  live: Set<string>;
  calls: { method: string; path: string; body: unknown }[];
}

const isRecord = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v); // eslint-disable-line @typescript-eslint/no-explicit-any

export function fakeJvb(opts: FakeJvbOptions): FakeJvb {
  const live = new Set<string>();
  const calls: FakeJvb['calls'] = [];
  const handle = ({ method, path, body }: { method: string; path: string; body: unknown }): { status: number; body: unknown } => {
    const p = `/${path.replace(/^\/+/, '')}`;
    calls.push({ method, path: p, body });
    if (method === 'POST' && p === '/colibri/v2/conferences') {
      if (opts.createStatus) return { status: opts.createStatus, body: opts.createBody ?? 'error' };
      if (!isRecord(body) || typeof body['meeting-id'] !== 'string') return { status: 400, body: 'Failed to parse ConferenceModify JSON: no meeting-id' };
      if (body.create !== true) return { status: 400, body: 'Failed to create conference: Conference not found' };
      if (live.has(body['meeting-id'])) return { status: 400, body: 'Failed to create conference: Conference already exists' };
      const endpoints = Array.isArray(body.endpoints) ? body.endpoints : [];
      const created = endpoints.filter((e: unknown) => isRecord(e) && e.create === true);
      for (const e of created) if (!isRecord(e.transport)) return { status: 400, body: `Failed to create conference: Attempt to create endpoint ${String(e.id)} with no <transport>` };
      live.add(body['meeting-id']);
      return {
        status: 200,
        body: {
          endpoints: created.map((e: Record<string, unknown>) => ({
            id: e.id,
            transport: {
              transport: {
                candidates: opts.candidates.map((c, i) => ({
                  generation: '0',
                  component: '1',
                  protocol: c.protocol ?? 'udp',
                  port: String(c.port),
                  ip: c.ip,
                  foundation: String(i + 1),
                  id: `cand${i}`,
                  priority: c.type === 'host' ? '2130706431' : '1694498815',
                  type: c.type,
                  network: '0',
                })),
                xmlns: 'urn:xmpp:jingle:transports:ice-udp:1',
                ufrag: opts.ufrag,
                'rtcp-mux': true,
                pwd: opts.pwd,
                fingerprints: [{ fingerprint: 'F1:05:72:F8', setup: 'actpass', hash: 'sha-256' }],
              },
            },
          })),
          sources: [],
        },
      };
    }
    const m = /^\/colibri\/v2\/conferences\/([^/]+)$/.exec(p);
    if (method === 'PATCH' && m) {
      const id = decodeURIComponent(m[1]!);
      if (!live.has(id)) return { status: 404, body: 'Not Found' };
      if (opts.expireStatus) return { status: opts.expireStatus, body: 'error' };
      if (isRecord(body) && body.expire === true) live.delete(id);
      return { status: 200, body: {} };
    }
    return { status: 404, body: 'Not Found' };
  };
  return {
    live,
    calls,
    handle,
    http: async (method, path, body) => {
      // through JSON, as over the wire
      const r = handle({ method, path, body: body === undefined ? undefined : JSON.parse(JSON.stringify(body)) });
      return { status: r.status, json: r.body };
    },
  };
}
