/**
 * `jitsi-k8s verify` as a commander command, in process: config file → kube client (fake API
 * server via KUBECONFIG) → runVerify → --json / table, exit through errors. The JVB is a fake
 * behind the fake API server's pod proxy; STUN goes for real to a responder on 127.0.0.1.
 * Look-alike API server: serves the pods and routes colibri2 into the in-process fake JVB; the real control plane could (the
 * same probe runs there in test/k8s/verify.test.ts) — these command-level cases have not moved yet.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAddress } from '../../src/commands/address.js';
import { defineVerify, formatVerify } from '../../src/commands/verify.js';
import type { VerifyResult } from '../../src/cluster/verify.js';
import { CommandError, UsageError } from '../../src/errors.js';
import { formatTable } from '../../src/ui/table.js';
import { createLogger, setLogger } from '../../src/ui/log.js';
import { fakePod, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { fakeJvb } from './fake-jvb.js';
import { startStunResponder, type StunResponder } from './stun-responder.js';

const creds = { ufrag: 'cmdUfrag', pwd: 'cmd-ice-password-0123456789' };
let api: FakeApiServer;
let responder: StunResponder;
let dir: string;
let configPath: string;
let kubeconfig: string;
const savedKubeconfig = process.env.KUBECONFIG;
let stderr = '';

beforeAll(async () => {
  responder = await startStunResponder(creds);
  api = await startFakeApiServer();
  for (const [name, component] of [
    ['jitsi-web-1', 'web'],
    ['jitsi-prosody-0', 'prosody'],
    ['jitsi-jicofo-1', 'jicofo'],
    ['jitsi-jvb-0-1', 'jvb'],
  ] as const) {
    api.state.pods.push(fakePod({ name, component }));
  }
  const jvb = fakeJvb({ ...creds, candidates: [{ type: 'srflx', ip: '127.0.0.1', port: responder.port }] });
  api.state.colibri2 = (req) => jvb.handle(req);
  kubeconfig = api.writeKubeconfig();
  process.env.KUBECONFIG = kubeconfig;
  dir = mkdtempSync(join(tmpdir(), 'verify-cmd-'));
  configPath = join(dir, 'jitsi-k8s.yaml');
  writeFileSync(configPath, `apiVersion: jitsi-k8s/v1\ndomain: meet.test\ncluster:\n  context: fake\n  namespace: jitsi\nexposure:\n  mode: loadBalancer\n  publicIP: 127.0.0.1\ntls:\n  mode: letsencrypt\n  email: ops@example.com\n`);
  setLogger(createLogger({ color: false }, (s) => (stderr += s)));
}, 60_000);

afterAll(async () => {
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  await responder?.close();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  stderr = '';
  vi.restoreAllMocks();
});

async function verify(args: string[]): Promise<{ stdout: string; error?: unknown }> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  defineVerify(program);
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  try {
    await program.parseAsync(['node', 'jitsi-k8s', 'verify', ...args]);
    return { stdout };
  } catch (error) {
    if (process.env.DEBUG_VERIFY) console.error(error);
    return { stdout, error };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('jitsi-k8s verify', () => {
  it('--json: one object on stdout; a web address that refuses fails the run (exit 1) while media passes', async () => {
    // --web-address: the HTTPS check connects to 127.0.0.1:443 instead of resolving meet.test; nothing listens → refused
    const { stdout, error } = await verify(['--config', configPath, '--json', '--timeout', '2', '--web-address', '127.0.0.1']);
    const result = JSON.parse(stdout) as VerifyResult;
    expect(result.namespace).toBe('jitsi');
    expect(result.context).toBe('fake');
    expect(result.checks.map((c) => [c.id, c.verdict])).toEqual([
      ['pods', 'ok'],
      ['web', 'fail'],
      ['xmpp-websocket', 'fail'],
      ['bosh', 'fail'],
      ['advertised:jitsi-jvb-0-1', 'ok'],
      ['media:jitsi-jvb-0-1', 'ok'],
      // the stand-in bridge advertises no colibri WebSocket here
      ['bridge-channel:jitsi-jvb-0-1', 'ok'],
    ]);
    expect(result.checks[1]?.message).toMatch(/ECONNREFUSED/);
    expect(result.checks[2]?.message).toBe('wss://meet.test/xmpp-websocket: connect ECONNREFUSED 127.0.0.1:443');
    expect(result.checks[3]?.message).toBe('POST https://meet.test/http-bind: connect ECONNREFUSED 127.0.0.1:443');
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).message).toBe('verify: 3 of 7 checks failed');
    expect((error as CommandError).hint).toMatch(/nothing accepts connections on 443/);
    expect(responder.valid).toBeGreaterThanOrEqual(1);
  });

  it('--namespace overrides the config: no pods there → pods fail, nothing probed', async () => {
    const before = responder.received;
    const { stdout, error } = await verify(['--config', configPath, '--json', '--namespace', 'elsewhere', '--web-address', '127.0.0.1']);
    const result = JSON.parse(stdout) as VerifyResult;
    expect(result.namespace).toBe('elsewhere');
    expect(result.checks.find((c) => c.id === 'pods')).toMatchObject({ verdict: 'fail', message: 'no pods of release jitsi in namespace elsewhere' });
    expect(error).toBeInstanceOf(CommandError);
    expect(responder.received).toBe(before);
  });

  it('human output is a table on stderr, nothing on stdout', async () => {
    const { stdout } = await verify(['--config', configPath, '--web-address', '127.0.0.1']);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^check\s+verdict\s+result$/m);
    expect(stderr).toMatch(/^jitsi-jvb-0-1 UDP media\s+ok\s+127\.0\.0\.1:\d+: Binding Success/m);
    expect(stderr).toMatch(/^web over HTTPS\s+FAIL\s+/m);
    expect(stderr).toMatch(/^hint \(web over HTTPS\): nothing accepts connections/m);
  });

  it('an unknown --context is a usage error (exit 2) naming the known contexts', async () => {
    const { stdout, error } = await verify(['--config', configPath, '--json', '--context', 'nope', '--web-address', '127.0.0.1']);
    expect(stdout).toBe('');
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('kube context "nope" does not exist in the kubeconfig');
    expect((error as UsageError).hint).toMatch(/known contexts: fake, other/);
  });

  it('no kubeconfig at all: the cluster checks fail with a hint, the web check still runs', async () => {
    process.env.KUBECONFIG = join(dir, 'no-such-kubeconfig');
    try {
      const { stdout, error } = await verify(['--config', configPath, '--json', '--web-address', '127.0.0.1']);
      const result = JSON.parse(stdout) as VerifyResult;
      expect(result.checks.map((c) => [c.id, c.verdict])).toEqual([
        ['pods', 'fail'],
        ['web', 'fail'],
        ['xmpp-websocket', 'fail'],
        ['bosh', 'fail'],
        ['media', 'fail'],
      ]);
      expect(result.checks[0]?.message).toMatch(/no-such-kubeconfig, which does not exist/);
      expect(error).toBeInstanceOf(CommandError);
    } finally {
      process.env.KUBECONFIG = kubeconfig;
    }
  });

  it('bad flags are usage errors', async () => {
    expect((await verify(['--config', configPath, '--timeout', 'soon'])).error).toBeInstanceOf(UsageError);
    expect((await verify(['--config', configPath, '--timeout', '0'])).error).toBeInstanceOf(UsageError);
    expect((await verify(['--config', configPath, '--web-address', 'meet.test'])).error).toBeInstanceOf(UsageError);
    expect((await verify(['--config', configPath, '--web-address', '127.0.0.1:70000'])).error).toBeInstanceOf(UsageError);
    expect((await verify(['--config', configPath, '--turn-address', 'turn.meet.test:3478'])).error).toBeInstanceOf(UsageError);
    expect((await verify(['--config', configPath, '--long', 'soon'])).error).toBeInstanceOf(UsageError);
    expect((await verify(['--config', configPath, '--long', '0'])).error).toBeInstanceOf(UsageError);
    expect((await verify(['--config', configPath, '--xmpp-domain', 'meet jitsi'])).error).toBeInstanceOf(UsageError);
    expect((await verify(['--config', join(dir, 'missing.yaml')])).error).toBeInstanceOf(UsageError);
  });
});

describe('parseAddress', () => {
  it.each([
    ['127.0.0.1', { ip: '127.0.0.1' }],
    ['127.0.0.1:8443', { ip: '127.0.0.1', port: 8443 }],
    ['::1', { ip: '::1' }],
    ['[::1]:8443', { ip: '::1', port: 8443 }],
    ['[2001:db8::1]', { ip: '2001:db8::1' }],
  ])('%s', (value, expected) => {
    expect(parseAddress('--web-address', value)).toEqual(expected);
  });
  it('refuses names and bad ports with the flag in the message', () => {
    expect(() => parseAddress('--turn-address', 'turn.example.com')).toThrow('verify: --turn-address: an IP address, optionally with :port (got turn.example.com)');
    expect(() => parseAddress('--web-address', '127.0.0.1:0')).toThrow(UsageError);
  });
});

describe('formatVerify', () => {
  it('a table, the hints of what is not ok, and a verdict line', () => {
    const text = formatVerify(
      {
        namespace: 'jitsi',
        release: 'jitsi',
        url: 'https://meet.test/',
        ok: true,
        counts: { ok: 1, warn: 1, fail: 0 },
        checks: [
          { id: 'pods', title: 'pods ready', verdict: 'ok', message: 'web 1/1' },
          { id: 'advertised:j', title: 'j advertises', verdict: 'warn', message: 'only 10.0.0.1 (private)', hint: 'set exposure.publicIP' },
        ],
      },
      formatTable,
    );
    expect(text).toBe(
      [
        'check         verdict  result',
        '────────────  ───────  ───────────────────────',
        'pods ready    ok       web 1/1',
        'j advertises  WARN     only 10.0.0.1 (private)',
        '',
        'hint (j advertises): set exposure.publicIP',
        '',
        'verified: 1 ok, 1 warning(s)',
      ].join('\n'),
    );
  });
});
