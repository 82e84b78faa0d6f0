/**
 * Logs in to a real prosody over XMPP WebSocket (RFC 7395) with SASL SCRAM (RFC 5802), as a Jitsi
 * Meet page logs in to a secure domain: open the stream, read the mechanisms, run SCRAM-SHA-1 (or
 * -256 when offered) and check the server's signature. Test-only: the product never logs in.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import WebSocket from 'ws';

export type LoginResult = { outcome: 'success'; mechanism: string } | { outcome: 'failure'; condition: string; mechanism: string } | { outcome: 'no-scram'; mechanisms: string[] };

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

function session(url: string): Promise<{ send: (xml: string) => void; next: (match: RegExp) => Promise<string>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['xmpp']);
    const inbox: string[] = [];
    const waiting: { match: RegExp; resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
    const deliver = () => {
      for (const w of [...waiting]) {
        const i = inbox.findIndex((m) => w.match.test(m));
        if (i >= 0) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(inbox.splice(i, 1)[0]!);
        }
      }
    };
    ws.on('message', (d) => {
      inbox.push(d.toString());
      deliver();
    });
    ws.on('error', reject);
    ws.on('close', () => waiting.forEach((w) => w.reject(new Error(`socket closed while waiting for ${w.match}; got ${inbox.join(' | ')}`))));
    ws.on('open', () =>
      resolve({
        send: (xml) => ws.send(xml),
        next: (match) =>
          new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`no ${match} within 5 s; got ${inbox.join(' | ')}`)), 5000);
            waiting.push({ match, resolve: (s) => (clearTimeout(timer), res(s)), reject: (e) => (clearTimeout(timer), rej(e)) });
            deliver();
          }),
        close: () => {
          try {
            ws.send(`<close xmlns="${FRAMING}"/>`);
          } catch {
            /* already closed */
          }
          ws.close();
        },
      }),
    );
  });
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const body = (xml: string) => />([^<]*)</.exec(xml)?.[1] ?? '';
const saslName = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

/** One SASL SCRAM login of user@domain with password; the socket is closed afterwards. */
export async function scramLogin(wsUrl: string, domain: string, user: string, password: string): Promise<LoginResult> {
  const s = await session(wsUrl);
  try {
    s.send(`<open xmlns="${FRAMING}" to="${domain}" version="1.0"/>`);
    const features = await s.next(/<stream:features|<features/);
    const mechanisms = [...features.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]!);
    const mechanism = ['SCRAM-SHA-256', 'SCRAM-SHA-1'].find((m) => mechanisms.includes(m));
    if (!mechanism) return { outcome: 'no-scram', mechanisms };
    const hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha1';
    const cnonce = randomBytes(18).toString('base64url');
    const clientFirstBare = `n=${saslName(user)},r=${cnonce}`;
    s.send(`<auth xmlns="${SASL}" mechanism="${mechanism}">${b64(`n,,${clientFirstBare}`)}</auth>`);
    const challenge = await s.next(/<challenge|<failure/);
    if (challenge.startsWith('<failure')) return { outcome: 'failure', condition: /<([a-z-]+)\/>/.exec(challenge)?.[1] ?? challenge, mechanism };
    const serverFirst = unb64(body(challenge));
    const fields = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
    if (!fields.r?.startsWith(cnonce)) throw new Error(`server nonce ${fields.r} does not extend ours`);
    const salted = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(fields.s!, 'base64'), Number(fields.i), hash === 'sha1' ? 20 : 32, hash);
    const clientKey = createHmac(hash, salted).update('Client Key').digest();
    const storedKey = createHash(hash).update(clientKey).digest();
    const finalNoProof = `c=${b64('n,,')},r=${fields.r}`;
    const authMessage = `${clientFirstBare},${serverFirst},${finalNoProof}`;
    const signature = createHmac(hash, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    s.send(`<response xmlns="${SASL}">${b64(`${finalNoProof},p=${proof.toString('base64')}`)}</response>`);
    const outcome = await s.next(/<success|<failure/);
    if (outcome.startsWith('<failure')) return { outcome: 'failure', condition: /<([a-z-]+)\/>/.exec(outcome)?.[1] ?? outcome, mechanism };
    const serverKey = createHmac(hash, salted).update('Server Key').digest();
    const expected = createHmac(hash, serverKey).update(authMessage).digest('base64');
    if (unb64(body(outcome)) !== `v=${expected}`) throw new Error('the server signature does not match: not the prosody that holds this account');
    return { outcome: 'success', mechanism };
  } finally {
    s.close();
  }
}
