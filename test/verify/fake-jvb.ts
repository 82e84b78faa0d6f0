/**
 * FAKE of the JVB's colibri2 REST API (Jitsi cannot run here). It answers in the shape documented
 * in jitsi-videobridge doc/rest-colibri2.md (endpoints[].transport.transport with ufrag, pwd and
 * string-typed candidates), checks the requests the way the bridge would (meeting-id, create,
 * a transport on a created endpoint), and keeps the set of live conferences so tests can assert
 * that the probe expired its conference. With `webSocketBase` it also advertises the bridge channel
 * (`web-sockets`: <base>/<conference>/<endpoint>?pwd=<ice pwd>, the URL shape of jitsi-videobridge
 * doc/web-sockets.md) and serveBridgeChannel() accepts that WebSocket the way the bridge does: only
 * for a live conference with the endpoint's ICE password.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
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
  /** e.g. wss://meet.test/colibri-ws/jvb-0 (JVB_WS_DOMAIN + JVB_WS_SERVER_ID) */
  webSocketBase?: string;
}

export interface BridgeChannelServer {
  port: number;
  /** WebSockets accepted so far */
  accepted: number;
  /** what was refused, by reason */
  refused: string[];
  close(): Promise<void>;
}

export interface FakeJvb {
  http: JvbHttp;
  /** same logic, in the fake API server's colibri2 hook signature */
  handle(req: { method: string; path: string; body: unknown }): { status: number; body: unknown };
  live: Set<string>;
  calls: { method: string; path: string; body: unknown }[];
  /** a plain-HTTP WebSocket server for /colibri-ws/<server-id>/<conference>/<endpoint>?pwd=… on 127.0.0.1 */
  serveBridgeChannel(): Promise<BridgeChannelServer>;
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
                ...(opts.webSocketBase ? { 'web-sockets': [`${opts.webSocketBase}/${body['meeting-id']}/${String(e.id)}?pwd=${opts.pwd}`] } : {}),
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
  const serveBridgeChannel = async (): Promise<BridgeChannelServer> => {
    const wss = new WebSocketServer({ noServer: true });
    const sockets = new Set<Socket>();
    const server = createServer((_req, res) => res.writeHead(426).end());
    const state: BridgeChannelServer = { port: 0, accepted: 0, refused: [], close: async () => undefined };
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const u = new URL(req.url ?? '/', 'http://bridge');
      const m = /^\/colibri-ws\/[^/]+\/([^/]+)\/([^/]+)$/.exec(u.pathname);
      const why = !m ? 'bad path' : !live.has(decodeURIComponent(m[1]!)) ? 'no such conference' : u.searchParams.get('pwd') !== opts.pwd ? 'wrong pwd' : undefined;
      if (why) {
        state.refused.push(why);
        socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        state.accepted++;
        ws.on('error', () => undefined);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    state.port = (server.address() as { port: number }).port;
    state.close = async () => {
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    };
    return state;
  };
  return {
    live,
    calls,
    handle,
    serveBridgeChannel,
    http: async (method, path, body) => {
      // through JSON, as over the wire
      const r = handle({ method, path, body: body === undefined ? undefined : JSON.parse(JSON.stringify(body)) });
      return { status: r.status, json: r.body };
    },
  };
}
