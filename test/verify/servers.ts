/**
 * Real servers for verify's signalling and TURN tests, all on 127.0.0.1 with their own temp dirs:
 * Debian's prosody (mod_websocket, mod_bosh, an anonymous VirtualHost), Debian's coturn, and a
 * small TLS proxy that plays the site's ingress (it passes WebSocket upgrades, or strips them,
 * or closes idle tunnels). Every server is stopped by its close(); tests call it in afterAll.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cluster/exec.js';
import { decodeStunMessage, encodeStunMessage, looksLikeStun } from '../../src/cluster/stun.js';

/** The path of a system tool; in CI a missing one fails the test, locally the test may skip saying why. */
export function systemTool(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.status === 0 ? r.stdout.trim() : undefined;
  if (!path && process.env.CI) throw new Error(`${name} is not installed: .ci/run installs it with apt-get (Debian package ${name === 'turnserver' ? 'coturn' : name})`);
  if (!path) console.warn(`skipping: ${name} is not installed here (apt-get install -y ${name === 'turnserver' ? 'coturn' : name})`);
  return path;
}

export async function freeTcpPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A port free for both TCP and UDP on 127.0.0.1 (coturn listens on both). */
export async function freeTcpUdpPort(): Promise<number> {
  for (;;) {
    const port = await freeTcpPort();
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    if (ok) return port;
  }
}

async function waitFor(what: string, probe: () => Promise<boolean>, ms: number, log: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${ms / 1000} s:\n${log()}`);
}

const tcpAnswers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- prosody

export interface Prosody {
  httpPort: number;
  /** its config file and data folder (prosodyctl of a test works on them) */
  configFile: string;
  dataDir: string;
  log(): string;
  close(): Promise<void>;
}

/**
 * prosody 0.12 in the foreground: HTTP (BOSH + WebSocket) on a loopback port, an anonymous VirtualHost,
 * and optionally a second one that needs accounts (a Jitsi "secure domain": internal_hashed).
 */
export async function startProsody(bin: string, xmppDomain: string, opts: { secureDomain?: string } = {}): Promise<Prosody> {
  const dir = mkdtempSync(join(tmpdir(), 'verify-prosody-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'certs'));
  const [httpPort, c2sPort] = [await freeTcpPort(), await freeTcpPort()];
  const config = join(dir, 'prosody.cfg.lua');
  writeFileSync(
    config,
    [
      `pidfile = "${dir}/prosody.pid"`,
      `data_path = "${dir}/data"`,
      `certificates = "${dir}/certs"`,
      'daemonize = false',
      'run_as_root = true',
      `log = { info = "${dir}/prosody.log" }`,
      'modules_enabled = { "saslauth", "bosh", "websocket" }',
      'modules_disabled = { "s2s" }',
      `c2s_ports = { ${c2sPort} }`,
      'c2s_interfaces = { "127.0.0.1" }',
      's2s_ports = { }',
      `http_ports = { ${httpPort} }`,
      'http_interfaces = { "127.0.0.1" }',
      'https_ports = { }',
      // TLS ends at the proxy in front, as at the site's ingress
      'consider_websocket_secure = true',
      'consider_bosh_secure = true',
      `VirtualHost "${xmppDomain}"`,
      '  authentication = "anonymous"',
      ...(opts.secureDomain ? [`VirtualHost "${opts.secureDomain}"`, '  authentication = "internal_hashed"'] : []),
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['--config', config, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const log = () => {
    let file = '';
    try {
      file = readFileSync(join(dir, 'prosody.log'), 'utf8');
    } catch {
      /* not written yet */
    }
    return `${output}\n${file}`;
  };
  const close = async () => {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('prosody', () => tcpAnswers(httpPort), 20_000, log);
  } catch (e) {
    await close();
    throw e;
  }
  return { httpPort, configFile: config, dataDir: join(dir, 'data'), log, close };
}

// ---------------------------------------------------------------- coturn

export interface Coturn {
  port: number;
  realm: string;
  log(): string;
  close(): Promise<void>;
}

const bindingAnswered = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createSocket('udp4');
    const id = randomBytes(12);
    const timer = setTimeout(() => done(false), 300);
    const done = (v: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(v);
    };
    socket.on('message', (buf: Buffer) => done(looksLikeStun(buf) && decodeStunMessage(buf).transactionId.equals(id)));
    socket.on('error', () => done(false));
    socket.send(encodeStunMessage({ type: 0x0001, transactionId: id, attributes: [] }), port, '127.0.0.1');
  });

/**
 * coturn on loopback. `user`: long-term credentials on argv (test-only u:p, as the lead's recipe);
 * `secret`: the TURN REST scheme the chart uses (use-auth-secret), from a config file so the secret
 * is not on argv.
 */
export async function startCoturn(bin: string, auth: { user: string; password: string } | { secret: string }, realm: string): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'verify-coturn-'));
  const port = await freeTcpUdpPort();
  const common = [
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--realm=${realm}`,
    '--allow-loopback-peers',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    `--pidfile=${dir}/turnserver.pid`,
    `--userdb=${dir}/turndb`,
    '--log-file=stdout',
    '--simple-log',
  ];
  let args: string[];
  if ('user' in auth) {
    args = ['-n', '--lt-cred-mech', `--user=${auth.user}:${auth.password}`, ...common];
  } else {
    const conf = join(dir, 'turnserver.conf');
    writeFileSync(conf, `use-auth-secret\nstatic-auth-secret=${auth.secret}\n`, { mode: 0o600 });
    args = ['-c', conf, ...common];
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const close = async () => {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('coturn', () => bindingAnswered(port), 15_000, () => output);
  } catch (e) {
    await close();
    throw e;
  }
  return { port, realm, log: () => output, close };
}

// ---------------------------------------------------------------- the site's ingress

export interface SiteProxyOptions {
  /** the WebSocket upgrade: passed on, or dropped the way a proxy without upgrade headers drops it */
  upgrade: 'pass' | 'strip';
  /** backend for everything but /colibri-ws/ and the pages (prosody's HTTP port) */
  backendPort: number;
  /** /colibri-ws/<server-id>/… → the port of that bridge's channel server */
  bridges?: Record<string, number>;
  /** close a WebSocket tunnel idle this long, like a proxy read timeout */
  idleTimeoutMs?: number;
  /** static pages the web pod would serve (default: / only); /config.js among them tells browsers the transports */
  pages?: Record<string, string>;
}

export interface SiteProxy {
  port: number;
  ca: string;
  close(): Promise<void>;
}

function backendFor(url: string, opts: SiteProxyOptions): number | undefined {
  const bridge = /^\/colibri-ws\/([^/]+)\//.exec(url);
  return bridge ? opts.bridges?.[bridge[1]!] : opts.backendPort;
}

const rawResponse = (res: IncomingMessage, body: Buffer) =>
  Buffer.concat([
    Buffer.from(`HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n${Object.entries({ ...res.headers, connection: 'close', 'content-length': String(body.length) })
      .filter(([k]) => k !== 'transfer-encoding')
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join('\r\n')}\r\n\r\n`),
    body,
  ]);

/** An HTTPS reverse proxy on 127.0.0.1 with a self-signed certificate for `domain` (made by openssl). */
export async function startSiteProxy(domain: string, opts: SiteProxyOptions): Promise<SiteProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'verify-proxy-tls-'));
  // prettier-ignore
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { timeoutMs: 20_000 });
  const ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const sockets = new Set<Socket>();
  const server: Server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (req, res) => {
    const page = (opts.pages ?? { '/': '<html>Jitsi Meet</html>' })[req.url ?? '/'];
    if (page !== undefined) {
      res.writeHead(200, { 'content-type': req.url?.endsWith('.js') ? 'application/javascript' : 'text/html' });
      res.end(page);
      return;
    }
    const port = backendFor(req.url ?? '/', opts);
    if (!port) {
      res.writeHead(404).end('no route');
      return;
    }
    const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end('bad gateway'));
    req.pipe(upstream);
  });
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const port = backendFor(req.url ?? '/', opts);
    if (!port) {
      client.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (opts.upgrade === 'strip') {
      // a proxy that does not speak WebSocket forwards a plain GET (prosody upgrades on Sec-WebSocket-Key alone)
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'upgrade' && k !== 'connection' && !k.startsWith('sec-websocket-')));
      const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => client.end(rawResponse(r, Buffer.concat(chunks))));
      });
      upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n'));
      upstream.end();
      return;
    }
    const backend = connect(port, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      backend.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) backend.write(head);
      client.pipe(backend).pipe(client);
    });
    sockets.add(backend);
    backend.on('close', () => (sockets.delete(backend), client.destroy()));
    backend.on('error', () => client.destroy());
    client.on('close', () => backend.destroy());
    if (opts.idleTimeoutMs) client.setTimeout(opts.idleTimeoutMs, () => (client.destroy(), backend.destroy()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    port,
    ca,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
