/**
 * The apply pipeline against a helm stand-in that records argv and stdin (test/support/helm-standin.mjs):
 * upgrade --install and rollback need a cluster, so here the order, flags, secrets and the rollback
 * of earlier steps when a later one fails are checked on what helm would have been asked.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterActions } from '../../src/cluster/apply.js';
import { applyInstall } from '../../src/pipeline/apply.js';
import { CommandError } from '../../src/errors.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-standin-'));
const standin = join(repoRoot, 'test/support/helm-standin.mjs');
let log: string;
const saved = { ...process.env };
const actions: ClusterActions = {
  serviceAddresses: async () => ['198.51.100.9'],
  ingressHostname: async () => 'meet.tail1234.ts.net',
  waitForBridges: async () => undefined,
};

beforeEach(() => {
  log = join(work, `calls-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(log, '');
  Object.assign(process.env, { JITSI_K8S_HELM: standin, STANDIN_LOG: log, CI: '1' });
});
afterEach(() => {
  for (const k of ['JITSI_K8S_HELM', 'STANDIN_LOG', 'STANDIN_RELEASES', 'STANDIN_FAIL', 'STANDIN_VERSION']) delete process.env[k];
  Object.assign(process.env, saved);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const calls = () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { argv: string[]; stdin: string });
const hostPort = () => config({ nodes: { count: 4 }, exposure: { mode: 'hostPort' }, components: { jvb: { replicas: 2, autoscale: { enabled: true, max: 4 } } }, cluster: { context: 'prod' } });
const allSecrets = [...Object.values(FIXED_SECRETS.xmpp), FIXED_SECRETS.turnSecret];

describe('apply with a recording helm', () => {
  it('runs the steps in order with helm 3 flags; secrets only on stdin', async () => {
    const r = await applyInstall({ configPath: join(work, 'a.yaml'), config: hostPort(), secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions });
    const upgrades = calls().filter((c) => c.argv[0] === 'upgrade');
    expect(upgrades.map((c) => c.argv[2])).toEqual(['jitsi', 'jitsi-extras']);
    expect(upgrades[0]!.argv).toEqual(expect.arrayContaining(['--atomic', '--wait', '--timeout', '15m', '--kube-context', 'prod', '--values', '-']));
    expect(upgrades[0]!.argv).not.toContain('--rollback-on-failure');
    for (const c of calls()) for (const s of allSecrets) expect(c.argv.join(' ')).not.toContain(s);
    expect(upgrades[0]!.stdin).toContain(FIXED_SECRETS.xmpp.jvb);
    expect(r.outcomes.map((o) => [o.id, o.status])).toEqual([
      ['jitsi-meet', 'done'],
      ['extras', 'done'],
      ['wait-bridges', 'done'],
    ]);
  });

  it('helm 4 gets --rollback-on-failure', async () => {
    process.env.STANDIN_VERSION = 'v4.1.4';
    await applyInstall({ configPath: join(work, 'b.yaml'), config: hostPort(), secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions });
    const main = calls().find((c) => c.argv[0] === 'upgrade')!;
    expect(main.argv).toEqual(expect.arrayContaining(['--rollback-on-failure', '--wait=watcher']));
  });

  it('an unchanged release is not upgraded again', async () => {
    const c = hostPort();
    const r = renderRelease(c, FIXED_SECRETS);
    process.env.STANDIN_RELEASES = JSON.stringify({
      jitsi: { revision: 3, values: fullValues(r) },
      'jitsi-extras': { revision: 2, values: r.extras!.secretValues, chart: `jitsi-k8s-extras-${r.extras!.version}` },
    });
    const out = await applyInstall({ configPath: join(work, 'c.yaml'), config: c, secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions });
    expect(calls().filter((x) => x.argv[0] === 'upgrade')).toEqual([]);
    expect(out.outcomes.map((o) => o.status)).toEqual(['unchanged', 'unchanged', 'done']);
  });

  it('a failing later step rolls the main release back to its previous revision', async () => {
    process.env.STANDIN_RELEASES = JSON.stringify({ jitsi: { revision: 4, values: { old: true } } });
    process.env.STANDIN_FAIL = 'jitsi-extras';
    const err = await applyInstall({ configPath: join(work, 'd.yaml'), config: hostPort(), secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as Error).message).toContain('rolled back: jitsi to revision 4');
    const argvs = calls().map((c) => c.argv.slice(0, 3).join(' '));
    expect(argvs.filter((a) => /^(upgrade|rollback|uninstall)/.test(a))).toEqual(['upgrade --install jitsi', 'upgrade --install jitsi-extras', 'rollback jitsi 4']);
    expect(calls().find((c) => c.argv[0] === 'rollback')!.argv).toEqual(expect.arrayContaining(['--kube-context', 'prod', '--wait']));
  });

  it('a failing later step on a fresh install removes what it installed', async () => {
    process.env.STANDIN_FAIL = 'jitsi-extras';
    const err = await applyInstall({ configPath: join(work, 'e.yaml'), config: hostPort(), secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions }).catch((e: unknown) => e);
    expect((err as Error).message, (err as Error).message).toContain('rolled back: jitsi (new install removed)');
    expect(calls().some((c) => c.argv[0] === 'uninstall' && c.argv[1] === 'jitsi')).toBe(true);
  });

  it('a release that was failed before this run is rolled back to its last deployed revision, never uninstalled', async () => {
    process.env.STANDIN_RELEASES = JSON.stringify({
      jitsi: { revision: 4, status: 'failed', values: { old: true }, history: [{ revision: 3, status: 'deployed' }, { revision: 4, status: 'failed' }] },
    });
    process.env.STANDIN_FAIL = 'jitsi-extras';
    const err = await applyInstall({ configPath: join(work, 'g.yaml'), config: hostPort(), secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('rolled back: jitsi to revision 3');
    expect(calls().some((c) => c.argv[0] === 'uninstall' && c.argv[1] === 'jitsi')).toBe(false);
  });

  it.each(['failed', 'pending-upgrade', 'pending-install'])('a release in state %s with no deployed revision is left alone, never uninstalled', async (status) => {
    process.env.STANDIN_RELEASES = JSON.stringify({ jitsi: { revision: 1, status, values: {} } });
    process.env.STANDIN_FAIL = 'jitsi-extras';
    const err = await applyInstall({ configPath: join(work, `h-${status}.yaml`), config: hostPort(), secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions }).catch((e: unknown) => e);
    expect((err as Error).message).toContain(`jitsi: left as it is (it was ${status} before this run, with no deployed revision to return to)`);
    expect(calls().some((c) => c.argv[0] === 'uninstall' && c.argv[1] === 'jitsi')).toBe(false);
    expect(calls().some((c) => c.argv[0] === 'rollback')).toBe(false);
  });

  it('tailscale: the tailnet name from the web Ingress status becomes publicURL, is rendered again and saved with the JVB address', async () => {
    const c = config({ exposure: { mode: 'tailscale', publicIP: undefined, tailscale: { hostname: 'meet' } }, tls: { mode: 'none' } });
    const asked: string[] = [];
    const reading: ClusterActions = {
      ...actions,
      serviceAddresses: async (ns, svc) => (asked.push(`service ${ns}/${svc}`), ['100.64.0.7']),
      ingressHostname: async (ns, ing) => (asked.push(`ingress ${ns}/${ing}`), 'meet.tail1234.ts.net'),
    };
    const path = join(work, 'ts.yaml');
    const r = await applyInstall({ configPath: path, config: c, secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions: reading });
    expect(asked).toEqual(['service jitsi/jitsi-jitsi-meet-jvb', 'ingress jitsi/jitsi-jitsi-meet-web']);
    const mains = calls().filter((x) => x.argv[0] === 'upgrade' && x.argv[2] === 'jitsi');
    expect(mains).toHaveLength(2);
    expect(parse(mains[0]!.stdin).publicURL).toBe('https://meet.example.com'); // the domain stands in until the tailnet name is read
    expect(parse(mains[1]!.stdin).publicURL).toBe('https://meet.tail1234.ts.net');
    expect(parse(mains[1]!.stdin).jvb.publicIPs).toEqual(['100.64.0.7']);
    expect(r.outcomes.find((o) => o.id === 'advertise')?.detail).toBe('100.64.0.7, https://meet.tail1234.ts.net');
    const saved = parse(readFileSync(path, 'utf8'));
    expect(saved.exposure.tailscale).toMatchObject({ hostname: 'meet', fqdn: 'meet.tail1234.ts.net' });
    expect(saved.exposure.publicIP).toBe('100.64.0.7');
  });

  it('a load balancer with several addresses (an ELB name, one IP per zone): all are advertised and saved', async () => {
    const c = config({ exposure: { mode: 'loadBalancer', publicIP: undefined } });
    const path = join(work, 'elb.yaml');
    const r = await applyInstall({ configPath: path, config: c, secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions: { ...actions, serviceAddresses: async () => ['198.51.100.3', '198.51.100.20'] } });
    const mains = calls().filter((x) => x.argv[0] === 'upgrade' && x.argv[2] === 'jitsi');
    expect(parse(mains.at(-1)!.stdin).jvb.publicIPs).toEqual(['198.51.100.3', '198.51.100.20']);
    expect(r).toMatchObject({ advertised: '198.51.100.3', advertisedIPs: ['198.51.100.3', '198.51.100.20'] });
    const saved = parse(readFileSync(path, 'utf8'));
    expect(saved.exposure).toMatchObject({ publicIP: '198.51.100.3', extraPublicIPs: ['198.51.100.20'] });
  });

  it('bridges that never become ready roll the release back too', async () => {
    process.env.STANDIN_RELEASES = JSON.stringify({ jitsi: { revision: 7, values: {} } });
    const failing: ClusterActions = { ...actions, waitForBridges: async () => { throw new CommandError('timed out waiting for 2 bridges'); } };
    const err = await applyInstall({ configPath: join(work, 'f.yaml'), config: hostPort(), secrets: FIXED_SECRETS, yes: true, dryRun: false, skipPreflight: true, actions: failing }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/timed out waiting for 2 bridges\nrolled back: jitsi-extras \(new install removed\); jitsi to revision 7/);
  });
});
