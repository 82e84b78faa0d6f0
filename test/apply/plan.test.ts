import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { unkeptClaims } from '../../src/cluster/apply.js';
import { CHART_DIR, formatPlan, planApply, planUninstall, POST_RENDERER_DIR } from '../../src/cluster/plan.js';
import { renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';

const allSecrets = [...Object.values(FIXED_SECRETS.xmpp), FIXED_SECRETS.turnSecret, FIXED_SECRETS.tailscale!.clientSecret, FIXED_SECRETS.newt!.secret];

function plan(overrides: Record<string, unknown> = {}, helmMajor = 4, advertiseFrom?: string) {
  const release = renderRelease(config(overrides), FIXED_SECRETS);
  return planApply(release, { helm: { major: helmMajor }, context: (overrides.cluster as { context?: string } | undefined)?.context, timeout: '15m' }, { advertiseFrom });
}

describe('apply plan', () => {
  it.each([
    [3, ['--atomic', '--wait', '--timeout', '15m']],
    [4, ['--rollback-on-failure', '--wait=watcher', '--timeout', '15m']],
  ])('helm %i: rollback on failure with the right flags', (major, flags) => {
    const main = plan({}, major).find((s) => s.id === 'jitsi-meet')!;
    expect(main.args.slice(0, 8)).toEqual(['upgrade', '--install', 'jitsi', 'jitsi-meet', '--repo', 'https://jitsi-contrib.github.io/jitsi-helm/', '--version', '3.4.0']);
    expect(main.args.join(' ')).toContain(flags.join(' '));
    expect(main.args.slice(-2)).toEqual(['--values', '-']);
  });

  it.each([
    [3, ['--post-renderer', `${POST_RENDERER_DIR}/jitsi-k8s-jvb-drain`, '--post-renderer-args', `${POST_RENDERER_DIR}/jvb-drain.patch.yaml`], undefined],
    // helm 4 refuses an executable path: a postrenderer/v1 plugin by name, from a plugins folder of ours for this call
    [4, ['--post-renderer', 'jitsi-k8s-jvb-drain', '--post-renderer-args', `${POST_RENDERER_DIR}/jvb-drain.patch.yaml`], { HELM_PLUGINS: `${POST_RENDERER_DIR}/plugins` }],
  ])('helm %i: the main release goes through the bridges\' post-renderer, shown in the dry-run with its patches', (major, flags, env) => {
    const steps = plan({ components: { jvb: { replicas: 2, drain: { timeout: '30m' } } } }, major);
    const main = steps.find((s) => s.id === 'jitsi-meet')!;
    expect(main.args.join(' ')).toContain(flags.join(' '));
    expect(main.env).toEqual(env);
    const patches = parse(main.postRenderer!.patches.split('---')[1]!);
    expect(patches).toMatchObject({ kind: 'Deployment', metadata: { name: 'jitsi-jitsi-meet-jvb-1' } });
    expect(patches.spec.template.spec.terminationGracePeriodSeconds).toBe(30 * 60 + 120);
    const text = formatPlan(steps, { helm: 'helm', kubectl: 'kubectl' });
    expect(text).toContain(`${env ? `HELM_PLUGINS=${POST_RENDERER_DIR}/plugins ` : ''}helm upgrade --install jitsi`);
    expect(text).toContain('#        name: jitsi-jitsi-meet-jvb-1');
    expect(text).toMatch(/^# +- \/usr\/share\/jitsi-videobridge\/graceful_shutdown\.sh$/m);
    // the stdin heredoc is still the first one: tools that cut it out keep working
    expect(parse(text.slice(text.indexOf('<<EOF') + 5, text.indexOf('\nEOF'))).jvb.extraEnvs.SHUTDOWN_REST_ENABLED).toBe('true');
  });

  it('the kube context from the config reaches helm', () => {
    const main = plan({ cluster: { context: 'prod' } }).find((s) => s.id === 'jitsi-meet')!;
    expect(main.args.join(' ')).toContain('--kube-context prod');
    expect(plan().find((s) => s.id === 'jitsi-meet')!.args).not.toContain('--kube-context');
  });

  it('secrets go on stdin only; the shown plan redacts them', () => {
    const steps = plan({ exposure: { mode: 'tailscale', publicIP: undefined }, components: { jibri: { enabled: true } } });
    const text = formatPlan(steps, { helm: 'helm', kubectl: 'kubectl' });
    for (const s of allSecrets) {
      expect(JSON.stringify(steps.map((x) => x.args))).not.toContain(s);
      expect(text).not.toContain(s);
    }
    const main = steps.find((s) => s.id === 'jitsi-meet')!;
    expect(parse(main.stdin!).jvb.xmpp.password).toBe(FIXED_SECRETS.xmpp.jvb);
    expect(parse(main.stdinShown!).jvb.xmpp.password).toBe('<redacted>');
    expect(parse(main.stdinShown!).jvb.portRangeSize).toBe(1); // public values stay readable
    expect(text).toContain('<redacted>');
  });

  it('order: dependency charts → jitsi-meet → extras → wait for bridges', () => {
    const ids = plan({ exposure: { mode: 'tailscale', publicIP: undefined } }, 4, 'jitsi-jitsi-meet-jvb').map((s) => s.id);
    expect(ids).toEqual(['dep-tailscale-operator', 'jitsi-meet', 'advertise', 'extras-remove', 'wait-bridges']);
    const dep = plan({ exposure: { mode: 'tailscale', publicIP: undefined } })[0]!;
    expect(dep.args).toEqual(expect.arrayContaining(['tailscale-operator', '--repo', 'https://pkgs.tailscale.com/helmcharts', '--namespace', 'tailscale']));
    expect(parse(dep.stdin!).oauth.clientSecret).toBe(FIXED_SECRETS.tailscale!.clientSecret);
  });

  it('extras chart step carries its files and a placeholder dir', () => {
    const steps = plan({ nodes: { count: 4 }, exposure: { mode: 'hostPort' }, components: { jvb: { replicas: 2, autoscale: { enabled: true, max: 4 } } } });
    const extras = steps.find((s) => s.id === 'extras')!;
    expect(extras.args.slice(0, 4)).toEqual(['upgrade', '--install', 'jitsi-extras', CHART_DIR]);
    expect(Object.keys(extras.chartFiles!)).toEqual([
      'Chart.yaml',
      'values.yaml',
      'templates/pdb-jvb.yaml',
      'templates/hpa-jitsi-jitsi-meet-jvb-0.yaml',
      ...['serviceaccount', 'role', 'rolebinding', 'configmap', 'deployment'].map((f) => `templates/keeper-${f}.yaml`),
    ]);
    expect(steps.at(-1)).toMatchObject({ id: 'wait-bridges', action: { kind: 'wait-bridges', bridges: 2 } });
  });

  it('without extras an earlier extras release is removed, and "not found" is fine', () => {
    const rm = plan().find((s) => s.id === 'extras-remove')!;
    expect(rm.args).toEqual(['uninstall', 'jitsi-extras', '--namespace', 'jitsi']);
    expect(rm.okWhen!.test('Error: uninstall: Release not loaded: jitsi-extras: release: not found')).toBe(true);
  });

  it('recording and transcript claims: handed to the data release, which goes before jitsi-meet without --wait', () => {
    const steps = plan({ components: { jibri: { enabled: true, storage: { size: '20Gi', storageClass: 'nfs' } }, transcriber: { enabled: true, storage: { size: '5Gi' } } } });
    expect(steps.map((s) => s.id)).toEqual(['claims-adopt', 'data', 'jitsi-meet', 'extras-remove', 'wait-bridges']);
    const adopt = steps[0]!;
    expect(adopt.tool).toBe('kubectl');
    expect(adopt.args).toEqual([
      'annotate', 'persistentvolumeclaims', '--namespace', 'jitsi', '--selector', 'app.kubernetes.io/instance=jitsi,app.kubernetes.io/component in (jibri,transcriber)',
      '--overwrite', 'meta.helm.sh/release-name=jitsi-data', 'meta.helm.sh/release-namespace=jitsi', 'helm.sh/resource-policy=keep',
    ]);
    const data = steps[1]!;
    expect(data.args.slice(0, 4)).toEqual(['upgrade', '--install', 'jitsi-data', CHART_DIR]);
    expect(data.args).not.toContain('--wait');
    expect(data.args).not.toContain('--atomic');
    const claims = parse(data.stdin!).claims;
    expect(claims).toEqual([
      { name: 'jitsi-jitsi-meet-jibri', component: 'jibri', size: '20Gi', storageClassName: 'nfs', accessModes: ['ReadWriteMany'], labels: { 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'jitsi', 'app.kubernetes.io/component': 'jibri' } },
      { name: 'jitsi-jitsi-meet-transcriber', component: 'transcriber', size: '5Gi', accessModes: ['ReadWriteMany'], labels: { 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'jitsi', 'app.kubernetes.io/component': 'transcriber' } },
    ]);
    // a changed size is a changed release: the unchanged check sees the claims
    expect(data.unchangedCheck).toEqual({ release: 'jitsi-data', namespace: 'jitsi', values: { claims } });
    expect(plan({ components: { jibri: { enabled: true, storage: { enabled: false } } } }).map((s) => s.id)).not.toContain('data');
  });

  it('every helm step with values has an unchanged check against the installed release', () => {
    const main = plan().find((s) => s.id === 'jitsi-meet')!;
    expect(main.unchangedCheck).toMatchObject({ release: 'jitsi', namespace: 'jitsi', chartVersion: '3.4.0' });
    expect((main.unchangedCheck!.values as { jvb: { xmpp: { password: string } } }).jvb.xmpp.password).toBe(FIXED_SECRETS.xmpp.jvb);
  });
});

describe('uninstall plan', () => {
  it('removes extras, the release, and our dependency charts; keeps data by default', () => {
    const steps = planUninstall({ release: 'jitsi', namespace: 'jitsi' }, { deleteData: false, dependencies: [{ release: 'tailscale-operator', namespace: 'tailscale' }], context: 'prod' });
    expect(steps.map((s) => s.id)).toEqual(['extras', 'jitsi-meet', 'data', 'dep-tailscale-operator']);
    expect(steps.every((s) => s.args.includes('--kube-context') && s.okWhen)).toBe(true);
  });

  it('finds the claims a release manifest holds without a keep policy', () => {
    const manifest = [
      'kind: PersistentVolumeClaim\nmetadata:\n  name: jitsi-jitsi-meet-jibri',
      'kind: PersistentVolumeClaim\nmetadata:\n  name: kept\n  annotations:\n    helm.sh/resource-policy: keep',
      'kind: Deployment\nmetadata:\n  name: jitsi-jitsi-meet-web',
    ].join('\n---\n');
    expect(unkeptClaims(manifest)).toEqual(['jitsi-jitsi-meet-jibri']);
    expect(unkeptClaims('')).toEqual([]);
  });

  it('--delete-data deletes the release PVCs by label', () => {
    const steps = planUninstall({ release: 'jitsi', namespace: 'jitsi' }, { deleteData: true, dependencies: [] });
    const pvcs = steps.find((s) => s.id === 'pvcs')!;
    expect(pvcs.tool).toBe('kubectl');
    expect(pvcs.args).toEqual(['delete', 'persistentvolumeclaims', '--namespace', 'jitsi', '--selector', 'app.kubernetes.io/instance=jitsi', '--ignore-not-found', '--wait=true']);
  });
});
