/**
 * A tiny ICE-lite style STUN responder on 127.0.0.1 for tests: it checks USERNAME and
 * MESSAGE-INTEGRITY like an ICE agent (the JVB) and answers a valid Binding Request with a signed
 * Binding Success. Modes: answer normally, never answer, or answer from another port.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  Attr,
  MessageType,
  checkMessageIntegrity,
  decodeStunMessage,
  encodeStunMessage,
  encodeXorMappedAddress,
  getAttribute,
} from '../../src/cluster/stun.js';

export type ResponderMode = 'answer' | 'silent' | 'other-port';

export interface StunResponder {
  port: number;
  address: string;
  /** requests received, and how many of them had valid credentials */
  received: number;
  valid: number;
  close(): Promise<void>;
}

function bind(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket.address().port));
  });
}

export async function startStunResponder(opts: { ufrag: string; pwd: string; mode?: ResponderMode }): Promise<StunResponder> {
  const mode = opts.mode ?? 'answer';
  const socket = createSocket('udp4');
  const other = createSocket('udp4');
  const port = await bind(socket);
  await bind(other);
  const state: StunResponder = {
    port,
    address: '127.0.0.1',
    received: 0,
    valid: 0,
    close: async () => {
      await Promise.all([new Promise<void>((r) => socket.close(() => r())), new Promise<void>((r) => other.close(() => r()))]);
    },
  };
  socket.on('message', (buf, rinfo) => {
    let msg;
    try {
      msg = decodeStunMessage(buf);
    } catch {
      return;
    }
    if (msg.type !== MessageType.BindingRequest) return;
    state.received++;
    const username = getAttribute(msg, Attr.USERNAME)?.toString() ?? '';
    if (!username.startsWith(`${opts.ufrag}:`) || checkMessageIntegrity(buf, opts.pwd) !== 'ok') return; // like the JVB: drop silently
    state.valid++;
    if (mode === 'silent') return;
    const answer = encodeStunMessage(
      {
        type: MessageType.BindingSuccess,
        transactionId: msg.transactionId,
        attributes: [{ type: Attr.XOR_MAPPED_ADDRESS, value: encodeXorMappedAddress({ address: rinfo.address, port: rinfo.port }, msg.transactionId) }],
      },
      { integrityKey: opts.pwd, fingerprint: true },
    );
    (mode === 'other-port' ? other : socket).send(answer, rinfo.port, rinfo.address);
  });
  return state;
}
