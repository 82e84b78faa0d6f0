/** The STUN client over real UDP sockets on 127.0.0.1: success, timeout, wrong address. */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { sendBindingCheck } from '../../src/cluster/stun.js';
import { startStunResponder, type StunResponder } from './stun-responder.js';

const ufrag = 'jvbU';
const pwd = 'jvb-password-abcdefghijklmn';
let responder: StunResponder | undefined;

afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

describe('sendBindingCheck over UDP on 127.0.0.1', () => {
  it('gets a verified Binding Success from an agent with these credentials', async () => {
    responder = await startStunResponder({ ufrag, pwd });
    const r = await sendBindingCheck({ host: '127.0.0.1', port: responder.port, remoteUfrag: ufrag, remotePassword: pwd, timeoutMs: 2000, localAddress: '127.0.0.1' });
    expect(r.outcome).toBe('success');
    if (r.outcome !== 'success') return;
    expect(r.integrity).toBe('verified');
    expect(r.fingerprint).toBe('ok');
    expect(r.mapped?.address).toBe('127.0.0.1');
    expect(r.mapped?.port).toBeGreaterThan(0);
    expect(r.tries).toBeGreaterThanOrEqual(1);
    expect(responder.valid).toBeGreaterThanOrEqual(1);
  });

  it('times out after 7 tries within the budget when the agent never answers', async () => {
    responder = await startStunResponder({ ufrag, pwd, mode: 'silent' });
    const started = Date.now();
    const r = await sendBindingCheck({ host: '127.0.0.1', port: responder.port, remoteUfrag: ufrag, remotePassword: pwd, timeoutMs: 1500, localAddress: '127.0.0.1' });
    const took = Date.now() - started;
    expect(r).toMatchObject({ outcome: 'timeout', tries: 7, ignored: [] });
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(2500);
    // the retransmissions really went out on the wire
    // the last datagram may still sit in the socket buffer when the give-up timer fires
    await expect.poll(() => responder!.received).toBe(7);
    expect(responder!.valid).toBe(7);
  });

  it('times out (and sends nothing valid) with a wrong password: the agent drops it', async () => {
    responder = await startStunResponder({ ufrag, pwd });
    const r = await sendBindingCheck({ host: '127.0.0.1', port: responder.port, remoteUfrag: ufrag, remotePassword: 'not-the-password-0123456', timeoutMs: 800, localAddress: '127.0.0.1' });
    expect(r.outcome).toBe('timeout');
    // the last datagram may still sit in the socket buffer when the give-up timer fires
    await expect.poll(() => responder!.received).toBe(7);
    expect(responder.valid).toBe(0);
  });

  it('reports wrong-address when the answer comes from another port', async () => {
    responder = await startStunResponder({ ufrag, pwd, mode: 'other-port' });
    const r = await sendBindingCheck({ host: '127.0.0.1', port: responder.port, remoteUfrag: ufrag, remotePassword: pwd, timeoutMs: 2000, localAddress: '127.0.0.1' });
    expect(r.outcome).toBe('wrong-address');
    if (r.outcome !== 'wrong-address') return;
    expect(r.expected).toEqual({ address: '127.0.0.1', port: responder.port });
    expect(r.from.address).toBe('127.0.0.1');
    expect(r.from.port).not.toBe(responder.port);
  });

  it('ignores garbage sent back and still times out, saying what it ignored', async () => {
    const echo = createSocket('udp4');
    await new Promise<void>((res) => echo.bind(0, '127.0.0.1', () => res()));
    echo.on('message', (_buf, rinfo) => echo.send(Buffer.from('not stun'), rinfo.port, rinfo.address));
    try {
      const r = await sendBindingCheck({ host: '127.0.0.1', port: echo.address().port, remoteUfrag: ufrag, remotePassword: pwd, timeoutMs: 600, localAddress: '127.0.0.1' });
      expect(r.outcome).toBe('timeout');
      if (r.outcome !== 'timeout') return;
      expect(r.ignored.length).toBeGreaterThan(0);
      expect(r.ignored[0]?.reason).toMatch(/not a STUN message/);
    } finally {
      echo.close();
    }
  });

  it('stops at once when aborted', async () => {
    responder = await startStunResponder({ ufrag, pwd, mode: 'silent' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('user pressed Ctrl-C')), 100);
    const started = Date.now();
    await expect(
      sendBindingCheck({ host: '127.0.0.1', port: responder.port, remoteUfrag: ufrag, remotePassword: pwd, timeoutMs: 5000, signal: ac.signal, localAddress: '127.0.0.1' }),
    ).rejects.toThrow('Ctrl-C');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
