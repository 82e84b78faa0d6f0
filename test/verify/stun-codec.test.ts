import { describe, expect, it } from 'vitest';
import {
  Attr,
  MessageType,
  checkFingerprint,
  checkMessageIntegrity,
  classifyAnswer,
  decodeErrorCode,
  decodeStunMessage,
  decodeXorMappedAddress,
  encodeBindingRequest,
  encodeErrorCode,
  encodeStunMessage,
  encodeXorMappedAddress,
  getAttribute,
  icePriority,
  retransmitSchedule,
  u32,
  u64,
} from '../../src/cluster/stun.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 5769 ("Test Vectors for STUN"), sections 2.1-2.3. Its values pad attributes with 0x20.
const RFC5769_PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';
const RFC5769_TID = hex('b7 e7 a7 01 bc 34 d6 86 fa 87 df ae');
const RFC5769_REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);
const RFC5769_IPV4_RESPONSE = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);
const RFC5769_IPV6_RESPONSE = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);

describe('RFC 5769 sample request (2.1)', () => {
  it('decodes, and its MESSAGE-INTEGRITY and FINGERPRINT check out', () => {
    const msg = decodeStunMessage(RFC5769_REQUEST);
    expect(msg.type).toBe(MessageType.BindingRequest);
    expect(msg.transactionId.equals(RFC5769_TID)).toBe(true);
    expect(getAttribute(msg, Attr.USERNAME)?.toString()).toBe('evtj:h6vY');
    expect(getAttribute(msg, Attr.PRIORITY)?.readUInt32BE(0)).toBe(0x6e0001ff);
    expect(getAttribute(msg, Attr.ICE_CONTROLLED)?.readBigUInt64BE(0)).toBe(0x932ff9b151263b36n);
    expect(checkMessageIntegrity(RFC5769_REQUEST, RFC5769_PASSWORD)).toBe('ok');
    expect(checkMessageIntegrity(RFC5769_REQUEST, 'wrong password')).toBe('bad');
    expect(checkFingerprint(RFC5769_REQUEST)).toBe('ok');
  });

  it('is re-encoded byte for byte from its attributes', () => {
    const encoded = encodeStunMessage(
      {
        type: MessageType.BindingRequest,
        transactionId: RFC5769_TID,
        attributes: [
          { type: Attr.SOFTWARE, value: Buffer.from('STUN test client') },
          { type: Attr.PRIORITY, value: u32(0x6e0001ff) },
          { type: Attr.ICE_CONTROLLED, value: u64(0x932ff9b151263b36n) },
          { type: Attr.USERNAME, value: Buffer.from('evtj:h6vY') },
        ],
      },
      { integrityKey: RFC5769_PASSWORD, fingerprint: true, padByte: 0x20 },
    );
    expect(encoded.toString('hex')).toBe(RFC5769_REQUEST.toString('hex'));
  });

  it('detects a flipped bit', () => {
    const broken = Buffer.from(RFC5769_REQUEST);
    broken[30] = broken[30]! ^ 1; // inside PRIORITY
    expect(checkMessageIntegrity(broken, RFC5769_PASSWORD)).toBe('bad');
    expect(checkFingerprint(broken)).toBe('bad');
  });
});

describe('RFC 5769 sample responses (2.2, 2.3)', () => {
  it('IPv4: XOR-MAPPED-ADDRESS 192.0.2.1:32853, integrity and fingerprint', () => {
    const msg = decodeStunMessage(RFC5769_IPV4_RESPONSE);
    expect(msg.type).toBe(MessageType.BindingSuccess);
    expect(decodeXorMappedAddress(getAttribute(msg, Attr.XOR_MAPPED_ADDRESS)!, RFC5769_TID)).toEqual({ family: 'IPv4', address: '192.0.2.1', port: 32853 });
    expect(checkMessageIntegrity(RFC5769_IPV4_RESPONSE, RFC5769_PASSWORD)).toBe('ok');
    expect(checkFingerprint(RFC5769_IPV4_RESPONSE)).toBe('ok');
    const again = encodeStunMessage(
      {
        type: MessageType.BindingSuccess,
        transactionId: RFC5769_TID,
        attributes: [
          { type: Attr.SOFTWARE, value: Buffer.from('test vector') },
          { type: Attr.XOR_MAPPED_ADDRESS, value: encodeXorMappedAddress({ address: '192.0.2.1', port: 32853 }, RFC5769_TID) },
        ],
      },
      { integrityKey: RFC5769_PASSWORD, fingerprint: true, padByte: 0x20 },
    );
    expect(again.toString('hex')).toBe(RFC5769_IPV4_RESPONSE.toString('hex'));
  });

  it('IPv6: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853', () => {
    const msg = decodeStunMessage(RFC5769_IPV6_RESPONSE);
    const xma = getAttribute(msg, Attr.XOR_MAPPED_ADDRESS)!;
    expect(decodeXorMappedAddress(xma, RFC5769_TID)).toEqual({ family: 'IPv6', address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
    expect(encodeXorMappedAddress({ address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }, RFC5769_TID).equals(xma)).toBe(true);
    expect(checkMessageIntegrity(RFC5769_IPV6_RESPONSE, RFC5769_PASSWORD)).toBe('ok');
    expect(checkFingerprint(RFC5769_IPV6_RESPONSE)).toBe('ok');
    expect(classifyAnswer(RFC5769_IPV6_RESPONSE, RFC5769_TID, RFC5769_PASSWORD)).toEqual({
      kind: 'success',
      mapped: { address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 },
      fingerprint: 'ok',
    });
  });
});

describe('our Binding Request', () => {
  const tid = Buffer.alloc(12, 7);
  const req = encodeBindingRequest({ transactionId: tid, remoteUfrag: 'RemU', localUfrag: 'locl', remotePassword: 'remote-password-0123456789', tieBreaker: 42n });

  it('carries USERNAME remote:local, PRIORITY, ICE-CONTROLLING, then MESSAGE-INTEGRITY and FINGERPRINT last', () => {
    const msg = decodeStunMessage(req);
    expect(msg.type).toBe(MessageType.BindingRequest);
    expect(msg.attributes.map((a) => a.type)).toEqual([Attr.USERNAME, Attr.PRIORITY, Attr.ICE_CONTROLLING, Attr.MESSAGE_INTEGRITY, Attr.FINGERPRINT]);
    expect(getAttribute(msg, Attr.USERNAME)?.toString()).toBe('RemU:locl');
    expect(getAttribute(msg, Attr.PRIORITY)?.readUInt32BE(0)).toBe(icePriority(110));
    expect(icePriority(110)).toBe(1862270975);
    expect(getAttribute(msg, Attr.ICE_CONTROLLING)?.readBigUInt64BE(0)).toBe(42n);
    expect(req.length % 4).toBe(0);
    expect(checkMessageIntegrity(req, 'remote-password-0123456789')).toBe('ok');
    expect(checkMessageIntegrity(req, 'remote-password-012345678X')).toBe('bad');
    expect(checkFingerprint(req)).toBe('ok');
  });

  it('uses ICE-CONTROLLED when asked', () => {
    const r = decodeStunMessage(encodeBindingRequest({ transactionId: tid, remoteUfrag: 'a', localUfrag: 'b', remotePassword: 'p', role: 'controlled' }));
    expect(getAttribute(r, Attr.ICE_CONTROLLED)).toBeDefined();
    expect(getAttribute(r, Attr.ICE_CONTROLLING)).toBeUndefined();
  });
});

describe('classifyAnswer', () => {
  const tid = Buffer.alloc(12, 9);
  const pwd = 'answer-password-0123456789';
  const success = (opts: { key?: string; fingerprint?: boolean; t?: Buffer } = {}) =>
    encodeStunMessage(
      {
        type: MessageType.BindingSuccess,
        transactionId: opts.t ?? tid,
        attributes: [{ type: Attr.XOR_MAPPED_ADDRESS, value: encodeXorMappedAddress({ address: '10.1.2.3', port: 4567 }, opts.t ?? tid) }],
      },
      { integrityKey: opts.key ?? pwd, fingerprint: opts.fingerprint ?? true },
    );

  it('accepts a verified success and reads the mapped address', () => {
    expect(classifyAnswer(success(), tid, pwd)).toEqual({ kind: 'success', mapped: { address: '10.1.2.3', port: 4567 }, fingerprint: 'ok' });
    expect(classifyAnswer(success({ fingerprint: false }), tid, pwd)).toMatchObject({ kind: 'success', fingerprint: 'absent' });
  });
  it('ignores a success signed with another password, another transaction, a bad fingerprint, garbage', () => {
    expect(classifyAnswer(success({ key: 'someone-else-0123456789' }), tid, pwd)).toEqual({ kind: 'ignore', reason: 'success with a wrong MESSAGE-INTEGRITY' });
    expect(classifyAnswer(success({ t: Buffer.alloc(12, 1) }), tid, pwd)).toEqual({ kind: 'ignore', reason: 'another transaction id' });
    const bad = success();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    expect(classifyAnswer(bad, tid, pwd)).toEqual({ kind: 'ignore', reason: 'bad FINGERPRINT' });
    expect(classifyAnswer(Buffer.from('hello, not stun at all'), tid, pwd).kind).toBe('ignore');
  });
  it('reads a Binding Error (code and reason)', () => {
    const err = encodeStunMessage(
      { type: MessageType.BindingError, transactionId: tid, attributes: [{ type: Attr.ERROR_CODE, value: encodeErrorCode(487, 'Role Conflict') }] },
      { fingerprint: true },
    );
    expect(classifyAnswer(err, tid, pwd)).toEqual({ kind: 'error', code: 487, reason: 'Role Conflict', integrity: 'absent' });
    expect(decodeErrorCode(encodeErrorCode(401, 'Unauthorized'))).toEqual({ code: 401, reason: 'Unauthorized' });
  });
});

describe('retransmitSchedule', () => {
  it('sends 7 tries on doubling intervals and gives up within the budget', () => {
    const { sendAt, giveUpAt } = retransmitSchedule(5000);
    expect(sendAt).toHaveLength(7);
    expect(sendAt[0]).toBe(0);
    for (let i = 2; i < sendAt.length; i++) {
      const gap = sendAt[i]! - sendAt[i - 1]!;
      const prev = sendAt[i - 1]! - sendAt[i - 2]!;
      expect(Math.abs(gap - 2 * prev)).toBeLessThanOrEqual(1);
    }
    expect(sendAt[6]).toBeLessThan(5000);
    expect(giveUpAt).toBe(5000);
    // the last wait is Rm (16) × RTO, as in RFC 8489 6.2.1
    const rto = sendAt[1]!;
    expect(giveUpAt - sendAt[6]!).toBeGreaterThanOrEqual(15 * rto);
  });
});
