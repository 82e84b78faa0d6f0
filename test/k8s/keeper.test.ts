/**
 * The deletion-cost keeper (dist/keeper.mjs, what the extras chart runs in the cluster in hostPort
 * mode) as a process against the REAL API server, with the token of the ServiceAccount the extras
 * chart renders and exactly its Role: three bridge Deployments made with kubectl (kwok makes their
 * pods Ready) and the STAND-IN bridge (test/support/standin-bridge.mjs; Jitsi cannot run here) at
 * each pod IP with the participants this test writes. Within its period the keeper writes
 * participants − octo_endpoints into each pod's pod-deletion-cost, follows a change, and leaves a
 * bridge jitsi-k8s is removing alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { cluster, kubectl, kubectlJson, skipReason, standinRelease, type ReadyPod, type StandinBridge } from '../support/control-plane.js';
import { repoRoot } from '../support/tools.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ns = `jk8s-keeper-${Date.now().toString(36).slice(-5)}`;
const release = 'jitsi';
const work = mkdtempSync(join(tmpdir(), 'jk8s-keeper-'));
const loadFile = join(work, 'bridge-load.json');
const COST = 'controller.kubernetes.io/pod-deletion-cost';
const PERIOD_S = 2;
let bridge: StandinBridge | undefined;
let keeper: ChildProcess | undefined;
let keeperLog = '';
let pods: ReadyPod[] = [];

const extras = () =>
  renderRelease(
    config({
      nodes: { count: 3 },
      exposure: { mode: 'hostPort', publicIP: undefined },
      components: { jvb: { replicas: 3 } },
      cluster: { namespace: ns, release },
    }),
    FIXED_SECRETS,
  ).extras!.manifests;
const keeperName = `${release}-jvb-cost-keeper`;
const costs = () =>
  Object.fromEntries(kubectlJson<{ items: Any[] }>(['get', 'pods', '-n', ns]).items.map((p) => [p.metadata.name, p.metadata.annotations?.[COST]]));
const setLoad = (load: Record<string, { participants: number; octo_endpoints?: number }>) =>
  writeFileSync(loadFile, JSON.stringify(Object.fromEntries(Object.entries(load).map(([ip, stats]) => [ip, { stats }]))));

async function within(ms: number, what: string, ok: () => boolean): Promise<number> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > ms) throw new Error(`${what} not within ${ms / 1000}s: ${JSON.stringify(costs())}\n${keeperLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return Date.now() - start;
}

beforeAll(async () => {
  if (!cluster) return;
  ({ bridge, pods } = await standinRelease(ns, release, 3, loadFile));
  // the ServiceAccount, Role and RoleBinding exactly as the extras chart renders them
  const rbac = extras().filter((m) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(m.kind));
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac.map((m) => m.object) }));
}, 120_000);

afterAll(async () => {
  if (keeper && keeper.exitCode === null) {
    keeper.kill('SIGKILL');
    await once(keeper, 'exit');
  }
  await bridge?.stop();
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!cluster)(`the deletion-cost keeper against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('its Role is the least that does it: list and patch pods, nothing else', () => {
    const role = extras().find((m) => m.kind === 'Role')!.object as Any;
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'patch'] }]);
    // kubectl auth can-i prints yes or no and exits 1 on no
    const can = (verb: string, what: string) => {
      try {
        return kubectl(['auth', 'can-i', verb, what, '-n', ns, `--as=system:serviceaccount:${ns}:${keeperName}`]).trim();
      } catch (e) {
        return String((e as { stdout?: unknown }).stdout ?? '').trim();
      }
    };
    expect(can('list', 'pods')).toBe('yes');
    expect(can('patch', 'pods')).toBe('yes');
    for (const [verb, what] of [
      ['delete', 'pods'],
      ['create', 'pods'],
      ['get', 'pods/proxy'],
      ['get', 'secrets'],
      ['patch', 'deployments'],
    ]) {
      expect(can(verb!, what!), `${verb} ${what}`).toBe('no');
    }
  });

  it(
    'writes participants − octo endpoints into each bridge pod within its period, follows a change, leaves a leaving bridge alone',
    { timeout: 90_000 },
    async () => {
      const [a, b, c] = pods as [ReadyPod, ReadyPod, ReadyPod];
      setLoad({ [a.podIP]: { participants: 12, octo_endpoints: 4 }, [b.podIP]: { participants: 0 }, [c.podIP]: { participants: 5 } });
      const tokenFile = join(work, 'token');
      writeFileSync(tokenFile, kubectl(['create', 'token', keeperName, '-n', ns]).trim(), { mode: 0o600 });
      const deployment = extras().find((m) => m.kind === 'Deployment')!.object as Any;
      const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: Any) => [e.name, e.value]));
      keeper = spawn(process.execPath, [join(repoRoot, 'dist/keeper.mjs')], {
        env: {
          PATH: process.env.PATH,
          ...env,
          KEEPER_PERIOD_SECONDS: String(PERIOD_S),
          KEEPER_NAMESPACE: ns,
          KEEPER_API_SERVER: cluster!.server,
          KEEPER_TOKEN_FILE: tokenFile,
          KEEPER_CA_FILE: join(cluster!.dir, 'pki', 'ca.crt'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      keeper.stdout!.on('data', (d: Buffer) => (keeperLog += d.toString()));
      keeper.stderr!.on('data', (d: Buffer) => (keeperLog += d.toString()));
      const first = await within(2 * PERIOD_S * 1000 + 3_000, 'the first costs', () => {
        const c0 = costs();
        return c0[a.name] === '8' && c0[b.name] === '0' && c0[c.name] === '5';
      });
      expect(first).toBeLessThan(2 * PERIOD_S * 1000 + 3_000);
      // jitsi-k8s is removing c: its cost and mark stay as jitsi-k8s set them
      kubectl(['annotate', 'pod', c.name, '-n', ns, `${COST}=-1`, 'jitsi-k8s/leaving=true', '--overwrite']);
      setLoad({ [a.podIP]: { participants: 12, octo_endpoints: 4 }, [b.podIP]: { participants: 7 }, [c.podIP]: { participants: 9 } });
      await within(2 * PERIOD_S * 1000 + 3_000, 'the new cost of b', () => costs()[b.name] === '7');
      await new Promise((r) => setTimeout(r, 2 * PERIOD_S * 1000));
      expect(costs()).toEqual({ [a.name]: '8', [b.name]: '7', [c.name]: '-1' });
      expect(keeperLog).toContain(`${b.name}: pod-deletion-cost 0 → 7`);
      keeper.kill('SIGTERM');
      const [code] = await once(keeper, 'exit');
      expect(code).toBe(0);
    },
  );
});
