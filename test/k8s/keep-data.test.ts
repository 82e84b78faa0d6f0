/**
 * Recordings, transcripts and prosody's accounts (auth.mode accounts) survive `uninstall`: the built bin against the test control plane, real
 * helm and the real jitsi-meet chart. The jibri and transcriber
 * claims are bound by PVs the test makes (test/support/cloud.ts: kwok has no provisioner); the same claim UID after
 * uninstall proves the data was never deleted. Also an install left by an older jitsi-k8s, whose
 * claims the jitsi-meet release owns: apply takes them over, uninstall first refuses to drop them.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, helmAsync as helm, kubectlAsync as kubectl, realClusterWork, skipReason, TEST_STORAGE_CLASS } from '../support/control-plane.js';

const real = realClusterWork('jk8s-keep');
const work = real.dir;
const jitsiK8s = (args: string[]) => real.jitsiK8s(args);
const releases = async (ns: string) => (JSON.parse(await helm(['list', '--namespace', ns, '--output', 'json'])) as { name: string }[]).map((r) => r.name).sort();

/** claim name → UID: a claim deleted and made again has a new UID */
async function claims(ns: string): Promise<Record<string, string>> {
  const list = JSON.parse(await kubectl(['get', 'pvc', '--namespace', ns, '-o', 'json'])) as { items: { metadata: { name: string; uid: string } }[] };
  return Object.fromEntries(list.items.map((p) => [p.metadata.name, p.metadata.uid]));
}

const space = (name: string) => real.space(name, { bindClaims: true });

async function init(ns: string, configPath: string): Promise<void> {
  const r = await jitsiK8s([
    'init', '--yes', '--no-apply', '--out', configPath, '--domain', 'meet.test.invalid', '--namespace', ns, '--jvb-replicas', '1',
    '--exposure', 'loadBalancer', '--public-ip', '127.0.0.1', '--tls', 'none',
    '--jibri', '--jibri-storage', '1Gi', '--transcriber', '--transcriber-storage', '1Gi', '--storage-class', TEST_STORAGE_CLASS,
  ]);
  expect(r.code, r.stderr).toBe(0);
}

const RECORDINGS = 'jitsi-jitsi-meet-jibri';
const TRANSCRIPTS = 'jitsi-jitsi-meet-transcriber';

beforeAll(() => real.setUp());
afterAll(() => real.cleanUp());

describe.skipIf(!cluster)(`recordings and transcripts survive uninstall${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('apply → uninstall keeps the jibri and transcriber claims; apply mounts them again; --delete-data deletes them', { timeout: 15 * 60_000 }, async () => {
    const ns = space('jk8s-keep');
    const configPath = join(work, 'keep.yaml');
    await init(ns, configPath);
    const applied = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(applied.code, applied.stderr).toBe(0);
    // the config is open (auth.mode default): apply says so, once
    expect(applied.stderr.split('\n').filter((l) => l.includes('auth.mode: open: anyone who finds the site can start meetings on your bridges'))).toHaveLength(1);
    const before = await claims(ns);
    expect(Object.keys(before).sort()).toEqual([RECORDINGS, TRANSCRIPTS]);

    const removed = await jitsiK8s(['uninstall', '--yes', '--no-drain', '--config', configPath]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await releases(ns)).toEqual([]);
    expect(await claims(ns)).toEqual(before);

    // installing again takes the kept claims back (same UIDs), no new empty volume
    const again = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(again.code, again.stderr).toBe(0);
    expect(await claims(ns)).toEqual(before);

    const purged = await jitsiK8s(['uninstall', '--yes', '--no-drain', '--delete-data', '--config', configPath]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(await claims(ns)).toEqual({});
  });

  it('auth.mode accounts: prosody mounts the accounts claim of the data chart; uninstall keeps it, --delete-data deletes it; apply warns only when open', { timeout: 15 * 60_000 }, async () => {
    const ns = space('jk8s-accounts');
    const configPath = join(work, 'accounts.yaml');
    const r = await jitsiK8s([
      'init', '--yes', '--no-apply', '--out', configPath, '--domain', 'meet.test.invalid', '--namespace', ns, '--jvb-replicas', '1',
      '--exposure', 'loadBalancer', '--public-ip', '127.0.0.1', '--tls', 'none',
      '--auth', 'accounts', '--guests', '--accounts-storage', '1Gi', '--storage-class', TEST_STORAGE_CLASS,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const applied = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).not.toContain('auth.mode: open');
    const before = await claims(ns);
    expect(Object.keys(before)).toEqual(['jitsi-jitsi-meet-prosody']);
    const sts = JSON.parse(await kubectl(['get', 'statefulset', 'jitsi-jitsi-meet-prosody', '--namespace', ns, '-o', 'json']));
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'prosody-data', persistentVolumeClaim: { claimName: 'jitsi-jitsi-meet-prosody' } });
    const common = JSON.parse(await kubectl(['get', 'configmap', 'jitsi-jitsi-meet-common', '--namespace', ns, '-o', 'json'])).data;
    expect(common).toMatchObject({ ENABLE_AUTH: 'true', ENABLE_GUESTS: 'true', AUTH_TYPE: 'internal' });

    const removed = await jitsiK8s(['uninstall', '--yes', '--no-drain', '--config', configPath]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await claims(ns)).toEqual(before);
    const again = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(again.code, again.stderr).toBe(0);
    expect(await claims(ns)).toEqual(before);
    const purged = await jitsiK8s(['uninstall', '--yes', '--no-drain', '--delete-data', '--config', configPath]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(await claims(ns)).toEqual({});
  });

  it('an install whose claims the jitsi-meet release owns: uninstall refuses, apply takes them over, then uninstall keeps them', { timeout: 15 * 60_000 }, async () => {
    const ns = space('jk8s-legacy');
    const configPath = join(work, 'legacy.yaml');
    await init(ns, configPath);
    await real.olderInstall(ns);
    const legacy = await claims(ns);
    expect(Object.keys(legacy).sort()).toEqual([RECORDINGS, TRANSCRIPTS]);

    const refused = await jitsiK8s(['uninstall', '--yes', '--no-drain', '--config', configPath]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`release jitsi still owns PersistentVolumeClaim ${RECORDINGS}, ${TRANSCRIPTS}`);
    expect(refused.stderr).toContain('run `jitsi-k8s apply` first');
    expect(await releases(ns)).toEqual(['jitsi']);

    const applied = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await claims(ns)).toEqual(legacy);
    const owner = JSON.parse(await kubectl(['get', 'pvc', RECORDINGS, '--namespace', ns, '-o', 'json'])).metadata.annotations;
    expect(owner).toMatchObject({ 'meta.helm.sh/release-name': 'jitsi-data', 'helm.sh/resource-policy': 'keep' });

    const removed = await jitsiK8s(['uninstall', '--yes', '--no-drain', '--config', configPath]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await releases(ns)).toEqual([]);
    expect(await claims(ns)).toEqual(legacy);
  });
});
