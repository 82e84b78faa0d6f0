/** The published package works: npm pack → install the tarball in an empty folder → npx jitsi-k8s --help. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('installs from the tarball and runs', { timeout: 300_000 }, () => {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' }))[0];
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    expect(files).toContain('bin/jitsi-k8s.js');
    expect(files).toContain('bin/package.json'); // bin/ is CommonJS
    expect(files).toContain('dist/launch.cjs');
    expect(files).toContain('dist/cli.cjs');
    expect(files).toContain('templates/manifests/jvb-hpa.yaml');
    expect(files).toContain('schema/jitsi-k8s.schema.json');
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);

    const app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{"name":"try-jitsi-k8s","private":true}');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed.filename)], { cwd: app, stdio: 'pipe' });
    const help = execFileSync('npx', ['--no-install', 'jitsi-k8s', '--help'], { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(help).toContain('Usage: jitsi-k8s');
    expect(help).toMatch(/^ {2}bench\b/m);
    // the installed copy renders, reading its shipped templates/
    writeFileSync(join(app, 'jitsi-k8s.yaml'), 'domain: meet.example.com\nexposure: { mode: hostPort }\ncomponents: { jvb: { replicas: 2, autoscale: { enabled: true, max: 3 } } }\ntls: { mode: none }\n');
    const out = execFileSync('npx', ['--no-install', 'jitsi-k8s', 'render', '--out', '-'], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toContain('kind: HorizontalPodAutoscaler');
  });
});
