/**
 * `users add|passwd|remove|list` on the REAL control plane: the exec goes through the real API server
 * to kwok, whose Exec mapping (kwok.x-k8s.io Exec, named after the pod) runs the command on this
 * machine — a real Debian `prosodyctl` against the test-owned config of a real prosody (test/verify/
 * servers.ts) whose main VirtualHost meet.jitsi keeps accounts (internal_hashed), as a Jitsi secure
 * domain does. The account then logs in over XMPP WebSocket with SCRAM against that prosody; after
 * `remove` it cannot. The password is watched for in every /proc/<pid>/cmdline while prosodyctl runs,
 * in the control plane's logs and in the events: it must be in none of them. Jitsi's own prosody image
 * cannot run here; its paths (/config/prosody.cfg.lua, /config/data) are the one thing the test swaps.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openKube } from '../../src/cluster/kube.js';
import { addUser, changePassword, listUsers, prosodyPod, removeUser, requireAccounts, type UsersTarget } from '../../src/cluster/users.js';
import { UsageError } from '../../src/errors.js';
import { cliAsync } from '../support/cli.js';
import { config } from '../support/config.js';
import { cluster, kubectl, kubectlJson, skipReason } from '../support/control-plane.js';
import { scramLogin } from '../support/xmpp-login.js';
import { startProsody, systemTool, type Prosody } from '../verify/servers.js';

const ns = 'jk8s-users';
const release = 'jitsi';
const POD = 'jitsi-jitsi-meet-prosody-0';
const PASSWORD = 'Tr0ub4dor-users-test-7f3a';
const NEW_PASSWORD = 'c0rrect-h0rse-users-test-91bd';
const prosodyBin = systemTool('prosody');
const prosodyctlBin = systemTool('prosodyctl');

let prosody: Prosody | undefined;
let t: UsersTarget;
let wsUrl: string;

const labels = (component: string, instance = release) => ({ 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': instance, 'app.kubernetes.io/component': component });

function pod(name: string, podLabels: Record<string, string>, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: podLabels }, spec: { containers: [{ name: 'jitsi-meet', image: 'jitsi/prosody:stable-11146-2' }], ...extra } };
}

async function ready(name: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const p = kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>(['get', 'pod', '-n', ns, name]);
    if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`pod ${name} did not become Ready`);
}

/** Every command line on this machine, read until stopped: what `ps` would show while prosodyctl runs. */
function watchCommandLines() {
  const seen = new Set<string>();
  const scan = () => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        seen.add(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim());
      } catch {
        /* the process ended */
      }
    }
  };
  const timer = setInterval(scan, 2);
  return {
    stop: () => (clearInterval(timer), scan(), [...seen]),
  };
}

/** Every file under the control plane's folder (its components' logs), as text. */
function controlPlaneText(dir: string): string {
  let out = '';
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.size < 200 * 1024 * 1024) out += readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  if (!cluster || !prosodyBin || !prosodyctlBin) return;
  // the secure domain is the main one (accounts); guests get their own anonymous VirtualHost
  prosody = await startProsody(prosodyBin, 'guest.meet.jitsi', { secureDomain: 'meet.jitsi' });
  wsUrl = `ws://127.0.0.1:${prosody.httpPort}/xmpp-websocket`;
  kubectl(['create', 'namespace', ns]);
  kubectl(['apply', '-f', '-'], stringify(pod(POD, labels('prosody'))));
  // kwok runs `exec` into this pod as a local command, in the test prosody's folder
  kubectl(['apply', '-f', '-'], stringify({ apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Exec', metadata: { name: POD, namespace: ns }, spec: { execs: [{ local: { workDir: join(prosody.dataDir, '..') } }] } }));
  await ready(POD);
  t = { kube: openKube({ kubeconfig: cluster.kubeconfig }), namespace: ns, release, paths: { config: prosody.configFile, data: prosody.dataDir } };
}, 60_000);

afterAll(async () => {
  await prosody?.close();
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

describe.skipIf(!cluster || !prosodyBin)(`users through the API server's exec into a kwok pod, real prosodyctl and prosody${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('add → the account logs in with SCRAM; passwd → only the new password; remove → it cannot; the password in no argv, log or event', { timeout: 120_000 }, async () => {
    expect(await listUsers(t)).toEqual([]);
    expect(await scramLogin(wsUrl, 'meet.jitsi', 'alice', PASSWORD)).toMatchObject({ outcome: 'failure', condition: 'not-authorized' });

    const watch = watchCommandLines();
    let lines: string[];
    try {
      expect(await addUser(t, 'Alice', PASSWORD)).toEqual({ jid: 'alice@meet.jitsi' });
      await expect(addUser(t, 'alice', PASSWORD)).rejects.toThrow(/user alice already exists/);
      expect(await changePassword(t, 'alice', NEW_PASSWORD)).toEqual({ jid: 'alice@meet.jitsi' });
    } finally {
      lines = watch.stop();
    }
    // the watcher saw prosodyctl run (so it could have seen a password), and never a password
    expect(lines.filter((l) => l.includes('prosodyctl') && l.includes('adduser alice@meet.jitsi')).length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(PASSWORD) || l.includes(NEW_PASSWORD))).toEqual([]);

    expect(await listUsers(t)).toEqual(['alice']);
    const login = await scramLogin(wsUrl, 'meet.jitsi', 'alice', NEW_PASSWORD);
    expect(login, prosody!.log()).toMatchObject({ outcome: 'success', mechanism: expect.stringMatching(/^SCRAM-SHA-/) });
    expect(await scramLogin(wsUrl, 'meet.jitsi', 'alice', PASSWORD)).toMatchObject({ outcome: 'failure', condition: 'not-authorized' });

    expect(await removeUser(t, 'alice')).toEqual({ jid: 'alice@meet.jitsi' });
    expect(await scramLogin(wsUrl, 'meet.jitsi', 'alice', NEW_PASSWORD)).toMatchObject({ outcome: 'failure', condition: 'not-authorized' });
    expect(await listUsers(t)).toEqual([]);
    await expect(removeUser(t, 'alice')).rejects.toThrow(/no user alice/);
    await expect(changePassword(t, 'bob', NEW_PASSWORD)).rejects.toThrow(/no user bob/);

    const events = kubectl(['get', 'events', '--all-namespaces', '-o', 'json']);
    expect(events).not.toContain(PASSWORD);
    expect(events).not.toContain(NEW_PASSWORD);
    const logs = controlPlaneText(cluster!.dir);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain(NEW_PASSWORD);
  });

  it('prosody not ready, or no prosody: clear errors before anything runs', { timeout: 60_000 }, async () => {
    // a prosody pod no node can take stays Pending
    kubectl(['apply', '-f', '-'], stringify(pod('stuck-jitsi-meet-prosody-0', labels('prosody', 'stuck'), { nodeSelector: { 'jk8s-users': 'no-such-node' } })));
    const stuck = { ...t, release: 'stuck' };
    await expect(prosodyPod(stuck)).rejects.toThrow(/^prosody is not ready \(pod stuck-jitsi-meet-prosody-0: Pending\)$/);
    await expect(addUser(stuck, 'carol', PASSWORD)).rejects.toThrow(/prosody is not ready/);
    await expect(listUsers({ ...t, release: 'nothing' })).rejects.toThrow(/no prosody pod of release nothing in namespace jk8s-users/);
    expect(() => requireAccounts(config({ auth: { mode: 'jwt' } }), 'jitsi-k8s.yaml')).toThrow(UsageError);
    expect(() => requireAccounts(config(), 'jitsi-k8s.yaml')).toThrow(/auth\.mode is open: users are for auth\.mode accounts/);
  });

  it('the built bin: the password from stdin, never echoed; a mode without accounts and a stuck prosody are errors', { timeout: 60_000 }, async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'jk8s-users-cli-'));
    try {
      const env = { KUBECONFIG: cluster!.kubeconfig };
      const base = `domain: meet.example.com\ntls: { mode: none }\ncluster: { namespace: ${ns}, release: stuck }\n`;
      writeFileSync(join(dir, 'open.yaml'), base);
      writeFileSync(join(dir, 'accounts.yaml'), `${base}auth: { mode: accounts }\n`);
      const open = await cliAsync(['users', 'add', 'dave', '-c', join(dir, 'open.yaml')], { input: `${PASSWORD}\n`, env });
      expect(open.code).toBe(2);
      expect(open.stderr).toContain('auth.mode is open: users are for auth.mode accounts');
      const empty = await cliAsync(['users', 'add', 'dave', '-c', join(dir, 'accounts.yaml')], { input: '', env });
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain('no password: stdin was empty and is not a terminal');
      const r = await cliAsync(['users', 'add', 'dave', '-c', join(dir, 'accounts.yaml')], { input: `${PASSWORD}\n`, env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error: prosody is not ready \(pod stuck-jitsi-meet-prosody-0: Pending\)\nhint: wait until `jitsi-k8s status` shows prosody ready/);
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
      // through the bin, kwok runs `ls` of the image's accounts folder, which this machine does not have: none
      const list = await cliAsync(['users', 'list', '-c', join(dir, 'accounts.yaml'), '--release', release, '--json'], { env });
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
