/**
 * `jitsi-k8s verify` as a commander command, in process: flags, contexts and a missing kubeconfig, which stop
 * before any cluster request; --json, --namespace and the table against a real API server are test/k8s/verify.test.ts.
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

let dir: string;
let configPath: string;
let kubeconfig: string;
const savedKubeconfig = process.env.KUBECONFIG;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'verify-cmd-'));
  // two contexts and no server behind them: none of these cases gets as far as a request
  kubeconfig = join(dir, 'kubeconfig');
  const ctx = (name: string) => `- name: ${name}\n  context: { cluster: c, user: u }\n`;
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: { server: 'https://127.0.0.1:1' }\nusers:\n- name: u\n  user: { token: t }\ncontexts:\n${ctx('fake')}${ctx('other')}current-context: fake\n`,
  );
  process.env.KUBECONFIG = kubeconfig;
  configPath = join(dir, 'jitsi-k8s.yaml');
  writeFileSync(
    configPath,
    `apiVersion: jitsi-k8s/v1\ndomain: meet.test\ncluster:\n  context: fake\n  namespace: jitsi\nexposure:\n  mode: loadBalancer\n  publicIP: 127.0.0.1\ntls:\n  mode: letsencrypt\n  email: ops@example.com\n`,
  );
  // what the command logs is not under test here
  setLogger(createLogger({}, () => undefined));
});

afterAll(() => {
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
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
        // auth.mode: the stream could not open, so it could not be looked at (the rows above fail)
        ['auth', 'warn'],
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
    expect(() => parseAddress('--turn-address', 'turn.example.com')).toThrow(
      'verify: --turn-address: an IP address, optionally with :port (got turn.example.com)',
    );
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
