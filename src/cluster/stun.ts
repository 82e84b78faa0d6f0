/**
 * A small STUN client for ICE connectivity checks (RFC 8489 STUN, RFC 8445 ICE, RFC 5769 vectors):
 * one Binding Request with USERNAME, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY and
 * FINGERPRINT over UDP, retransmitted on RFC timers, and a verified answer.
 * Imports only node builtins so tests can also run it inside a network namespace.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { crc32 } from 'node:zlib';

export const MAGIC_COOKIE = 0x2112a442;
const HEADER_LENGTH = 20;
const FINGERPRINT_XOR = 0x5354554e;

export const MessageType = {
  BindingRequest: 0x0001,
  BindingSuccess: 0x0101,
  BindingError: 0x0111,
} as const;

export const Attr = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  XOR_MAPPED_ADDRESS: 0x0020,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  SOFTWARE: 0x8022,
  FINGERPRINT: 0x8028,
  ICE_CONTROLLED: 0x8029,
  ICE_CONTROLLING: 0x802a,
} as const;

export interface StunAttribute {
  type: number;
  value: Buffer;
}

export interface StunMessage {
  type: number;
  transactionId: Buffer;
  attributes: StunAttribute[];
}

export interface TransportAddress {
  address: string;
  port: number;
}

// ---------------------------------------------------------------- encode

const padded = (n: number) => (n + 3) & ~3;

export interface EncodeOptions {
  /** short-term credential key (the ICE password of the agent that checks the message) */
  integrityKey?: string | Buffer;
  fingerprint?: boolean;
  /** byte used to pad attribute values to 4 bytes; 0 normally (RFC 5769 vectors pad with 0x20) */
  padByte?: number;
}

function attributeBytes(attr: StunAttribute, padByte: number): Buffer {
  const out = Buffer.alloc(4 + padded(attr.value.length), padByte);
  out.writeUInt16BE(attr.type, 0);
  out.writeUInt16BE(attr.value.length, 2);
  attr.value.copy(out, 4);
  return out;
}

function keyBytes(key: string | Buffer): Buffer {
  // short-term credentials: the key is the password (OpaqueString-prepared; ICE passwords are ASCII)
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/** Builds a STUN message; MESSAGE-INTEGRITY and FINGERPRINT are appended last, in that order. */
export function encodeStunMessage(msg: StunMessage, opts: EncodeOptions = {}): Buffer {
  if (msg.transactionId.length !== 12) throw new RangeError('a STUN transaction id has 12 bytes');
  const padByte = opts.padByte ?? 0;
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(msg.type, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  msg.transactionId.copy(header, 8);
  let body = Buffer.concat(msg.attributes.map((a) => attributeBytes(a, padByte)));
  if (opts.integrityKey !== undefined) {
    // the length field covers the MESSAGE-INTEGRITY attribute itself while the HMAC is computed
    header.writeUInt16BE(body.length + 24, 2);
    const hmac = createHmac('sha1', keyBytes(opts.integrityKey)).update(header).update(body).digest();
    body = Buffer.concat([body, attributeBytes({ type: Attr.MESSAGE_INTEGRITY, value: hmac }, padByte)]);
  }
  if (opts.fingerprint) {
    header.writeUInt16BE(body.length + 8, 2);
    const value = Buffer.alloc(4);
    value.writeUInt32BE((crc32(Buffer.concat([header, body])) ^ FINGERPRINT_XOR) >>> 0);
    body = Buffer.concat([body, attributeBytes({ type: Attr.FINGERPRINT, value }, padByte)]);
  }
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

/** ICE priority of a candidate (RFC 8445 5.1.2.1); a check carries that of a peer-reflexive one. */
export function icePriority(typePreference: number, localPreference = 65535, componentId = 1): number {
  return (typePreference * 2 ** 24 + localPreference * 2 ** 8 + (256 - componentId)) >>> 0;
}
export const PEER_REFLEXIVE_PREFERENCE = 110;

export interface BindingRequestInput {
  transactionId: Buffer;
  /** `<remote ufrag>:<local ufrag>` is built from these */
  remoteUfrag: string;
  localUfrag: string;
  /** the remote agent's ICE password: the key of MESSAGE-INTEGRITY */
  remotePassword: string;
  priority?: number;
  /** we are the controlling agent (the JVB endpoint is allocated with ice-controlling false) */
  role?: 'controlling' | 'controlled';
  tieBreaker?: bigint;
  useCandidate?: boolean;
}

export function encodeBindingRequest(input: BindingRequestInput): Buffer {
  const role = input.role ?? 'controlling';
  const attributes: StunAttribute[] = [
    { type: Attr.USERNAME, value: Buffer.from(`${input.remoteUfrag}:${input.localUfrag}`, 'utf8') },
    { type: Attr.PRIORITY, value: u32(input.priority ?? icePriority(PEER_REFLEXIVE_PREFERENCE)) },
    {
      type: role === 'controlling' ? Attr.ICE_CONTROLLING : Attr.ICE_CONTROLLED,
      value: u64(input.tieBreaker ?? randomBytes(8).readBigUInt64BE()),
    },
  ];
  if (input.useCandidate) attributes.push({ type: Attr.USE_CANDIDATE, value: Buffer.alloc(0) });
  return encodeStunMessage(
    { type: MessageType.BindingRequest, transactionId: input.transactionId, attributes },
    { integrityKey: input.remotePassword, fingerprint: true },
  );
}

// ---------------------------------------------------------------- decode

export class StunDecodeError extends Error {
  override name = 'StunDecodeError';
}

/** True when the bytes look like STUN (first two bits zero, magic cookie, 4-byte aligned length). */
export function looksLikeStun(buf: Buffer): boolean {
  return (
    buf.length >= HEADER_LENGTH &&
    (buf[0]! & 0xc0) === 0 &&
    buf.readUInt32BE(4) === MAGIC_COOKIE &&
    buf.readUInt16BE(2) + HEADER_LENGTH === buf.length &&
    buf.readUInt16BE(2) % 4 === 0
  );
}

interface Located extends StunAttribute {
  /** offset of the attribute header in the message */
  offset: number;
}

function decodeLocated(buf: Buffer): { type: number; transactionId: Buffer; attributes: Located[] } {
  if (!looksLikeStun(buf)) throw new StunDecodeError('not a STUN message (header, cookie or length wrong)');
  const attributes: Located[] = [];
  let offset = HEADER_LENGTH;
  while (offset < buf.length) {
    if (offset + 4 > buf.length) throw new StunDecodeError(`truncated attribute header at byte ${offset}`);
    const type = buf.readUInt16BE(offset);
    const length = buf.readUInt16BE(offset + 2);
    if (offset + 4 + length > buf.length) throw new StunDecodeError(`attribute 0x${type.toString(16)} runs past the end`);
    attributes.push({ type, value: buf.subarray(offset + 4, offset + 4 + length), offset });
    offset += 4 + padded(length);
  }
  return { type: buf.readUInt16BE(0), transactionId: buf.subarray(8, 20), attributes };
}

export function decodeStunMessage(buf: Buffer): StunMessage {
  const m = decodeLocated(buf);
  return { type: m.type, transactionId: Buffer.from(m.transactionId), attributes: m.attributes.map(({ type, value }) => ({ type, value: Buffer.from(value) })) };
}

export function getAttribute(msg: StunMessage, type: number): Buffer | undefined {
  return msg.attributes.find((a) => a.type === type)?.value;
}

export type CheckResult = 'ok' | 'absent' | 'bad';

/** Checks MESSAGE-INTEGRITY (HMAC-SHA1 over the message before it, length adjusted). */
export function checkMessageIntegrity(buf: Buffer, key: string | Buffer): CheckResult {
  const m = decodeLocated(buf);
  const mi = m.attributes.find((a) => a.type === Attr.MESSAGE_INTEGRITY);
  if (!mi) return 'absent';
  if (mi.value.length !== 20) return 'bad';
  const covered = Buffer.from(buf.subarray(0, mi.offset));
  covered.writeUInt16BE(mi.offset + 24 - HEADER_LENGTH, 2);
  const expected = createHmac('sha1', keyBytes(key)).update(covered).digest();
  return timingSafeEqual(expected, mi.value) ? 'ok' : 'bad';
}

/** Checks FINGERPRINT (CRC-32 of the message before it XOR 0x5354554e); it must be the last attribute. */
export function checkFingerprint(buf: Buffer): CheckResult {
  const m = decodeLocated(buf);
  const index = m.attributes.findIndex((a) => a.type === Attr.FINGERPRINT);
  if (index < 0) return 'absent';
  const fp = m.attributes[index]!;
  if (index !== m.attributes.length - 1 || fp.value.length !== 4) return 'bad';
  const covered = Buffer.from(buf.subarray(0, fp.offset));
  covered.writeUInt16BE(fp.offset + 8 - HEADER_LENGTH, 2);
  return ((crc32(covered) ^ FINGERPRINT_XOR) >>> 0) === fp.value.readUInt32BE(0) ? 'ok' : 'bad';
}

function ipv6ToBytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const parts = (s: string) => (s === '' ? [] : s.split(':'));
  const h = parts(head);
  const t = tail === undefined ? [] : parts(tail);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function bytesToIpv6(b: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16));
  // collapse the longest run of zero groups (RFC 5952)
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.len).join(':')}`;
}

/** XOR-MAPPED-ADDRESS value → address (RFC 8489 14.2). */
export function decodeXorMappedAddress(value: Buffer, transactionId: Buffer): TransportAddress & { family: 'IPv4' | 'IPv6' } {
  if (value.length < 8) throw new StunDecodeError('XOR-MAPPED-ADDRESS too short');
  const family = value[1];
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const mask = Buffer.concat([u32(MAGIC_COOKIE), transactionId]);
  if (family === 0x01) {
    const ip = Array.from({ length: 4 }, (_, i) => value[4 + i]! ^ mask[i]!);
    return { family: 'IPv4', address: ip.join('.'), port };
  }
  if (family === 0x02 && value.length >= 20) {
    const ip = Buffer.from(Array.from({ length: 16 }, (_, i) => value[4 + i]! ^ mask[i]!));
    return { family: 'IPv6', address: bytesToIpv6(ip), port };
  }
  throw new StunDecodeError(`XOR-MAPPED-ADDRESS with unknown family ${family}`);
}

export function encodeXorMappedAddress(addr: TransportAddress, transactionId: Buffer): Buffer {
  const mask = Buffer.concat([u32(MAGIC_COOKIE), transactionId]);
  const v6 = isIPv6(addr.address);
  const ip = v6 ? ipv6ToBytes(addr.address) : Buffer.from(addr.address.split('.').map(Number));
  const out = Buffer.alloc(4 + ip.length);
  out[1] = v6 ? 0x02 : 0x01;
  out.writeUInt16BE(addr.port ^ (MAGIC_COOKIE >>> 16), 2);
  ip.forEach((b, i) => (out[4 + i] = b ^ mask[i]!));
  return out;
}

export function decodeErrorCode(value: Buffer): { code: number; reason: string } {
  if (value.length < 4) throw new StunDecodeError('ERROR-CODE too short');
  return { code: (value[2]! & 0x07) * 100 + value[3]!, reason: value.subarray(4).toString('utf8') };
}

export function encodeErrorCode(code: number, reason: string): Buffer {
  const out = Buffer.alloc(4);
  out[2] = Math.floor(code / 100);
  out[3] = code % 100;
  return Buffer.concat([out, Buffer.from(reason, 'utf8')]);
}

// ---------------------------------------------------------------- retransmission schedule

/**
 * When to send each try (ms from the start) and when to give up: RFC 8489 6.2.1 doubling timers
 * (Rc tries, a last wait of Rm × RTO), with the RTO chosen so everything fits the budget.
 */
export function retransmitSchedule(budgetMs: number, tries = 7, rm = 16): { sendAt: number[]; giveUpAt: number } {
  const rto = budgetMs / (2 ** (tries - 1) - 1 + rm);
  const sendAt = Array.from({ length: tries }, (_, i) => Math.round(rto * (2 ** i - 1)));
  return { sendAt, giveUpAt: Math.round(budgetMs) };
}

// ---------------------------------------------------------------- the client

export interface BindingCheckInput {
  /** where the remote agent advertised its candidate */
  host: string;
  port: number;
  remoteUfrag: string;
  remotePassword: string;
  /** our own ufrag (random when absent) */
  localUfrag?: string;
  role?: 'controlling' | 'controlled';
  tieBreaker?: bigint;
  /** whole budget including retransmissions; default 5000 ms */
  timeoutMs?: number;
  tries?: number;
  /** local address to bind (default: any address of the target's family) */
  localAddress?: string;
  signal?: AbortSignal;
}

export interface IgnoredAnswer {
  from: TransportAddress;
  reason: string;
}

export type BindingCheckResult =
  | {
      outcome: 'success';
      rttMs: number;
      tries: number;
      /** our address as the remote agent saw it */
      mapped?: TransportAddress;
      integrity: 'verified';
      fingerprint: CheckResult;
    }
  | { outcome: 'error'; rttMs: number; tries: number; code: number; reason: string; integrity: CheckResult }
  | { outcome: 'timeout'; elapsedMs: number; tries: number; ignored: IgnoredAnswer[] }
  | { outcome: 'send-error'; tries: number; code: string; message: string }
  | { outcome: 'wrong-address'; rttMs: number; tries: number; from: TransportAddress; expected: TransportAddress; messageType: number };

/** Reads one answer to our transaction; returns undefined when it is to be ignored (reason in `ignored`). */
export function classifyAnswer(
  buf: Buffer,
  transactionId: Buffer,
  remotePassword: string,
): { kind: 'success'; mapped?: TransportAddress; fingerprint: CheckResult } | { kind: 'error'; code: number; reason: string; integrity: CheckResult } | { kind: 'ignore'; reason: string } {
  let msg: StunMessage;
  try {
    msg = decodeStunMessage(buf);
  } catch (e) {
    return { kind: 'ignore', reason: (e as Error).message };
  }
  if (!msg.transactionId.equals(transactionId)) return { kind: 'ignore', reason: 'another transaction id' };
  const fingerprint = checkFingerprint(buf);
  if (fingerprint === 'bad') return { kind: 'ignore', reason: 'bad FINGERPRINT' };
  if (msg.type === MessageType.BindingSuccess) {
    const integrity = checkMessageIntegrity(buf, remotePassword);
    if (integrity !== 'ok') return { kind: 'ignore', reason: integrity === 'absent' ? 'success without MESSAGE-INTEGRITY' : 'success with a wrong MESSAGE-INTEGRITY' };
    const xma = getAttribute(msg, Attr.XOR_MAPPED_ADDRESS);
    let mapped: TransportAddress | undefined;
    if (xma) {
      const { address, port } = decodeXorMappedAddress(xma, transactionId);
      mapped = { address, port };
    }
    return { kind: 'success', mapped, fingerprint };
  }
  if (msg.type === MessageType.BindingError) {
    const ec = getAttribute(msg, Attr.ERROR_CODE);
    // error answers to bad credentials carry no MESSAGE-INTEGRITY (RFC 8489 9.1.3); report what we saw
    const integrity = checkMessageIntegrity(buf, remotePassword);
    const { code, reason } = ec ? decodeErrorCode(ec) : { code: 0, reason: 'no ERROR-CODE' };
    return { kind: 'error', code, reason, integrity };
  }
  return { kind: 'ignore', reason: `unexpected message type 0x${msg.type.toString(16).padStart(4, '0')}` };
}

const sameAddress = (a: TransportAddress, b: TransportAddress) =>
  a.port === b.port && a.address.replace(/^::ffff:/, '') === b.address.replace(/^::ffff:/, '');

function randomUfrag(): string {
  return randomBytes(6).toString('base64url');
}

/**
 * Sends an ICE connectivity check and waits for a verified answer. A success proves two-way UDP
 * with the agent that owns the credentials; an answer from another ip:port (NAT or a load balancer
 * rewriting the source) is "wrong-address", which ICE would not accept (RFC 8445 7.2.5.2.1).
 */
export async function sendBindingCheck(input: BindingCheckInput): Promise<BindingCheckResult> {
  const transactionId = randomBytes(12);
  const request = encodeBindingRequest({
    transactionId,
    remoteUfrag: input.remoteUfrag,
    localUfrag: input.localUfrag ?? randomUfrag(),
    remotePassword: input.remotePassword,
    role: input.role,
    tieBreaker: input.tieBreaker,
  });
  const target: TransportAddress = { address: input.host, port: input.port };
  const { sendAt, giveUpAt } = retransmitSchedule(input.timeoutMs ?? 5000, input.tries ?? 7);
  const socket: Socket = createSocket({ type: isIPv6(input.host) ? 'udp6' : 'udp4' });
  const timers: NodeJS.Timeout[] = [];
  const ignored: IgnoredAnswer[] = [];
  const started = performance.now();
  let tries = 0;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<BindingCheckResult>((resolve, reject) => {
      const elapsed = () => Math.round(performance.now() - started);
      onAbort = () => reject(input.signal?.reason instanceof Error ? input.signal.reason : new Error('aborted'));
      if (input.signal?.aborted) return onAbort();
      input.signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('error', (err) => reject(err));
      socket.on('message', (buf: Buffer, rinfo: RemoteInfo) => {
        const from = { address: rinfo.address, port: rinfo.port };
        const answer = classifyAnswer(buf, transactionId, input.remotePassword);
        if (answer.kind === 'ignore') {
          if (ignored.length < 20) ignored.push({ from, reason: answer.reason });
          return;
        }
        if (!sameAddress(from, target)) {
          const messageType = buf.readUInt16BE(0);
          return resolve({ outcome: 'wrong-address', rttMs: elapsed(), tries, from, expected: target, messageType });
        }
        if (answer.kind === 'success') {
          return resolve({ outcome: 'success', rttMs: elapsed(), tries, mapped: answer.mapped, integrity: 'verified', fingerprint: answer.fingerprint });
        }
        resolve({ outcome: 'error', rttMs: elapsed(), tries, code: answer.code, reason: answer.reason, integrity: answer.integrity });
      });
      socket.bind({ port: 0, address: input.localAddress }, () => {
        for (const at of sendAt) {
          timers.push(
            setTimeout(() => {
              tries++;
              socket.send(request, input.port, input.host, (err) => {
                // no route, no permission…: a result about the network from here, not a crash
                if (err) resolve({ outcome: 'send-error', tries, code: (err as NodeJS.ErrnoException).code ?? 'ERROR', message: err.message });
              });
            }, at),
          );
        }
        timers.push(setTimeout(() => resolve({ outcome: 'timeout', elapsedMs: elapsed(), tries, ignored }), giveUpAt));
      });
    });
  } finally {
    for (const t of timers) clearTimeout(t);
    if (onAbort) input.signal?.removeEventListener('abort', onAbort);
    socket.close();
  }
}
