/**
 * The local loopback conference: an HTTP server for the page and a WebSocket signalling server
 * with rooms, listening on one local address only (127.0.0.1 by default). Media goes between the
 * browsers over real WebRTC; the server only relays offers, answers and candidates.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CommandError } from '../../errors.js';
import { LOOPBACK_PAGE } from './page.js';

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
  to?: unknown;
  data?: unknown;
}

export async function startLoopbackConference(host = '127.0.0.1'): Promise<LoopbackConference> {
  const rooms = new Map<string, Map<string, WebSocket>>();
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
  wss.on('connection', (ws) => {
    let room: Map<string, WebSocket> | undefined;
    let roomName = '';
    let name = '';
    const reply = (m: object) => ws.send(JSON.stringify(m));
    ws.on('message', (raw) => {
      let m: Message;
      try {
        m = JSON.parse(String(raw)) as Message;
      } catch {
        return reply({ type: 'error', message: 'not JSON' });
      }
      if (m.type === 'join' && typeof m.room === 'string' && typeof m.name === 'string' && !room) {
        roomName = m.room;
        name = m.name;
        room = rooms.get(roomName) ?? new Map<string, WebSocket>();
        rooms.set(roomName, room);
        if (room.has(name)) return reply({ type: 'error', message: `${name} is already in ${roomName}` });
        const peers = [...room.keys()];
        room.set(name, ws);
        reply({ type: 'joined', peers });
        for (const [peer, other] of room) if (peer !== name) other.send(JSON.stringify({ type: 'peer-joined', name }));
      } else if (m.type === 'signal' && room && typeof m.to === 'string') {
        room.get(m.to)?.send(JSON.stringify({ type: 'signal', from: name, data: m.data }));
      } else {
        reply({ type: 'error', message: `unexpected message ${String(m.type)}` });
      }
    });
    ws.on('close', () => {
      if (!room || room.get(name) !== ws) return;
      room.delete(name);
      for (const other of room.values()) other.send(JSON.stringify({ type: 'peer-left', name }));
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
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
