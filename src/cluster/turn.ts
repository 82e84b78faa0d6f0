/**
 * A TURN allocation over UDP (RFC 8656; long-term credentials, RFC 8489 9.2): Allocate → 401 with
 * REALM and NONCE → signed Allocate → relayed address, then a Refresh with LIFETIME 0 releases it.
 * Credentials come from coturn's shared secret the way Jitsi hands them to browsers (the TURN REST
 * scheme coturn calls use-auth-secret: username `<expiry>:<name>`, password base64 HMAC-SHA1).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import {
  Attr,
  checkMessageIntegrity,
  decodeErrorCode,
  decodeStunMessage,
  decodeXorMappedAddress,
  encodeStunMessage,
  getAttribute,
  looksLikeStun,
  retransmitSchedule,
  u32,
  type StunAttribute,
  type StunMessage,
  type TransportAddress,
} from './stun.js';
import type { VerifyCheck } from './verify-check.js';

export const TurnMethod = {
  AllocateRequest: 0x0003,
  AllocateSuccess: 0x0103,
  AllocateError: 0x0113,
  RefreshRequest: 0x0004,
  RefreshSuccess: 0x0104,
  RefreshError: 0x0114,
} as const;

export const TurnAttr = {
  LIFETIME: 0x000d,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
} as const;

const UDP_TRANSPORT = Buffer.from([17, 0, 0, 0]);

/** TURN REST credentials from coturn's static-auth-secret, valid for ttlSeconds. */
export function turnRestCredentials(secret: string, ttlSeconds: number, name = 'jitsi-k8s-verify', nowMs = Date.now()): { username: string; password: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${name}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The long-term credential key: MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest();
}

export interface TurnAllocationInput {
  host: string;
  port: number;
  username: string;
  password: string;
  /** budget of each transaction, retransmissions included */
  timeoutMs: number;
  signal?: AbortSignal;
}

export type TurnAllocationResult =
  | { outcome: 'allocated'; relayed: TransportAddress; mapped?: TransportAddress; lifetimeSeconds?: number; realm: string; rttMs: number; released: boolean; releaseError?: string }
  | { outcome: 'refused'; code: number; reason: string; realm?: string; step: 'unauthenticated' | 'authenticated' }
  | { outcome: 'timeout'; elapsedMs: number; tries: number; step: 'unauthenticated' | 'authenticated' }
  | { outcome: 'network-error'; code: string; message: string };

type Answer = { message: StunMessage; raw: Buffer; rttMs: number } | { timeout: true; elapsedMs: number; tries: number };

/** One request/answer transaction on RFC timers over a shared socket. */
function transact(
  socket: ReturnType<typeof createSocket>,
  target: TransportAddress,
  request: Buffer,
  transactionId: Buffer,
  timeoutMs: number,
): Promise<Answer> {
  const { sendAt, giveUpAt } = retransmitSchedule(timeoutMs);
  const started = performance.now();
  const timers: NodeJS.Timeout[] = [];
  let tries = 0;
  return new Promise<Answer>((resolve, reject) => {
    const onMessage = (buf: Buffer, rinfo: RemoteInfo) => {
      if (rinfo.port !== target.port || !looksLikeStun(buf)) return;
      let message: StunMessage;
      try {
        message = decodeStunMessage(buf);
      } catch {
        return;
      }
      if (!message.transactionId.equals(transactionId)) return;
      done();
      resolve({ message, raw: buf, rttMs: Math.round(performance.now() - started) });
    };
    const done = () => {
      for (const t of timers) clearTimeout(t);
      socket.off('message', onMessage);
    };
    socket.on('message', onMessage);
    for (const at of sendAt) {
      timers.push(
        setTimeout(() => {
          tries++;
          socket.send(request, target.port, target.address, (err) => {
            if (err) {
              done();
              reject(err);
            }
          });
        }, at),
      );
    }
    timers.push(
      setTimeout(() => {
        done();
        resolve({ timeout: true, elapsedMs: Math.round(performance.now() - started), tries });
      }, giveUpAt),
    );
  });
}

const text = (b: Buffer | undefined) => b?.toString('utf8');

function errorOf(message: StunMessage): { code: number; reason: string } {
  const ec = getAttribute(message, Attr.ERROR_CODE);
  return ec ? decodeErrorCode(ec) : { code: 0, reason: 'no ERROR-CODE' };
}

/** Allocates a UDP relay, reads the relayed and mapped addresses, and releases the allocation. */
export async function allocateTurnRelay(input: TurnAllocationInput): Promise<TurnAllocationResult> {
  const target = { address: input.host, port: input.port };
  const socket = createSocket({ type: isIPv6(input.host) ? 'udp6' : 'udp4' });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(input.signal?.reason instanceof Error ? input.signal.reason : new Error('aborted'));
    if (input.signal?.aborted) onAbort();
    else input.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const socketError = new Promise<never>((_, reject) => socket.once('error', reject));
  socketError.catch(() => undefined);
  const ask = (request: Buffer, id: Buffer) => Promise.race([transact(socket, target, request, id, input.timeoutMs), aborted, socketError]);
  try {
    await Promise.race([new Promise<void>((resolve) => socket.bind(0, resolve)), aborted, socketError]);
    const allocate = (extra: StunAttribute[], key?: Buffer) => {
      const id = randomBytes(12);
      const attributes = [{ type: TurnAttr.REQUESTED_TRANSPORT, value: UDP_TRANSPORT }, ...extra];
      return { id, bytes: encodeStunMessage({ type: TurnMethod.AllocateRequest, transactionId: id, attributes }, key ? { integrityKey: key, fingerprint: true } : { fingerprint: true }) };
    };
    const first = allocate([]);
    const challenge = await ask(first.bytes, first.id);
    if ('timeout' in challenge) return { outcome: 'timeout', elapsedMs: challenge.elapsedMs, tries: challenge.tries, step: 'unauthenticated' };
    const { code, reason } = errorOf(challenge.message);
    const realm = text(getAttribute(challenge.message, TurnAttr.REALM));
    const nonce = text(getAttribute(challenge.message, TurnAttr.NONCE));
    if (challenge.message.type !== TurnMethod.AllocateError || code !== 401 || realm === undefined || nonce === undefined) {
      // a server that allocates without credentials is an open relay; report it as the refusal it should have been
      return { outcome: 'refused', code, reason: challenge.message.type === TurnMethod.AllocateSuccess ? 'allocated without credentials (an open relay)' : reason, ...(realm ? { realm } : {}), step: 'unauthenticated' };
    }
    const key = longTermKey(input.username, realm, input.password);
    const credentials = (n: string): StunAttribute[] => [
      { type: Attr.USERNAME, value: Buffer.from(input.username, 'utf8') },
      { type: TurnAttr.REALM, value: Buffer.from(realm, 'utf8') },
      { type: TurnAttr.NONCE, value: Buffer.from(n, 'utf8') },
    ];
    const signed = allocate(credentials(nonce), key);
    const answer = await ask(signed.bytes, signed.id);
    if ('timeout' in answer) return { outcome: 'timeout', elapsedMs: answer.elapsedMs, tries: answer.tries, step: 'authenticated' };
    if (answer.message.type !== TurnMethod.AllocateSuccess) return { outcome: 'refused', ...errorOf(answer.message), realm, step: 'authenticated' };
    if (checkMessageIntegrity(answer.raw, key) !== 'ok') return { outcome: 'refused', code: 0, reason: 'the success answer is not signed with our credentials', realm, step: 'authenticated' };
    const relayedValue = getAttribute(answer.message, TurnAttr.XOR_RELAYED_ADDRESS);
    if (!relayedValue) return { outcome: 'refused', code: 0, reason: 'success without XOR-RELAYED-ADDRESS', realm, step: 'authenticated' };
    const { address, port } = decodeXorMappedAddress(relayedValue, signed.id);
    const mappedValue = getAttribute(answer.message, Attr.XOR_MAPPED_ADDRESS);
    const mapped = mappedValue ? decodeXorMappedAddress(mappedValue, signed.id) : undefined;
    const lifetime = getAttribute(answer.message, TurnAttr.LIFETIME)?.readUInt32BE(0);
    const releaseError = await release(ask, credentials, nonce, key);
    return {
      outcome: 'allocated',
      relayed: { address, port },
      ...(mapped ? { mapped: { address: mapped.address, port: mapped.port } } : {}),
      ...(lifetime !== undefined ? { lifetimeSeconds: lifetime } : {}),
      realm,
      rttMs: answer.rttMs,
      released: releaseError === undefined,
      ...(releaseError ? { releaseError } : {}),
    };
  } catch (e) {
    if (input.signal?.aborted) throw e;
    const err = e as NodeJS.ErrnoException;
    return { outcome: 'network-error', code: err.code ?? 'ERROR', message: err.message };
  } finally {
    if (onAbort) input.signal?.removeEventListener('abort', onAbort);
    socket.close();
  }
}

/** Refresh with LIFETIME 0 (RFC 8656 7.2); a stale nonce (438) is retried once with the new one. */
async function release(
  ask: (request: Buffer, id: Buffer) => Promise<Answer>,
  credentials: (nonce: string) => StunAttribute[],
  nonce: string,
  key: Buffer,
): Promise<string | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const id = randomBytes(12);
    const bytes = encodeStunMessage(
      { type: TurnMethod.RefreshRequest, transactionId: id, attributes: [{ type: TurnAttr.LIFETIME, value: u32(0) }, ...credentials(nonce)] },
      { integrityKey: key, fingerprint: true },
    );
    const answer = await ask(bytes, id);
    if ('timeout' in answer) return `no answer to the release within ${answer.elapsedMs} ms`;
    if (answer.message.type === TurnMethod.RefreshSuccess) return undefined;
    const { code, reason } = errorOf(answer.message);
    const fresh = text(getAttribute(answer.message, TurnAttr.NONCE));
    if (code === 438 && fresh) {
      nonce = fresh;
      continue;
    }
    return `release refused: ${code} ${reason}`;
  }
  return 'release refused: stale nonce twice';
}

// ---------------------------------------------------------------- the row of verify's table

export function turnCheck(target: string, r: TurnAllocationResult): VerifyCheck {
  const base = { id: 'turn', title: 'TURN relay' };
  const details = { target, ...r };
  switch (r.outcome) {
    case 'allocated': {
      const message = `${target}: relay ${r.relayed.address}:${r.relayed.port} allocated in ${r.rttMs} ms (realm ${r.realm}${r.mapped ? `; it sees us as ${r.mapped.address}:${r.mapped.port}` : ''})`;
      if (!r.released) return { ...base, verdict: 'warn', message: `${message}; ${r.releaseError}`, hint: 'coturn drops the allocation when its lifetime ends', details };
      return { ...base, verdict: 'ok', message: `${message}; released`, details };
    }
    case 'refused':
      if (r.step === 'authenticated' && (r.code === 401 || r.code === 441)) {
        return {
          ...base,
          verdict: 'fail',
          message: `${target}: credentials refused (${r.code} ${r.reason}${r.realm ? `, realm ${r.realm}` : ''})`,
          hint: 'coturn\'s static-auth-secret differs from turnSecret in the secrets file (the chart\'s coturn.staticAuth.secret): re-run `jitsi-k8s apply`',
          details,
        };
      }
      return {
        ...base,
        verdict: 'fail',
        message: `${target}: allocation refused (${r.code ? `${r.code} ` : ''}${r.reason})`,
        hint: r.code === 486 ? 'this client already holds too many allocations: wait for them to expire' : r.code === 508 ? 'coturn has no free relay port: widen its min-port/max-port range' : 'look at the coturn log: `kubectl logs -n <ns> -l app.kubernetes.io/component=coturn`',
        details,
      };
    case 'timeout':
      return {
        ...base,
        verdict: 'fail',
        message: `${target}: no answer after ${r.tries} tries in ${(r.elapsedMs / 1000).toFixed(1)} s`,
        hint: 'UDP to the TURN port does not reach coturn: the coturn Service (LoadBalancer) must carry UDP 3478, and firewalls must pass it; the TURN host name must resolve to that Service',
        details,
      };
    case 'network-error':
      return {
        ...base,
        verdict: 'fail',
        message: `${target}: ${r.message}`,
        hint: /ENOTFOUND|EAI_AGAIN/.test(r.code) ? 'the TURN host does not resolve: create its DNS record (exposure.turn.host, default turn.<domain>) pointing at the coturn Service' : 'this machine cannot send to the TURN address',
        details,
      };
  }
}
