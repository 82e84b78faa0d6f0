/**
 * Which Node: package.json `engines` is the supported range, .nvmrc the one CI and the tests run on (installed by
 * scripts/node.sh from the npm registry). On an older Node the bin and `npm test` say which Node is needed.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliBin, repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-node-version-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const [, needMajor, needMinor] = (/^>=(\d+)\.(\d+)$/.exec(pkg.engines.node) ?? []).map(Number);
const pinned = readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim();

/** Runs a script under this Node made to report another version (process.versions.node), before the script runs. */
function asNode(version: string, script: string, args: string[] = []) {
  const spoof = `data:text/javascript,Object.defineProperty(process.versions, 'node', { value: '${version}' })`;
  return spawnSync(process.execPath, ['--import', spoof, script, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
}

/** The machine's own node, when it is older than the package supports (Debian's Node 20 here and in CI). */
const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
  if (!existsSync(p)) return false;
  const [major, minor] = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim().split('.').map(Number);
  return major! < needMajor! || (major === needMajor && minor! < needMinor!);
});

describe('the supported Node', () => {
  it('engines is ">=MAJOR.MINOR"; the bin checks the same version; .nvmrc pins an exact version inside it; @types/node is of the lowest major', () => {
    expect(needMajor).toBeGreaterThanOrEqual(22);
    expect(readFileSync(cliBin, 'utf8')).toContain(`const NEEDS = [${needMajor}, ${needMinor}];`);
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const [major, minor] = pinned.split('.').map(Number);
    expect(major! > needMajor! || (major === needMajor && minor! >= needMinor!)).toBe(true);
    // types of the lowest supported Node: code that uses a newer API does not type-check
    expect(pkg.devDependencies['@types/node'].split('.')[0]).toBe(String(needMajor));
  });

  it('the tests run on the node first on PATH (npm starts through `env node`), in CI the one .nvmrc pins', () => {
    const first = spawnSync('bash', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim();
    expect(realpathSync(first)).toBe(realpathSync(process.execPath));
    if (process.env.CI) expect(process.version).toBe(`v${pinned}`);
  });

  it('the bin on an older Node says which Node is needed (error + hint, exit 1), and runs nothing else', () => {
    const r = asNode('20.19.0', cliBin, ['render', '--out', '-']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: jitsi-k8s needs Node ${needMajor}\\.${needMinor} or newer; this is Node 20\\.19\\.0 \\(.+\\)\\n`));
    expect(r.stderr).toMatch(/^hint: .*bash scripts\/node\.sh/m);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    // the lowest supported version starts
    expect(asNode(`${needMajor}.${needMinor}.0`, cliBin, ['--version']).stdout.trim()).toBe(pkg.version);
  });

  it.skipIf(!oldNode)(`the bin on the machine's own older Node (${oldNode ?? 'none here'}) gives the same two lines, not a crash`, () => {
    const r = spawnSync(oldNode!, [cliBin, '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: jitsi-k8s needs Node ${needMajor}\\.${needMinor} or newer; this is Node \\d+\\.`));
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('npm test on an older Node refuses at once, naming scripts/node.sh, with the closing line CI reads', () => {
    const r = asNode('22.11.0', join(repoRoot, 'scripts/test.mjs'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: the tests need Node ${needMajor}\\.${needMinor} or newer .*this is Node 22\\.11\\.0`, 'm'));
    expect(r.stderr).toMatch(/^hint: .*bash scripts\/node\.sh/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed, 0 skipped');
  });
});

describe('scripts/node.sh', () => {
  it('prints, last, the folder of the pinned Node (installed from the npm registry once, then reused)', { timeout: 300_000 }, () => {
    const r = spawnSync('bash', [join(repoRoot, 'scripts/node.sh')], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status).toBe(0);
    const dir = r.stdout.trim().split('\n').at(-1)!;
    expect(dir).toMatch(new RegExp(`/jitsi-k8s/node-${pinned.replace(/\./g, '\\.')}/bin$`));
    expect(spawnSync(join(dir, 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(`v${pinned}`);
  });

  it('refuses an .nvmrc that is not an exact version, before anything is installed', () => {
    const clone = join(work, 'clone');
    mkdirSync(join(clone, 'scripts'), { recursive: true });
    copyFileSync(join(repoRoot, 'scripts/node.sh'), join(clone, 'scripts/node.sh'));
    writeFileSync(join(clone, '.nvmrc'), 'lts/*\n');
    const cache = join(work, 'cache');
    const r = spawnSync('bash', [join(clone, 'scripts/node.sh')], { encoding: 'utf8', env: { ...process.env, JITSI_K8S_CACHE: cache } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: \.nvmrc holds 'lts\/\*', not a Node version/m);
    expect(r.stderr).toMatch(/^hint: /m);
    expect(existsSync(cache)).toBe(false);
  });
});
