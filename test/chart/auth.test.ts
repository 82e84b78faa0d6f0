/**
 * auth.mode through the real chart jitsi-meet 3.4.0 with real helm (test/support/chart.ts): each mode
 * reaches the env the images read (ENABLE_AUTH, ENABLE_GUESTS, AUTH_TYPE, the JWT settings on prosody
 * and jicofo), accounts live on a claim our data chart keeps, and the JWT app secret appears only in a
 * Secret — never in a ConfigMap, the public values, helm's argv or the printed plan.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { formatPlan, planApply } from '../../src/cluster/plan.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { chartValues, template, typeMismatches, unknownToChart, type Any } from '../support/chart.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { cli } from '../support/cli.js';
import { helmBin } from '../support/tools.js';

const JWT_SECRET = FIXED_SECRETS.jwt!.appSecret;
function byKind(objs: Any[], kind: string, nameEnd: string): Any {
  const found = objs.find((o) => o.kind === kind && String(o.metadata?.name).endsWith(nameEnd));
  if (!found) throw new Error(`no ${kind} named *${nameEnd} in the rendered chart`);
  return found;
}
function secretWith(objs: Any[], key: string): Any {
  const found = objs.find((o) => o.kind === 'Secret' && (o.stringData?.[key] ?? o.data?.[key]) !== undefined);
  if (!found) throw new Error(`no Secret holds ${key}`);
  return found;
}
const common = (objs: Any[]) => byKind(objs, 'ConfigMap', 'jitsi-meet-common').data as Record<string, string>;

const tmp = mkdtempSync(join(tmpdir(), 'jk8s-chart-auth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('auth.mode through the real chart', () => {
  it('open (the default): ENABLE_AUTH "false", no AUTH_TYPE, no prosody volume', async () => {
    const values = chartValues();
    expect(values.enableAuth).toBe(false);
    const objs = await template(values);
    expect(common(objs)).toMatchObject({ ENABLE_AUTH: 'false' });
    expect(common(objs).AUTH_TYPE).toBeUndefined();
    expect(byKind(objs, 'StatefulSet', 'prosody').spec.volumeClaimTemplates).toBeUndefined();
  });

  it.each([
    [false, 'false'],
    [true, 'true'],
  ])('accounts, guests %s: internal auth for every component, ENABLE_GUESTS %s, prosody mounts the kept claim', async (guests, guestsEnv) => {
    const values = chartValues({ auth: { mode: 'accounts', guests, accounts: { size: '2Gi', storageClass: 'fast' } } });
    expect(unknownToChart(values)).toEqual([]);
    expect(typeMismatches(values)).toEqual([]);
    const objs = await template(values);
    expect(common(objs)).toMatchObject({ ENABLE_AUTH: 'true', ENABLE_GUESTS: guestsEnv, AUTH_TYPE: 'internal', XMPP_GUEST_DOMAIN: 'guest.meet.jitsi' });
    const sts = byKind(objs, 'StatefulSet', 'prosody');
    // the common ConfigMap is what prosody, jicofo and web read AUTH_TYPE from
    expect(JSON.stringify(sts.spec.template.spec.containers[0].envFrom)).toContain('jitsi-jitsi-meet-common');
    expect(sts.spec.volumeClaimTemplates).toBeUndefined();
    expect(sts.spec.template.spec.volumes.find((v: Any) => v.name === 'prosody-data')).toEqual({ name: 'prosody-data', persistentVolumeClaim: { claimName: 'jitsi-jitsi-meet-prosody' } });
    // the chart makes no claim of its own for it
    expect(objs.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
  });

  it('accounts: the data chart keeps the accounts claim (helm.sh/resource-policy: keep), with size, class and the release labels', async () => {
    const release = renderRelease(config({ auth: { mode: 'accounts', accounts: { size: '2Gi', storageClass: 'fast' } } }), FIXED_SECRETS);
    const dir = join(tmp, 'data');
    for (const [file, content] of Object.entries(release.data!.files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    }
    const out = await run(helmBin(), ['template', release.data!.release, dir, '--namespace', 'jitsi', '--values', '-'], { input: stringify(release.data!.values) });
    const claims = parseAllDocuments(out.stdout).map((d) => d.toJS() as Any).filter(Boolean);
    expect(claims).toEqual([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: 'jitsi-jitsi-meet-prosody',
          annotations: { 'helm.sh/resource-policy': 'keep' },
          labels: { 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'jitsi', 'app.kubernetes.io/component': 'prosody' },
        },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'fast' },
      },
    ]);
  });

  it('jwt: token auth on prosody (app id, issuers, audiences, moderator from the token), jicofo leaves rooms to the token', async () => {
    const values = chartValues({ auth: { mode: 'jwt', guests: true, jwt: { appId: 'my-app', issuers: ['my-app', 'portal'], audiences: ['meet'] } } });
    expect(unknownToChart(values)).toEqual([]);
    expect(typeMismatches(values)).toEqual([]);
    const objs = await template(values);
    expect(common(objs)).toMatchObject({ ENABLE_AUTH: 'true', ENABLE_GUESTS: 'true', AUTH_TYPE: 'jwt' });
    expect(byKind(objs, 'ConfigMap', 'jitsi-meet-prosody').data).toMatchObject({
      JWT_APP_ID: 'my-app',
      JWT_ACCEPTED_ISSUERS: 'my-app,portal',
      JWT_ACCEPTED_AUDIENCES: 'meet',
      JWT_ALLOW_EMPTY: 'false',
      XMPP_MUC_MODULES: 'token_affiliation',
    });
    expect(byKind(objs, 'ConfigMap', 'jitsi-meet-jicofo').data).toMatchObject({ ENABLE_AUTO_OWNER: 'false', JICOFO_ENABLE_AUTH: 'false' });
    // the secret: in the chart's prosody Secret, which the prosody container reads
    const secret = secretWith(objs, 'JWT_APP_SECRET');
    expect(secret.stringData.JWT_APP_SECRET).toBe(JWT_SECRET);
    const sts = byKind(objs, 'StatefulSet', 'prosody');
    expect(sts.spec.template.spec.containers[0].envFrom).toContainEqual({ secretRef: { name: secret.metadata.name } });
  });

  it('jwt: the app secret is only ever in a Secret — no ConfigMap, no other object, not the public values, not argv, not the printed plan', async () => {
    const release = renderRelease(config({ auth: { mode: 'jwt' }, components: { jibri: { enabled: true } } }), FIXED_SECRETS);
    const objs = await template(fullValues(release));
    const holders = objs.filter((o) => JSON.stringify(o).includes(JWT_SECRET)).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(holders).toEqual(['Secret/jitsi-jitsi-meet-prosody-secret']);
    expect(JSON.stringify(release.values)).not.toContain(JWT_SECRET);
    expect(release.valuesYaml).not.toContain(JWT_SECRET);
    expect(release.notes.join('\n')).not.toContain(JWT_SECRET);
    const steps = planApply(release, { helm: { major: 4 }, timeout: '15m' });
    const text = formatPlan(steps, { helm: 'helm', kubectl: 'kubectl' });
    expect(JSON.stringify(steps.map((s) => [s.args, s.env]))).not.toContain(JWT_SECRET);
    expect(text).not.toContain(JWT_SECRET);
    // helm gets it on stdin
    expect(parse(steps.find((s) => s.id === 'jitsi-meet')!.stdin!).prosody.jwt.secret).toBe(JWT_SECRET);
    // jibri keeps working: it must be a prosody admin under token auth (jitsi-helm#225); the prosody image lists
    // jibri@auth among the admins when JIBRI_XMPP_PASSWORD is in its env (docker-jitsi-meet jitsi-meet.cfg.lua)
    const jibriSecret = secretWith(objs, 'JIBRI_XMPP_PASSWORD');
    expect(byKind(objs, 'StatefulSet', 'prosody').spec.template.spec.containers[0].envFrom).toContainEqual({ secretRef: { name: jibriSecret.metadata.name } });
  });

  it('jwt through the built bin: `render` writes the generated secret only to the 0600 secrets files, never to stdout, stderr or values.yaml', () => {
    const dir = join(tmp, 'render-jwt');
    mkdirSync(dir);
    const cfg = join(dir, 'jitsi-k8s.yaml');
    writeFileSync(cfg, 'domain: meet.example.com\ntls: { mode: none }\nexposure: { mode: loadBalancer, publicIP: 203.0.113.10 }\nauth: { mode: jwt, jwt: { appId: meet-app } }\n');
    const out = join(dir, 'out');
    const r = cli(['render', '--config', cfg, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const secret = (parse(readFileSync(join(dir, 'jitsi-k8s.secrets.yaml'), 'utf8')) as Any).jwt.appSecret as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dir, 'jitsi-k8s.secrets.yaml')).mode & 0o777).toBe(0o600);
    expect((parse(readFileSync(join(out, 'secrets.values.yaml'), 'utf8')) as Any).prosody.jwt.secret).toBe(secret);
    expect(statSync(join(out, 'secrets.values.yaml')).mode & 0o777).toBe(0o600);
    const holders = readdirSync(out).filter((f) => readFileSync(join(out, f), 'utf8').includes(secret));
    expect(holders).toEqual(['secrets.values.yaml']);
    const stream = cli(['render', '--config', cfg, '--out', '-']);
    expect(stream.code, stream.stderr).toBe(0);
    expect(stream.stdout).toContain('JWT_APP_ID: meet-app');
    expect(r.stdout + r.stderr + stream.stdout + stream.stderr).not.toContain(secret);
  });
});
