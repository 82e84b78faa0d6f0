/**
 * The BUILT bin in a real pseudo-terminal (util-linux `script` gives the child a PTY), with the REAL
 * API server as the cluster (kwok's simulated nodes, two StorageClasses this file adds, and for the
 * full session cert-manager's Certificate CRD): keys typed as a person would, raw mode and all. The
 * wizard runs with the token of a ServiceAccount that may only read, so it cannot have changed the cluster.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../../src/config/validate.js';
import { cliAsync, writtenIn } from '../support/cli.js';
import { cluster, expectNoCertManager, installCertManagerCrd, kubectl, kubectlJson, readOnlyUser, schedulableNodeCount, skipReason, writeKubeconfig } from '../support/control-plane.js';
import { cliBin, repoRoot } from '../support/tools.js';

const ENTER = '\r';
const DOWN = '\x1b[B';
const SPACE = ' ';
const CTRL_C = '\x03';
const ESC = '\x1b';

const runId = Date.now().toString(36).slice(-5);
const work = mkdtempSync(join(tmpdir(), 'jk-pty-'));
/** the classes the wizard offers: longhorn is the cluster default */
const classes = [
  { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path' }, provisioner: 'rancher.io/local-path' },
  {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'longhorn', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'driver.longhorn.io',
  },
];
let reader: ReturnType<typeof readOnlyUser> | undefined;
let kubeconfig: string;
/** what the cluster holds when the wizard reads it */
let facts: { nodes: number; classes: number };

beforeAll(() => {
  if (!cluster) return;
  if (spawnSync('script', ['--version']).status !== 0) throw new Error('util-linux `script` is needed for the PTY tests (apt-get install bsdutils)');
  if (!existsSync(join(repoRoot, 'dist/cli.cjs'))) throw new Error('dist/cli.cjs missing: run `npm run build` (npm test builds first)');
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: classes }));
  reader = readOnlyUser(`jk8s-wizard-${runId}`);
  // "other" is the current context and unreachable: the person picks the test cluster
  kubeconfig = writeKubeconfig(join(work, 'kubeconfig'), { context: 'test', token: reader.token, others: [{ name: 'other', server: 'https://127.0.0.1:1' }], current: 'other' });
  facts = { nodes: schedulableNodeCount(), classes: kubectlJson<{ items: unknown[] }>(['get', 'storageclasses']).items.length };
});

afterAll(() => {
  reader?.remove();
  if (cluster) kubectl(['delete', 'storageclass', ...classes.map((c) => c.metadata.name), '--ignore-not-found']);
  rmSync(work, { recursive: true, force: true });
});

/** A tiny expect(1): wait for text on the terminal, then type. */
function terminal(args: string[]) {
  const dir = mkdtempSync(join(work, 'session-'));
  const cmd = [process.execPath, cliBin, 'init', ...args].map((a) => `'${a.replace('<tmp>', dir)}'`).join(' ');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, NO_COLOR: '1', TERM: 'xterm', COLUMNS: '120' };
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let seen = 0;
  child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return {
    dir,
    screen: () => screen,
    /** waits for `text` after the previous match, then types `keys` */
    async answer(text: string | RegExp, keys: string) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const rest = screen.slice(seen);
        const m = typeof text === 'string' ? rest.indexOf(text) : rest.search(text);
        if (m >= 0) {
          seen += m + 1;
          break;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}; screen ends:\n${screen.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      await new Promise((r) => setTimeout(r, 60)); // let the prompt take raw mode
      child.stdin.write(keys);
    },
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

const UP = '\x1b[A';

/** Every answer but TLS as a flag, so the session comes straight to the TLS questions. */
const ALL_BUT_TLS = [
  '--no-apply', '--context', 'test', '--namespace', 'jitsi', '--release', 'jitsi', '--domain', 'meet.example.com', '--auth', 'open',
  '--exposure', 'loadBalancer', '--no-turn', '--public-ip', '203.0.113.10', '--node-cpu', '8', '--node-memory', '32', '--nodes', '3',
  '--web-replicas', '1', '--jvb-replicas', '1', '--no-jibri', '--no-jigasi', '--no-transcriber',
  '--resolution', '720', '--simulcast', '--codecs', 'VP9,VP8,H264', '--bitrate-low', '100000', '--bitrate-standard', '300000', '--bitrate-high', '1200000',
  '--ssrc-rewriting', '--last-n', '-1', '--drain-timeout', '1h', '--peak-participants', '0',
];

describe.skipIf(!cluster)(`init in a pseudo-terminal against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it("a cluster without cert-manager: Let's Encrypt is listed but cannot be chosen, the line before the question says why, an existing Secret is the default", async () => {
    await expectNoCertManager();
    const t = terminal(ALL_BUT_TLS);
    try {
      await t.answer("Let's Encrypt needs cert-manager, which cluster test does not have: install it first (https://cert-manager.io/docs/installation/helm/) and run init again to choose it.", '');
      await t.answer(/\? TLS certificate[^]*- Let's Encrypt via cert-manager \(cert-manager not found in cluster test\)[^]*❯ existing TLS Secret/, ENTER);
      await t.answer('? TLS Secret name', 'meet-tls' + ENTER);
      await t.answer('? Ingress class (optional)', ENTER);
      await t.answer('? Write jitsi-k8s.yaml and install?', ENTER);
      expect(await t.exited).toBe(0);
    } finally {
      t.kill();
    }
    const screen = t.screen();
    expect(screen).toContain('cluster test: ');
    expect(screen).toContain('storage class(es), no cert-manager');
    expect(screen).not.toContain("Let's Encrypt account e-mail");
    expect(validateConfig(parse(readFileSync(join(t.dir, 'jitsi-k8s.yaml'), 'utf8'))).config.tls).toMatchObject({ mode: 'secret', secretName: 'meet-tls' });
  });

  it('--tls letsencrypt on a cluster without cert-manager: error and hint before anything is asked or written (exit 2)', async () => {
    await expectNoCertManager();
    const dir = mkdtempSync(join(work, 'flags-'));
    const r = await cliAsync(['init', '--tls', 'letsencrypt', '--tls-email', 'ops@example.com', ...ALL_BUT_TLS], { cwd: dir, env: { HOME: dir, KUBECONFIG: kubeconfig } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: --tls letsencrypt needs cert-manager, and cluster test does not have it (no cert-manager.io API): preflight would stop the install');
    expect(r.stderr).toContain('hint: install cert-manager first (https://cert-manager.io/docs/installation/helm/), or use --tls secret --tls-secret NAME (an existing TLS Secret) or --tls none (behind your own TLS proxy)');
    expect(writtenIn(dir)).toEqual([]);
  });

  it('a full session on a cluster with cert-manager: cluster defaults offered, answers typed, files written', async () => {
    const releaseNamespace = () => kubectl(['get', 'namespace', 'jitsi', '--ignore-not-found', '-o', 'name']);
    const namespaceBefore = releaseNamespace();
    const certManager = await installCertManagerCrd();
    const t = terminal(['--no-apply']);
    try {
      await t.answer('? Kube context', UP + ENTER); // "other (current)" is pre-selected; pick "test"
      await t.answer('? Namespace (jitsi)', ENTER);
      await t.answer('? Release name (jitsi)', ENTER);
      await t.answer('? Domain', 'meet.example.com' + ENTER);
      // the line before the question says what "open" means; accounts is one down
      await t.answer(/"open" means anyone who can reach the site starts meetings on your bridges[^]*\? Who may start a meeting\?/, DOWN + ENTER);
      await t.answer('? Let guests join opened rooms?', 'y' + ENTER);
      await t.answer('? Accounts volume size (1Gi)', ENTER);
      await t.answer('? How do people reach Jitsi?', DOWN + DOWN + ENTER);
      await t.answer('? Run a TURN relay?', ENTER);
      await t.answer('? Public IP (optional)', ENTER);
      await t.answer('? CPU cores per node (its size) (8)', ENTER);
      await t.answer('? Memory per node in GiB (its size) (32)', ENTER);
      await t.answer(`? Nodes Jitsi may use (${facts.nodes})`, ENTER);
      await t.answer('? Web replicas (1)', ENTER);
      await t.answer('? Video bridges (JVB) (1)', '2' + ENTER);
      await t.answer('? Autoscale the video bridges?', 'y' + ENTER);
      await t.answer('? Fewest bridges (2)', ENTER);
      await t.answer('? Most bridges (3)', ENTER);
      await t.answer('? Target CPU use', ENTER);
      await t.answer('? Drain time per bridge (1h)', '30m' + ENTER);
      await t.answer('? Participants at peak (0: skip) (0)', '300' + ENTER);
      await t.answer('? People in a typical meeting', ENTER);
      await t.answer('? Optional components', SPACE + ENTER);
      await t.answer('? Jibri replicas (1)', ENTER);
      await t.answer(/\? Storage class\s+❯ longhorn \(default\)/, ENTER);
      await t.answer('? Recordings volume size (4Gi)', '20Gi' + ENTER);
      await t.answer('? Highest resolution', ENTER);
      await t.answer('? Simulcast?', ENTER);
      await t.answer('? Enabled codecs', ENTER);
      await t.answer('? Preferred codec', ENTER);
      await t.answer('? VP9 low (180p), bits/s (100000)', ENTER);
      await t.answer('? VP9 standard (360p), bits/s (300000)', ENTER);
      await t.answer('? VP9 high (720p), bits/s (1200000)', '1500000' + ENTER);
      await t.answer('? SSRC rewriting?', ENTER);
      await t.answer('? Last-N (-1)', '25' + ENTER);
      await t.answer('? TLS certificate', ENTER);
      await t.answer("? Let's Encrypt account e-mail", 'ops@example.com' + ENTER);
      await t.answer('? Ingress class (optional)', ENTER);
      await t.answer('? Write jitsi-k8s.yaml and install?', ENTER);
      expect(await t.exited).toBe(0);
    } finally {
      t.kill();
      await certManager.remove();
    }
    const screen = t.screen();
    // JK8S_TRANSCRIPT=<file>: keep the session as text (the README's walkthrough comes from it)
    if (process.env.JK8S_TRANSCRIPT) writeFileSync(process.env.JK8S_TRANSCRIPT, screen);
    expect(facts.nodes).toBeGreaterThan(0);
    expect(screen).toContain(`cluster test: ${facts.nodes} schedulable node(s), ${facts.classes} storage class(es), cert-manager\r\n`);
    expect(screen).not.toContain('needs cert-manager');
    expect(screen).toMatch(/jvb\s+2\s+3600m/);
    // no profile: the estimate says so, names its source and the command that measures instead
    expect(screen).toContain('an estimate, not measured: an estimate for rooms of 10: 11 per core');
    expect(screen).toContain('measure it on your deployment: jitsi-k8s bench --find-capacity');
    expect(screen).toContain('for 300 participants at peak: 10 bridges (HPA min 3, max 10)');
    expect(screen).toContain('next: jitsi-k8s apply');
    const { config } = validateConfig(parse(readFileSync(join(t.dir, 'jitsi-k8s.yaml'), 'utf8')));
    expect(config.cluster.context).toBe('test');
    expect(config.nodes).toEqual({ count: facts.nodes, cpu: 8, memoryGiB: 32 });
    expect(config.exposure.mode).toBe('hostPort');
    expect(config.components.jvb).toMatchObject({ replicas: 2, autoscale: { enabled: true, min: 2, max: 3, cpuPercent: 70 }, drain: { timeout: '30m' } });
    expect(config.components.jibri).toMatchObject({ enabled: true, replicas: 1, storage: { enabled: true, size: '20Gi', storageClass: 'longhorn' } });
    expect(config.video).toMatchObject({ codecs: ['VP9', 'VP8', 'H264'], lastN: 25, bitrates: { vp9: { high: 1500000 } } });
    expect(config.tls).toMatchObject({ mode: 'letsencrypt', email: 'ops@example.com' });
    expect(config.auth).toMatchObject({ mode: 'accounts', guests: true, accounts: { size: '1Gi' } });
    expect(screen).toContain('who starts: accounts — only members with an account (`jitsi-k8s users add`) start meetings; guests may join a room once it is opened');
    expect(statSync(join(t.dir, 'jitsi-k8s.secrets.yaml')).mode & 0o777).toBe(0o600);
    // the wizard only read the cluster: its credentials may do nothing else, and no class or namespace appeared
    expect(kubectlJson<{ items: unknown[] }>(['get', 'storageclasses']).items.length).toBe(facts.classes);
    expect(releaseNamespace()).toBe(namespaceBefore);
  });

  it.each([
    ['Ctrl-C while typing the domain', '? Domain', 'meet.ex' + CTRL_C],
    ['Esc at the exposure question', '? How do people reach Jitsi?', ESC],
  ])('%s: exit 130, nothing written', async (_what, at, keys) => {
    const t = terminal([]);
    try {
      await t.answer('? Kube context', ENTER);
      await t.answer('? Namespace', ENTER);
      await t.answer('? Release name', ENTER);
      if (at !== '? Domain') {
        await t.answer('? Domain', 'meet.example.com' + ENTER);
        // open: the warning line comes right after the choice
        await t.answer('? Who may start a meeting?', ENTER);
      }
      await t.answer(at, keys);
      expect(await t.exited).toBe(130);
    } finally {
      t.kill();
    }
    expect(t.screen()).toContain('error: cancelled at a prompt; nothing was written');
    expect(writtenIn(t.dir)).toEqual([]);
  });
});
