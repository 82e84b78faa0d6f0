/**
 * A killed run leaves nothing the next run cannot finish: the built bin with real helm and the real
 * jitsi-meet chart against the REAL API server, its process group (our process and its helm child)
 * killed with SIGKILL at each step of a first apply, an upgrade apply, scale jvb up and down (the drain
 * wait and the helm step after it), uninstall and a bench --replicas sweep step; then the recovery
 * runs and the cluster is read back: no release pending, the intended revision deployed (or the
 * previous one with the config saying the same), the claims with the same UIDs, no bridge in drain
 * mode, no bench object left, config and secrets parse, no lease left. Kill points are found by
 * watching the cluster (helm's release record turning pending-*, a bridge entering drain mode), not
 * by sleeping. The bridges are the STAND-IN (test/support/standin-bridge.mjs; Jitsi cannot run here).
 * Two concurrent applies: one runs, the other exits 1 naming the holder. The matrix is printed. Each
 * case's namespace goes when the case ends: the kwok nodes' 24 CPUs hold only a few installs at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, loadSecrets, secretsPathFor } from '../../src/config/file.js';
import { helmProcessesFor } from '../../src/cluster/leftovers.js';
import { writeFileSync } from 'node:fs';
import { cluster, kubectlAsync, skipReason, TEST_STORAGE_CLASS, realClusterWork, bridgeSelector } from '../support/control-plane.js';
import { initArgs } from '../support/cli.js';
import { cliBin, helmBin, kubectlBin, repoRoot } from '../support/tools.js';

const real = realClusterWork('jk8s-killed');
const RELEASE = 'jitsi';
const env = () => ({ KUBECONFIG: cluster!.kubeconfig, JITSI_K8S_CHART: real.chart, JITSI_K8S_HELM: helmBin(), JITSI_K8S_KUBECTL: kubectlBin() });
const matrix: { command: string; killedAt: string; recovery: string; recovered: boolean; seconds: number }[] = [];

/** per pod IP, what the STAND-IN bridge answers (who is on it) */
const loadFile = join(real.dir, 'load.json');

beforeAll(async () => {
  // a load file: a participant holds the drain wait open
  writeFileSync(loadFile, '{}');
  await real.setUp({ loadFile });
});
/** every process group this file started: a failed test leaves none running */
const groups: ChildProcess[] = [];

afterAll(async () => {
  for (const c of groups) if (c.exitCode === null && c.signalCode === null) await killGroup(c).catch(() => undefined);
  if (matrix.length) {
    const rows = matrix.map((m) => `| ${m.command} | ${m.killedAt} | ${m.recovery} | ${m.recovered ? 'recovered' : 'NOT recovered'} | ${m.seconds} |`);
    console.log(
      [
        '',
        'killed-run matrix (SIGKILL to the process group):',
        '| command | killed at | recovery run | result | recovery s |',
        '|---|---|---|---|---|',
        ...rows,
      ].join('\n'),
    );
  }
  await real.cleanUp();
});

/** The bin in its own process group, as a shell runs it: SIGKILL to the group takes helm with it. */
function startBin(args: string[]): { child: ChildProcess; out: () => string } {
  let out = '';
  const child = spawn(process.execPath, [cliBin, ...args], {
    detached: true,
    env: { ...process.env, CI: '1', NO_COLOR: '1', ...env() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  groups.push(child);
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

async function killGroup(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

/** Polls until `test` holds (every 100 ms), failing with `what` after `ms`. */
async function until(what: string, test: () => Promise<boolean>, ms = 120_000, got?: () => string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${ms / 1000}s${got ? `\n${got()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Kills the group while helm `verb`s the release: once helm's process is there (read from /proc every
 * 20 ms), at the moment its release record turns `state` — or, when helm finishes before a read of the
 * record sees that, as helm's process ends. Returns the kill point seen.
 */
async function killDuringHelm(run: { child: ChildProcess; out: () => string }, ns: string, verb: string, state: RegExp): Promise<string> {
  const helmHere = () => helmProcessesFor(RELEASE, ns).filter((p) => p.args.split(' ').includes(verb));
  await until(`helm ${verb}`, async () => helmHere().length > 0, 180_000, run.out, 20);
  for (;;) {
    const seen = (await latest(ns))?.status ?? '';
    if (state.test(seen) || helmHere().length === 0) {
      await killGroup(run.child);
      return state.test(seen) ? `helm ${verb} running (${seen})` : `helm ${verb} ending`;
    }
  }
}

interface Revision {
  name: string;
  status: string;
  version: number;
}
async function revisions(ns: string): Promise<Revision[]> {
  const list = JSON.parse(await kubectlAsync(['get', 'secrets', '-n', ns, '-l', 'owner=helm', '-o', 'json'])) as {
    items: { metadata: { labels: Record<string, string> } }[];
  };
  return list.items
    .map((s) => ({ name: s.metadata.labels.name!, status: s.metadata.labels.status!, version: Number(s.metadata.labels.version) }))
    .sort((a, b) => a.version - b.version);
}
const latest = async (ns: string, release = RELEASE) => (await revisions(ns)).filter((r) => r.name === release).at(-1);
const statusIs = (ns: string, re: RegExp) => async () => re.test((await latest(ns))?.status ?? '');

/** claim name → UID */
async function claims(ns: string): Promise<Record<string, string>> {
  const list = JSON.parse(await kubectlAsync(['get', 'pvc', '-n', ns, '-o', 'json'])) as { items: { metadata: { name: string; uid: string } }[] };
  return Object.fromEntries(list.items.map((p) => [p.metadata.name, p.metadata.uid]));
}

async function bridgeDrains(ns: string): Promise<Record<string, boolean>> {
  const pods = JSON.parse(await kubectlAsync(['get', 'pods', '-n', ns, '-l', bridgeSelector(RELEASE), '-o', 'json'])) as {
    items: { metadata: { name: string; deletionTimestamp?: string } }[];
  };
  const out: Record<string, boolean> = {};
  for (const p of pods.items.filter((x) => !x.metadata.deletionTimestamp)) {
    const stats = JSON.parse(await kubectlAsync(['get', '--raw', `/api/v1/namespaces/${ns}/pods/${p.metadata.name}:8080/proxy/colibri/stats`])) as {
      drain?: boolean;
    };
    out[p.metadata.name] = stats.drain === true;
  }
  return out;
}

async function jvbCount(ns: string): Promise<number> {
  const ds = JSON.parse(await kubectlAsync(['get', 'deployments', '-n', ns, '-l', bridgeSelector(RELEASE), '-o', 'json'])) as {
    items: { spec: { replicas: number } }[];
  };
  return ds.items.reduce((s, d) => s + d.spec.replicas, 0);
}

const benchObjects = async (ns: string) =>
  (await kubectlAsync(['get', 'jobs,configmaps,secrets', '-n', ns, '-l', 'app.kubernetes.io/component=bench-worker', '-o', 'name'])).trim();

/** Everything the issue asks of a recovered release. */
async function expectRecovered(ns: string, configPath: string, o: { bridges: number; claims?: Record<string, string>; uninstalled?: boolean }): Promise<void> {
  const all = await revisions(ns);
  const byRelease = new Map<string, Revision>();
  for (const r of all) byRelease.set(r.name, r);
  for (const r of byRelease.values()) expect(r.status, `${r.name} revision ${r.version}`).not.toMatch(/^pending-|^uninstalling$/);
  if (o.uninstalled) {
    expect(byRelease.has(RELEASE)).toBe(false);
  } else {
    expect(byRelease.get(RELEASE)?.status).toBe('deployed');
    expect(await jvbCount(ns)).toBe(o.bridges);
    expect(Object.values(await bridgeDrains(ns))).not.toContain(true);
  }
  const config = loadConfig(configPath).config;
  expect(config.components.jvb.replicas).toBe(o.bridges);
  expect(loadSecrets(secretsPathFor(configPath))).toBeDefined();
  if (o.claims) expect(await claims(ns)).toEqual(o.claims);
  expect(await benchObjects(ns)).toBe('');
  expect((await kubectlAsync(['get', 'leases', '-n', ns, '-o', 'name'])).trim()).toBe('');
}

async function recover(row: Omit<(typeof matrix)[number], 'recovered' | 'seconds'>, ns: string, args: string[], check: () => Promise<void>): Promise<string> {
  const started = Date.now();
  const r = await real.jitsiK8s(args);
  let ok = false;
  try {
    expect(r.code, r.stderr).toBe(0);
    await check();
    ok = true;
  } finally {
    matrix.push({ ...row, recovered: ok, seconds: Math.round((Date.now() - started) / 100) / 10 });
  }
  return r.stderr;
}

async function writeConfig(ns: string, bridges: number): Promise<string> {
  const dir = join(real.dir, ns);
  (await import('node:fs')).mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'jitsi-k8s.yaml');
  const r = await real.jitsiK8s(
    initArgs(configPath, ns, [
      '--jvb-replicas',
      String(bridges),
      '--exposure',
      'loadBalancer',
      '--public-ip',
      '127.0.0.1',
      '--tls',
      'none',
      '--jibri',
      '--jibri-storage',
      '1Gi',
      '--storage-class',
      TEST_STORAGE_CLASS,
    ]),
  );
  expect(r.code, r.stderr).toBe(0);
  return configPath;
}

const setCount = async (configPath: string, bridges: number) => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const doc = parse(readFileSync(configPath, 'utf8')) as { components: { jvb: { replicas: number } } };
  doc.components.jvb.replicas = bridges;
  writeFileSync(configPath, (await import('yaml')).stringify(doc));
};

/**
 * A namespace of one case, deleted when the case ends (pods gone before the next case starts): the three
 * kwok nodes hold 24 CPUs and one install with a recorder asks 6.2 of them (a bridge 1.8, jibri 2), so
 * installs kept to the end of the file left no node with room for the last case's bridge (the
 * scheduler's "0/3 nodes are available: 3 Insufficient cpu"; the install then waited to its timeout).
 */
const space = (name: string) => {
  const ns = real.space(name, { bindClaims: true, loadBalancers: { '*': { ip: '127.0.0.1' } } });
  onTestFinished(async () => {
    await kubectlAsync(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
    await until(`the pods of ${ns} gone`, async () => (await kubectlAsync(['get', 'pods', '-n', ns, '-o', 'name'])).trim() === '', 60_000);
    // the next case's bridges may get these pods' IPs: the stand-in must not answer them with a drained bridge's state
    await real.forgetBridges();
  });
  return ns;
};

describe.skipIf(!cluster)(`a killed run leaves nothing the next run cannot finish${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it(
    'first apply, upgrade apply, scale up, scale down (drain wait and helm step), uninstall: SIGKILLed mid-step, recovered by the next run',
    { timeout: 12 * 60_000 },
    async () => {
      const ns = space('jk8s-kill');
      const configPath = await writeConfig(ns, 2);

      // 1. first apply, killed while helm installs: pending-install with no deployed revision and no claims of its own
      const first = startBin(['apply', '--yes', '--config', configPath]);
      const firstAt = await killDuringHelm(first, ns, 'upgrade', /^pending-install$/);
      expect(firstAt).toBe('helm upgrade running (pending-install)');
      expect((await latest(ns))?.status).toBe('pending-install');
      const statusOut = await real.jitsiK8s(['status', '--config', configPath]);
      expect(statusOut.stdout + statusOut.stderr).toMatch(/release jitsi is pending-install for \d+s .*revision 1; no helm process on this machine holds it/);
      const firstRecovery = await recover(
        { command: 'apply (first install)', killedAt: 'helm install running (pending-install)', recovery: 'apply --yes' },
        ns,
        ['apply', '--yes', '--config', configPath],
        async () => {
          await expectRecovered(ns, configPath, { bridges: 2 });
        },
      );
      expect(firstRecovery).toMatch(/left by a killed run: release jitsi is pending-install/);
      expect(firstRecovery).toMatch(/recovered: release jitsi: pending-install first install \(never deployed, no claims\) removed/);
      const kept = await claims(ns);
      expect(Object.keys(kept).length).toBeGreaterThan(0);

      // 2. upgrade apply (web replicas 1 → 2), killed while helm upgrades: rolled back to the last deployed revision, then applied
      await setCountAndWeb(configPath, 2, 2);
      const deployedBefore = (await latest(ns))!.version;
      const upgrade = startBin(['apply', '--yes', '--config', configPath]);
      const upgradeAt = await killDuringHelm(upgrade, ns, 'upgrade', /^pending-upgrade$/);
      const upgradeRecovery = await recover(
        { command: 'apply (upgrade)', killedAt: upgradeAt, recovery: 'apply --yes' },
        ns,
        ['apply', '--yes', '--config', configPath],
        async () => {
          await expectRecovered(ns, configPath, { bridges: 2, claims: kept });
        },
      );
      expect(upgradeRecovery).toMatch(new RegExp(`rolled back to revision ${deployedBefore}`));

      // 3. scale jvb 2 → 3, killed during helm's upgrade: the next `scale jvb 3` rolls back and goes on
      const up = startBin(['scale', 'jvb', '3', '--yes', '--config', configPath]);
      const upAt = await killDuringHelm(up, ns, 'upgrade', /^pending-upgrade$/);
      expect(loadConfig(configPath).config.components.jvb.replicas).toBe(2);
      const scaleRecovery = await recover(
        { command: 'scale jvb 2→3', killedAt: upAt, recovery: 'scale jvb 3 --yes' },
        ns,
        ['scale', 'jvb', '3', '--yes', '--config', configPath],
        async () => {
          await expectRecovered(ns, configPath, { bridges: 3, claims: kept });
        },
      );
      // what README.md "When a run is killed" shows
      console.log(`\n$ jitsi-k8s scale jvb 3 --yes   # again, after the first was killed with SIGKILL during helm's upgrade\n${scaleRecovery}`);
      expect(scaleRecovery).toMatch(
        /left by a killed run: release jitsi is pending-upgrade for \d+s \(since \S+\), revision \d+; no helm process on this machine holds it → the run that started it \(pid \d+ on this machine\) is gone: roll back to revision \d+/,
      );

      // 4. scale jvb 3 → 2, killed during the drain wait (someone is still on the bridge that goes): it stays in drain mode
      await holdParticipant(ns, loadFile);
      const down = startBin(['scale', 'jvb', '2', '--yes', '--drain-timeout', '10m', '--config', configPath]);
      await until('a bridge in drain mode', async () => Object.values(await bridgeDrains(ns)).includes(true), 120_000, down.out);
      await killGroup(down.child);
      const shown = await real.jitsiK8s(['status', '--config', configPath]);
      expect(shown.stdout).toMatch(/bridge \S+ is in drain mode by a drain that did not finish\n\s+→ put back: drain mode off/);
      await recover(
        { command: 'scale jvb 3→2', killedAt: 'drain wait (bridge in drain mode)', recovery: 'apply --yes' },
        ns,
        ['apply', '--yes', '--config', configPath],
        async () => {
          await expectRecovered(ns, configPath, { bridges: 3, claims: kept });
        },
      );

      // 5. scale jvb 3 → 2 again, nobody left on the bridge: killed during the helm step after the drain
      await releaseParticipant(ns, loadFile);
      const down2 = startBin(['scale', 'jvb', '2', '--yes', '--config', configPath]);
      const down2At = await killDuringHelm(down2, ns, 'upgrade', /^pending-upgrade$/);
      await recover(
        { command: 'scale jvb 3→2', killedAt: `after the drain, ${down2At}`, recovery: 'scale jvb 2 --yes' },
        ns,
        ['scale', 'jvb', '2', '--yes', '--config', configPath],
        async () => {
          await expectRecovered(ns, configPath, { bridges: 2, claims: kept });
        },
      );

      // 6. uninstall, killed while helm uninstalls: the next uninstall finishes it, the claims stay
      const un = startBin(['uninstall', '--yes', '--no-drain', '--config', configPath]);
      const unAt = await killDuringHelm(un, ns, 'uninstall', /^uninstalling$/);
      await recover(
        { command: 'uninstall', killedAt: unAt, recovery: 'uninstall --yes' },
        ns,
        ['uninstall', '--yes', '--no-drain', '--config', configPath],
        async () => {
          await expectRecovered(ns, configPath, { bridges: 2, claims: kept, uninstalled: true });
        },
      );
    },
  );

  it(
    'a bench --replicas sweep step killed during its helm step (its bench objects left behind): the next apply goes back to the config count and deletes them',
    { timeout: 6 * 60_000 },
    async () => {
      const ns = space('jk8s-kill-sweep');
      const configPath = await writeConfig(ns, 1);
      const t0 = Date.now();
      const applied = await real.jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(applied.code, applied.stderr).toBe(0);
      console.log(`sweep: first apply ${Math.round((Date.now() - t0) / 1000)}s`);
      const kept = await claims(ns);
      // the sweep's scaler (src/pipeline/scale.ts createJvbScaler) as `bench --replicas` drives it, in its own process
      const program = `
      const { loadConfig, loadSecrets, secretsPathFor } = await import(${JSON.stringify(`${repoRoot}dist/config/file.js`)});
      const { createJvbScaler } = await import(${JSON.stringify(`${repoRoot}dist/pipeline/scale.js`)});
      const configPath = ${JSON.stringify(configPath)};
      const scaler = createJvbScaler({ configPath, config: loadConfig(configPath).config, secrets: loadSecrets(secretsPathFor(configPath)) });
      process.stdout.write('sweeping\\n');
      await scaler.scaleTo(2, new AbortController().signal);`;
      let out = '';
      const sweep = spawn(process.execPath, ['--input-type=module', '-e', program], {
        detached: true,
        env: { ...process.env, ...env() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      groups.push(sweep);
      sweep.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      sweep.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      await until(
        'the sweep started',
        async () => out.includes('sweeping'),
        30_000,
        () => out,
      );
      // the bench objects of this coordinator, as src/bench/k8s/coordinator.ts labels and annotates them
      await kubectlAsync(['apply', '-f', '-'], JSON.stringify(benchStep(ns, sweep.pid!)));
      const t1 = Date.now();
      const sweepAt = await killDuringHelm({ child: sweep, out: () => out }, ns, 'upgrade', /^pending-upgrade$/);
      console.log(`sweep: step to its helm kill ${Math.round((Date.now() - t1) / 1000)}s`);
      expect(await benchObjects(ns)).not.toBe('');
      const shown = await real.jitsiK8s(['status', '--config', configPath]);
      expect(shown.stdout).toMatch(/bench Job \S+: its coordinator \S+ pid \d+ is gone\n\s+→ deleted/);
      const r = await recover(
        { command: 'bench --replicas 1,2 (sweep step)', killedAt: sweepAt, recovery: 'apply --yes' },
        ns,
        ['apply', '--yes', '--config', configPath],
        async () => {
          await expectRecovered(ns, configPath, { bridges: 1, claims: kept });
        },
      );
      expect(r).toMatch(/recovered: bench Job \S+: deleted/);
    },
  );

  it(
    'a pending upgrade helm cannot roll back (the killed run had not yet removed a bridge) is marked failed, and the next apply goes on from the deployed revision',
    { timeout: 4 * 60_000 },
    async () => {
      const ns = space('jk8s-kill-refused');
      const configPath = await writeConfig(ns, 3);
      expect((await real.jitsiK8s(['apply', '--yes', '--config', configPath])).code).toBe(0);
      const first = (await latest(ns))!.version;
      await setCount(configPath, 2);
      const down = await real.jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(down.code, down.stderr).toBe(0);
      const second = (await latest(ns))!.version;
      // what a kill in the middle of that upgrade leaves: the bridge it removes still there, the upgrade pending,
      // the revision before it still the deployed one
      const manifest = (await import('node:child_process')).execFileSync(
        helmBin(),
        ['get', 'manifest', RELEASE, '--revision', String(first), '-n', ns, '--kubeconfig', cluster!.kubeconfig],
        { encoding: 'utf8' },
      );
      const jvb2 = manifest.split(/^---$/m).find((d) => /kind: Deployment/.test(d) && /name: jitsi-jitsi-meet-jvb-2$/m.test(d))!;
      expect(jvb2).toBeTruthy();
      await kubectlAsync(['apply', '-n', ns, '-f', '-'], jvb2);
      const { openKube } = await import('../../src/cluster/kube.js');
      const { markRevisionFailed } = await import('../../src/cluster/leftovers.js');
      const kube = openKube({ kubeconfig: cluster!.kubeconfig });
      await markRevisionFailed(kube, ns, RELEASE, second, 'Upgrade "jitsi" in progress', 'pending-upgrade');
      await markRevisionFailed(kube, ns, RELEASE, first, 'Upgrade complete', 'deployed');
      expect(await statusIs(ns, /^pending-upgrade$/)()).toBe(true);
      const r = await real.jitsiK8s(['apply', '--yes', '--recover', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /recovered: release jitsi: pending-upgrade revision \d+ (rolled back to revision \d+|marked failed \(helm could not roll back over what the killed run half changed: .*\); this run upgrades from revision \d+)/,
      );
      expect((await latest(ns))!.status).toBe('deployed');
      expect(await jvbCount(ns)).toBe(2);
      expect((await kubectlAsync(['get', 'deployment', 'jitsi-jitsi-meet-jvb-2', '-n', ns, '--ignore-not-found', '-o', 'name'])).trim()).toBe('');
      console.log(
        `refused rollback: ${r.stderr
          .split('\n')
          .filter((l) => /recovered: release/.test(l))
          .join(' | ')}`,
      );
    },
  );

  it('two applies at once on one release: one runs, the other exits 1 naming the holder', { timeout: 5 * 60_000 }, async () => {
    const ns = space('jk8s-kill-lock');
    const configPath = await writeConfig(ns, 1);
    const a = startBin(['apply', '--yes', '--config', configPath]);
    // the first holds the lease once its helm step runs
    await until('pending-install', statusIs(ns, /^pending-install$/), 120_000, a.out);
    const refusedFrom = Date.now();
    const b = await real.jitsiK8s(['apply', '--yes', '--config', configPath]);
    const refusedIn = Math.round((Date.now() - refusedFrom) / 100) / 10;
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(
      new RegExp(
        `^error: release jitsi in ${ns} is being changed by another run: \`jitsi-k8s apply\` \\(\\S+@${hostname()} pid ${a.child.pid}\\) since \\S+, renewed \\d+s ago — nothing was changed`,
        'm',
      ),
    );
    expect(b.stderr).toMatch(/^hint: wait for that run to end/m);
    const code = await new Promise<number | null>((r) => {
      if (a.child.exitCode !== null) return r(a.child.exitCode);
      const t = setTimeout(() => r(-1), 200_000);
      a.child.once('exit', (c) => (clearTimeout(t), r(c)));
    });
    if (code === -1) {
      const dump = [
        await kubectlAsync(['get', 'pods,pvc', '-A', '-o', 'wide']).catch((e: Error) => e.message),
        await kubectlAsync(['get', 'events', '-n', ns, '--sort-by=.lastTimestamp']).catch((e: Error) => e.message),
        await kubectlAsync(['describe', 'nodes'])
          .then((d) =>
            d
              .split('\n')
              .filter((l) => /^Name:|^\s+cpu\s/.test(l))
              .join('\n'),
          )
          .catch((e: Error) => e.message),
      ].join('\n');
      console.log(`two applies: the first never ended\n${dump}`);
      await killGroup(a.child);
    }
    expect(code, `${b.stderr}\n---\n${a.out()}`).toBe(0);
    await expectRecovered(ns, configPath, { bridges: 1 });
    // the "recovery s" column: how long the second apply took to refuse
    matrix.push({
      command: 'apply ×2 at once',
      killedAt: '(not killed: a second apply while the first installs)',
      recovery: 'second exits 1 naming the holder; first ends 0',
      recovered: true,
      seconds: refusedIn,
    });
  });
});

async function setCountAndWeb(configPath: string, bridges: number, web: number): Promise<void> {
  await setCount(configPath, bridges);
  const { readFileSync, writeFileSync } = await import('node:fs');
  const doc = parse(readFileSync(configPath, 'utf8')) as { components: { web?: { replicas?: number } } };
  doc.components.web = { ...doc.components.web, replicas: web };
  writeFileSync(configPath, (await import('yaml')).stringify(doc));
}

/** One participant on the highest-numbered bridge (the one a scale-in removes behind a Service), through the stand-in's load file. */
async function holdParticipant(ns: string, loadFile: string): Promise<void> {
  const { writeFileSync } = await import('node:fs');
  const pods = JSON.parse(await kubectlAsync(['get', 'pods', '-n', ns, '-l', bridgeSelector(RELEASE), '-o', 'json'])) as {
    items: { metadata: { labels: Record<string, string> }; status: { podIP: string } }[];
  };
  const top = pods.items.sort((a, b) => Number(b.metadata.labels.instance) - Number(a.metadata.labels.instance))[0]!;
  writeFileSync(loadFile, JSON.stringify({ [top.status.podIP]: { stats: { participants: 1, conferences: 1 } } }));
}

/** Nobody on any bridge (the stand-in's default is 3 participants each). */
async function releaseParticipant(ns: string, loadFile: string): Promise<void> {
  const { writeFileSync } = await import('node:fs');
  const pods = JSON.parse(await kubectlAsync(['get', 'pods', '-n', ns, '-l', bridgeSelector(RELEASE), '-o', 'json'])) as {
    items: { status: { podIP?: string } }[];
  };
  writeFileSync(
    loadFile,
    JSON.stringify(Object.fromEntries(pods.items.filter((p) => p.status.podIP).map((p) => [p.status.podIP, { stats: { participants: 0, conferences: 0 } }]))),
  );
}

function benchStep(ns: string, pid: number) {
  const name = `jk8s-bench-killed-s0`;
  const metadata = {
    name,
    namespace: ns,
    labels: {
      'app.kubernetes.io/managed-by': 'jitsi-k8s',
      'app.kubernetes.io/component': 'bench-worker',
      'jitsi-k8s/bench-run': 'killed',
      'jitsi-k8s/bench-step': '0',
    },
    annotations: { 'jitsi-k8s/coordinator-host': hostname(), 'jitsi-k8s/coordinator-pid': String(pid) },
  };
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { 'scenario.json': '{}' } },
      { apiVersion: 'v1', kind: 'Secret', metadata, stringData: { password: 'x' } },
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata,
        spec: {
          activeDeadlineSeconds: 600,
          ttlSecondsAfterFinished: 3600,
          template: { metadata: { labels: metadata.labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'worker', image: 'node:24' }] } },
        },
      },
    ],
  };
}

describe.skipIf(!cluster)(`the release lease on the real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('a lease another machine stopped renewing is taken over, a fresh one is refused naming its holder, two racers for a free one: one wins', async () => {
    const { openKube } = await import('../../src/cluster/kube.js');
    const { acquireLease } = await import('../../src/cluster/lease.js');
    const ns = real.space('jk8s-lease');
    await kubectlAsync(['create', 'namespace', ns]);
    const kube = openKube({ kubeconfig: cluster!.kubeconfig, namespace: ns });
    const lease = (renewed: Date) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'jitsi-k8s-jitsi',
        namespace: ns,
        annotations: { 'jitsi-k8s/command': 'jitsi-k8s apply', 'jitsi-k8s/host': 'other-machine', 'jitsi-k8s/pid': '1' },
      },
      spec: {
        holderIdentity: 'ci@other-machine pid 1',
        leaseDurationSeconds: 30,
        acquireTime: renewed.toISOString().replace('Z', '000Z'),
        renewTime: renewed.toISOString().replace('Z', '000Z'),
      },
    });
    // renewed 2 minutes ago on another machine: its holder is gone, taken over
    await kubectlAsync(['apply', '-f', '-'], JSON.stringify(lease(new Date(Date.now() - 120_000))));
    const taken = await acquireLease(kube, ns, 'jitsi', { command: 'jitsi-k8s apply' });
    expect(taken.tookOverFrom?.identity).toBe('ci@other-machine pid 1');
    await taken.release();
    expect((await kubectlAsync(['get', 'leases', '-n', ns, '-o', 'name'])).trim()).toBe('');
    // renewed just now on another machine: refused, naming who and since when
    await kubectlAsync(['apply', '-f', '-'], JSON.stringify(lease(new Date())));
    await expect(acquireLease(kube, ns, 'jitsi', { command: 'jitsi-k8s apply' })).rejects.toThrow(
      /is being changed by another run: `jitsi-k8s apply` \(ci@other-machine pid 1\) since \S+, renewed \d+s ago/,
    );
    await kubectlAsync(['delete', 'lease', '-n', ns, 'jitsi-k8s-jitsi']);
    // two runs racing for a free lease (each its own client, as two processes would be): exactly one holds it
    const results = await Promise.allSettled([
      acquireLease(openKube({ kubeconfig: cluster!.kubeconfig, namespace: ns }), ns, 'race', { command: 'a' }),
      acquireLease(openKube({ kubeconfig: cluster!.kubeconfig, namespace: ns }), ns, 'race', { command: 'b' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.message).toMatch(/being changed by another run/);
    for (const r of results) if (r.status === 'fulfilled') await r.value.release();
  });
});
