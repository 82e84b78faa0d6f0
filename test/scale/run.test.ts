/** runScale and the scale command against the fake API server (bridge load through the pod proxy). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runScale } from '../../src/pipeline/scale.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { colibriStatsBody, fakePod, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { cliAsync } from '../support/cli.js';
import { helmBin } from '../support/tools.js';

let api: FakeApiServer;
let kubeconfig: string;
const work = mkdtempSync(join(tmpdir(), 'jk8s-scale-'));

beforeAll(async () => {
  api = await startFakeApiServer();
  kubeconfig = api.writeKubeconfig();
  for (let i = 0; i < 4; i++) {
    const name = `jitsi-jitsi-meet-jvb-${i}-5f6d7c8b9-x${i}`;
    api.state.pods.push(fakePod({ name, component: 'jvb', node: `n${i}` }));
    api.state.colibriStats[`jitsi/${name}`] = colibriStatsBody({ participants: 10 * (i + 1), conferences: i + 1 });
  }
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

const CONFIG = `domain: meet.example.com
components: { jvb: { replicas: 4 } }
exposure: { mode: loadBalancer, publicIP: 203.0.113.10 }
tls: { mode: none }
`;

describe('runScale', () => {
  it('scaling in shows who is on the bridges that go, and a "no" changes nothing', async () => {
    const path = join(work, 'in.yaml');
    writeFileSync(path, CONFIG);
    let asked = '';
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfig;
    try {
      const r = await runScale({
        configPath: path,
        config: config({ components: { jvb: { replicas: 4 } } }),
        secrets: FIXED_SECRETS,
        request: { component: 'jvb', count: 2 },
        dryRun: false,
        yes: false,
        confirm: async (m) => {
          asked = m;
          return false;
        },
      });
      expect(r.status).toBe('cancelled');
      expect(r.bridges!.filter((b) => b.removed).map((b) => [b.pod.replace(/-5f6d.*/, ''), b.participants])).toEqual([
        ['jitsi-jitsi-meet-jvb-2', 30],
        ['jitsi-jitsi-meet-jvb-3', 40],
      ]);
      expect(asked).toContain('70 people lose their meeting');
      expect(readFileSync(path, 'utf8')).toBe(CONFIG);
      expect(api.requests.some((q) => q.path.endsWith(':8080/proxy/colibri/stats'))).toBe(true);
    } finally {
      process.env.KUBECONFIG = saved;
    }
  });

  it('the same count is a no-op', async () => {
    const r = await runScale({ configPath: join(work, 'x.yaml'), config: config({ components: { jvb: { replicas: 4 } } }), secrets: FIXED_SECRETS, request: { component: 'jvb', count: 4 }, dryRun: false, yes: true, confirm: async () => true });
    expect(r.status).toBe('unchanged');
  });
});

describe('jitsi-k8s scale (built bin)', () => {
  const env = () => ({ KUBECONFIG: kubeconfig, JITSI_K8S_HELM: helmBin() });
  const file = () => {
    const p = join(work, `c-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(p, CONFIG);
    return p;
  };

  it('--dry-run prints the helm plan with the new port range and leaves the file alone', async () => {
    const p = file();
    const r = await cliAsync(['scale', 'jvb', '6', '--config', p, '--dry-run'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('jvb.portRangeSize 4 → 6');
    expect(r.stderr).toContain('UDP 10000-10005');
    expect(r.stdout).toContain('helm upgrade --install jitsi jitsi-meet');
    const stdin = r.stdout.slice(r.stdout.indexOf('<<EOF') + 5, r.stdout.indexOf('\nEOF'));
    expect(parse(stdin).jvb.portRangeSize).toBe(6);
    expect(r.stdout).not.toMatch(/password: (?!<redacted>)/);
    expect(readFileSync(p, 'utf8')).toBe(CONFIG);
  });

  it.each([
    [['prosody', '2'], 1, 'prosody cannot be scaled: the jitsi-meet chart runs exactly one prosody'],
    [['jicofo', '2'], 1, 'jicofo cannot be scaled'],
    [['turn', '2'], 2, 'unknown component "turn"'],
    [['jvb', '1.5'], 2, 'count must be a whole number ≥ 0 (got "1.5")'],
    [['jvb', '-1'], 2, 'count must be a whole number ≥ 0 (got "-1")'],
    [['jvb', '0'], 2, 'count must be a whole number ≥ 1 (got 0)'],
    [['jvb', '--auto', '--min', '2'], 1, 'JVB autoscaling cannot work in loadBalancer mode'],
  ])('scale %j → exit %i', async (args, code, message) => {
    const r = await cliAsync(['scale', ...args, '--config', file()], { env: env() });
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
  });

  it('scaling in without a terminal and without --yes is refused after showing the load', async () => {
    const p = file();
    const r = await cliAsync(['scale', 'jvb', '1', '--config', p], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/jitsi-jitsi-meet-jvb-1-\S+ carries 20 participants/);
    expect(r.stderr).toContain('pass --yes');
    expect(readFileSync(p, 'utf8')).toBe(CONFIG);
  });
});
