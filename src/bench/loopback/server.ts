/**
 * The local loopback conference: an HTTP server for the page, a WebSocket signalling server with
 * rooms and a forwarding unit (./sfu.ts), all on one local address (127.0.0.1 by default, a
 * namespace address in the loss test). Like a bridge: each sender sends one upstream and the unit
 * forwards it to every receiver over real WebRTC.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CommandError } from '../../errors.js';
import { LOOPBACK_PAGE } from './page.js';
import { ForwardingUnit, LAYERS, Member } from './sfu.js';

export interface LoopbackConference {
  /** http://<address>:<port>/ */
  url: string;
  host: string;
  /** participants connected per room, now */
  rooms(): Record<string, string[]>;
  close(): Promise<void>;
}

interface Message {
  type?: unknown;
  room?: unknown;
  name?: unknown;
  from?: unknown;
  pc?: unknown;
  sdp?: unknown;
  candidate?: unknown;
  rid?: unknown;
}

export async function startLoopbackConference(host = '127.0.0.1'): Promise<LoopbackConference> {
  const sfu = await ForwardingUnit.create(host);
  const rooms = new Map<string, Map<string, Member>>();
  const http: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ rooms: rooms.size }));
    } else if (req.method === 'GET' && /^\/[^/]*$/.test(path ?? '')) {
      // "/" with query parameters, or "/<room>" with Jitsi-style overrides in the hash
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(LOOPBACK_PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  const wss = new WebSocketServer({ server: http, path: '/ws', maxPayload: 1 << 20 });
  wss.on('connection', (ws: WebSocket) => {
    let room: Map<string, Member> | undefined;
    let roomName = '';
    let me: Member | undefined;
    const reply = (m: object) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const failed = (what: string) => (e: unknown) => reply({ type: 'error', message: `${what}: ${e instanceof Error ? e.message : String(e)}` });
    ws.on('message', (raw) => {
      let m: Message;
      try {
        m = JSON.parse(String(raw)) as Message;
      } catch {
        return reply({ type: 'error', message: 'not JSON' });
      }
      if (m.type === 'join' && typeof m.room === 'string' && typeof m.name === 'string' && !me) {
        roomName = m.room;
        room = rooms.get(roomName) ?? new Map<string, Member>();
        rooms.set(roomName, room);
        if (room.has(m.name)) return reply({ type: 'error', message: `${m.name} is already in ${roomName}` });
        const peers = [...room.keys()];
        me = new Member(m.name, reply);
        room.set(me.name, me);
        reply({ type: 'joined', peers });
        for (const other of room.values()) if (other !== me) other.signal({ type: 'peer-joined', name: me.name });
        sfu.joined(me, room.values()).catch(failed('subscribe'));
      } else if (!me || !room) {
        reply({ type: 'error', message: `${String(m.type)} before join` });
      } else if (m.type === 'publish' && typeof m.sdp === 'string') {
        sfu.publish(me, m.sdp, room.values()).catch(failed('publish'));
      } else if (m.type === 'answer' && typeof m.from === 'string' && typeof m.sdp === 'string') {
        sfu.answer(me, m.from, m.sdp).catch(failed('answer'));
      } else if (m.type === 'candidate' && typeof m.pc === 'string' && m.candidate && typeof m.candidate === 'object') {
        sfu.candidate(me, m.pc, m.candidate as { candidate: string }).catch(failed('candidate'));
      } else if (m.type === 'layer' && typeof m.rid === 'string' && (LAYERS as readonly string[]).includes(m.rid)) {
        sfu.chooseLayer(me, m.rid);
      } else {
        reply({ type: 'error', message: `unexpected message ${String(m.type)}` });
      }
    });
    ws.on('close', () => {
      if (!room || !me || room.get(me.name) !== me) return;
      room.delete(me.name);
      sfu.leave(me, room.values());
      for (const other of room.values()) other.signal({ type: 'peer-left', name: me.name });
      if (room.size === 0) rooms.delete(roomName);
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (e: NodeJS.ErrnoException) =>
      reject(new CommandError(`the loopback conference cannot listen on ${host}: ${e.code ?? e.message}`, 'pass --listen with an address of this machine, such as 127.0.0.1')),
    );
    http.listen(0, host, resolve);
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    host,
    rooms: () => Object.fromEntries([...rooms].map(([r, m]) => [r, [...m.keys()]])),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      for (const room of rooms.values()) for (const m of room.values()) sfu.leave(m, []);
      rooms.clear();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
