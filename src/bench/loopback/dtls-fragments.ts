/**
 * DTLS handshake reassembly for the forwarding unit's werift connections. Chrome's ClientHello
 * (with its post-quantum key share, ~1,250 bytes) arrives in two fragments; werift (0.24.4, and
 * still 0.25.2) joins whatever fragments it buffered once one ends a message, so under packet loss
 * a lost fragment plus its retransmission make a malformed ClientHello and the handshake fails for
 * good. Here a message is handed on only when its fragments cover it, whatever their order or
 * repetitions. test/bench/dtls-fragments.test.ts holds werift's own reassembly to the orders it
 * still gets wrong: when a release gets them right, that test fails and this file can go.
 */

/** A DTLS handshake message fragment, with werift's field names. */
export interface HandshakeFragment {
  msg_type: number;
  length: number;
  message_seq: number;
  fragment_offset: number;
  fragment_length: number;
  fragment: Buffer;
}

/**
 * Adds `incoming` to the fragments `buffered` so far. `complete` holds the whole messages, each
 * as one unfragmented message or as fragments that cover it (ordered by offset, repeats allowed);
 * `buffered` what still waits for its missing parts.
 */
export function collectFragments(buffered: HandshakeFragment[], incoming: HandshakeFragment[]): { complete: HandshakeFragment[]; buffered: HandshakeFragment[] } {
  const complete = incoming.filter((f) => f.fragment_length === f.length);
  let waiting = [...buffered, ...incoming.filter((f) => f.fragment_length !== f.length)];
  const key = (f: HandshakeFragment) => `${f.message_seq}/${f.msg_type}`;
  for (const k of new Set(incoming.filter((f) => f.fragment_length !== f.length).map(key))) {
    const parts = waiting.filter((f) => key(f) === k).sort((a, b) => a.fragment_offset - b.fragment_offset);
    let covered = 0;
    for (const p of parts) {
      if (p.fragment_offset > covered) break;
      covered = Math.max(covered, p.fragment_offset + p.fragment_length);
    }
    if (covered < parts[0]!.length) continue;
    complete.push(...parts);
    // a completed message makes its own leftovers and any older message's obsolete
    const seq = parts[0]!.message_seq;
    waiting = waiting.filter((f) => f.message_seq > seq);
  }
  return { complete, buffered: waiting };
}

type Werift = typeof import('werift');
const patched = new WeakSet<object>();

/** Makes werift's DTLS sockets reassemble handshake fragments with `collectFragments` (once per loaded werift). */
export function reassembleDtlsFragments(w: Werift): void {
  const proto = w.DtlsSocket.prototype as unknown as { handleFragmentHandshake(this: { bufferFragmentedHandshakes: HandshakeFragment[] }, m: HandshakeFragment[]): HandshakeFragment[] };
  if (patched.has(proto)) return;
  patched.add(proto);
  proto.handleFragmentHandshake = function (messages) {
    const r = collectFragments(this.bufferFragmentedHandshakes, messages);
    this.bufferFragmentedHandshakes = r.buffered;
    return r.complete;
  };
}
