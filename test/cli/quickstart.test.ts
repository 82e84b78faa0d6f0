/**
 * The README's Quick start, run exactly as written in a fresh clone (no dist/, no node_modules/):
 * the first command installs, builds and renders; the second runs the tests, or stops at once naming
 * the one command that installs a missing system tool.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { systemTools } from '../../scripts/system-tools.mjs';
import { testChart } from '../support/chart.js';
import { repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-quickstart-'));
const clone = join(work, 'clone');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Quick start'));
const block = section.slice(section.indexOf('```sh\n') + 6, section.indexOf('```', section.indexOf('```sh\n') + 6));
const commands = block.trim().split('\n');

/** A shell as a new user has it: none of the outer `npm test`'s npm_* variables. */
function shell(command: string, env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'INIT_CWD'));
  // prefer-offline: the npm cache answers what it has (the registry is still asked for what it lacks)
  const r = spawnSync('bash', ['-c', command], {
    cwd: clone,
    env: { ...clean, NO_COLOR: '1', npm_config_prefer_offline: 'true', ...env },
    encoding: 'utf8',
    timeout: 540_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const r = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});

describe('README Quick start in a fresh clone', () => {
  it('has exactly two commands', () => {
    expect(commands).toEqual([expect.stringMatching(/^npm ci && npx jitsi-k8s render /), 'npm test']);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    expect(existsSync(join(clone, 'node_modules'))).toBe(false);
  });

  it('the first command installs, builds and renders the example', { timeout: 600_000 }, () => {
    const r = shell(commands[0]!);
    expect(r.code, r.stderr).toBe(0);
    // render lists what it wrote after npm's own output, NOTES.md last
    const written = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('rendered/'));
    expect(written).toEqual(expect.arrayContaining(['rendered/values.yaml', 'rendered/secrets.values.yaml', 'rendered/data/templates/claims.yaml']));
    expect(r.stdout.trim().split('\n').at(-1)).toBe('rendered/NOTES.md');
    expect(parse(readFileSync(join(clone, 'rendered/values.yaml'), 'utf8')).jvb).toBeDefined();
    expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|\n\s+at /);
  });

  it('the second command runs the tests (here narrowed to the config tests, so it does not recurse)', { timeout: 600_000 }, () => {
    // the chart as the user has it (a fresh clone in a temp folder has no shared/charts/ beside it)
    const r = shell(commands[1]!, { JK8S_TEST_FILES: 'test/config', JITSI_HELM_CHART_DIR: testChart() });
    expect(r.code, r.stdout.slice(-2000) + r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^[1-9]\d* passed, 0 failed/);
  });

  it('without a system tool the second command stops at once, naming the one install command', { timeout: 120_000 }, () => {
    // a PATH with node, npm and a shell only: every system tool of the tests is missing
    const bin = join(work, 'bin');
    mkdirSync(bin);
    for (const tool of ['node', 'npm', 'npx', 'sh', 'bash'])
      symlinkSync(spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(bin, tool));
    const started = Date.now();
    const r = shell(commands[1]!, { PATH: bin });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stderr).toContain(`hint: apt-get install -y ${systemTools.map((t) => t.aptPackage).join(' ')}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('without the jitsi-meet chart the second command stops at once, saying how to get it', { timeout: 120_000 }, () => {
    const started = Date.now();
    const r = shell(commands[1]!, { JITSI_HELM_CHART_DIR: join(work, 'no-such-chart.tgz') });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stderr).toContain(`error: the tests need the jitsi-meet chart 3.4.0, not found at ${join(work, 'no-such-chart.tgz')} (JITSI_HELM_CHART_DIR)`);
    expect(r.stderr).toContain('hint: helm pull jitsi-meet --repo https://jitsi-contrib.github.io/jitsi-helm/ --version 3.4.0');
    expect(r.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed, 0 skipped');
  });

  it('CI installs every system tool the tests need', () => {
    const aptLine =
      readFileSync(join(repoRoot, '.ci/run'), 'utf8')
        .split('\n')
        .find((l) => /^apt-get install /.test(l)) ?? '';
    for (const t of systemTools) expect(aptLine.split(/\s+/)).toContain(t.aptPackage);
  });

  it('CI gives the tests the real chart from shared/charts/ beside the clone', () => {
    expect(readFileSync(join(repoRoot, '.ci/run'), 'utf8')).toMatch(/^export JITSI_HELM_CHART_DIR="\$PWD\/\.\.\/shared\/charts\/jitsi-meet-3\.4\.0\.tgz"/m);
  });
});
