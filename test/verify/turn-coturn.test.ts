/**
 * TURN allocation against a real coturn on 127.0.0.1: long-term credentials (user u:p on argv,
 * the lead's recipe) and the TURN REST scheme the chart configures (use-auth-secret), plus what
 * verify reports for refused credentials and for a port nobody answers.
 */
import { createSocket } from 'node:dgram';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateTurnRelay, turnCheck, turnRestCredentials } from '../../src/cluster/turn.js';
import { startCoturn, systemTool, type Coturn } from './servers.js';

const turnserver = systemTool('turnserver');
const SECRET = 'verify-test-static-auth-secret-0123';

describe('turnRestCredentials', () => {
  it('username is <expiry>:<name>, password base64 HMAC-SHA1 of it under the secret', () => {
    const c = turnRestCredentials('s3cret', 600, 'probe', 1_700_000_000_000);
    expect(c.username).toBe('1700000600:probe');
    expect(c.password).toBe(createHmac('sha1', 's3cret').update('1700000600:probe').digest('base64'));
  });
});

describe.skipIf(!turnserver)('TURN allocation against real coturn', () => {
  let longTerm: Coturn;
  let restApi: Coturn;

  beforeAll(async () => {
    [longTerm, restApi] = await Promise.all([startCoturn(turnserver!, { user: 'u', password: 'p' }, 'lt.test'), startCoturn(turnserver!, { secret: SECRET }, 'turn.meet.test')]);
  }, 40_000);

  afterAll(async () => {
    await Promise.all([longTerm?.close(), restApi?.close()]);
  });

  it('long-term credentials: a relay on 127.0.0.1 is allocated, then released', async () => {
    const r = await allocateTurnRelay({ host: '127.0.0.1', port: longTerm.port, username: 'u', password: 'p', timeoutMs: 3000 });
    expect(r, longTerm.log()).toMatchObject({ outcome: 'allocated', realm: 'lt.test', relayed: { address: '127.0.0.1' }, mapped: { address: '127.0.0.1' }, released: true });
    if (r.outcome !== 'allocated') throw new Error('not allocated');
    expect(r.relayed.port).toBeGreaterThan(0);
    expect(r.lifetimeSeconds).toBeGreaterThan(0);
    const row = turnCheck(`127.0.0.1:${longTerm.port}/udp`, r);
    expect(row).toMatchObject({ id: 'turn', verdict: 'ok' });
    expect(row.message).toMatch(/relay 127\.0\.0\.1:\d+ allocated in \d+ ms \(realm lt\.test; it sees us as 127\.0\.0\.1:\d+\); released/);
  });

  it('a wrong password is refused after the challenge: 401 with the static-auth-secret hint', async () => {
    const r = await allocateTurnRelay({ host: '127.0.0.1', port: longTerm.port, username: 'u', password: 'wrong', timeoutMs: 3000 });
    expect(r).toMatchObject({ outcome: 'refused', code: 401, step: 'authenticated', realm: 'lt.test' });
    const row = turnCheck('x', r);
    expect(row.verdict).toBe('fail');
    expect(row.hint).toMatch(/static-auth-secret differs from turnSecret/);
  });

  it('the chart\'s scheme: REST credentials from the shared secret allocate; another secret is refused', async () => {
    const ok = await allocateTurnRelay({ host: '127.0.0.1', port: restApi.port, ...turnRestCredentials(SECRET, 600), timeoutMs: 3000 });
    expect(ok, restApi.log()).toMatchObject({ outcome: 'allocated', realm: 'turn.meet.test', released: true });
    const refused = await allocateTurnRelay({ host: '127.0.0.1', port: restApi.port, ...turnRestCredentials('another-secret-entirely-000', 600), timeoutMs: 3000 });
    expect(refused).toMatchObject({ outcome: 'refused', code: 401, step: 'authenticated' });
    // an expired REST username is refused too (coturn checks the timestamp)
    const expired = await allocateTurnRelay({ host: '127.0.0.1', port: restApi.port, ...turnRestCredentials(SECRET, -60), timeoutMs: 3000 });
    expect(expired).toMatchObject({ outcome: 'refused', step: 'authenticated' });
  });
});

describe('TURN allocation without a server', () => {
  it('a UDP port nobody answers times out with the Service/firewall hint', async () => {
    // a bound socket that never answers: the datagrams arrive and are dropped
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    try {
      const port = silent.address().port;
      const r = await allocateTurnRelay({ host: '127.0.0.1', port, username: 'u', password: 'p', timeoutMs: 800 });
      expect(r).toMatchObject({ outcome: 'timeout', step: 'unauthenticated', tries: 7 });
      const row = turnCheck(`127.0.0.1:${port}/udp`, r);
      expect(row).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/no answer after 7 tries in 0\.\d s/) });
      expect(row.hint).toMatch(/must carry UDP 3478/);
    } finally {
      silent.close();
    }
  });
});
