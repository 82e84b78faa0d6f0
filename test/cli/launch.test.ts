/** dist/launch.cjs: the built bin through V8's code cache — what it stores, when it reuses it, and that it never changes a result. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-launch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const config = join(work, 'jitsi-k8s.yaml');
writeFileSync(config, 'domain: meet.example.com\nexposure: { mode: hostPort }\ncomponents: { jvb: { replicas: 2 } }\ntls: { mode: none }\n');
const render = ['render', '--config', config, '--out', '-'];

/** The one build folder under <cache>/jitsi-k8s/v8, and the command folders in it. */
function cacheOf(cacheHome: string): { build: string; dir: string; commands: string[] } {
  const v8 = join(cacheHome, 'jitsi-k8s', 'v8');
  const builds = readdirSync(v8);
  expect(builds).toHaveLength(1);
  const dir = join(v8, builds[0]!);
  return { build: builds[0]!, dir, commands: readdirSync(dir).sort() };
}

const mtimes = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]));

describe('the code cache of the built bin', () => {
  const uncached = cli(render, { env: { JITSI_K8S_NO_CODE_CACHE: '1' } });

  it('a first run stores what each command compiled, per command; the next run reads it and writes nothing', () => {
    const home = join(work, 'cache-a');
    expect(uncached.code).toBe(0);
    const first = cli(render, { env: { XDG_CACHE_HOME: home } });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(uncached.stdout);
    const { build, dir, commands } = cacheOf(home);
    expect(build).toContain(`-${process.version}-${process.arch}`);
    expect(commands).toEqual(['render']);
    const stored = mtimes(join(dir, 'render'));
    // the entry and the render chunks (zod, yaml) each have their cache
    expect(Object.keys(stored)).toContain('cli.cjs.bin');
    expect(Object.keys(stored).filter((f) => f.startsWith('chunks_')).length).toBeGreaterThan(3);
    for (const f of Object.keys(stored)) expect(statSync(join(dir, 'render', f)).size).toBeGreaterThan(0);

    const second = cli(render, { env: { XDG_CACHE_HOME: home } });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(uncached.stdout);
    // V8 took every cache (a rejected one is written again)
    expect(mtimes(join(dir, 'render'))).toEqual(stored);

    expect(cli(['--help'], { env: { XDG_CACHE_HOME: home } }).code).toBe(0);
    expect(cacheOf(home).commands).toEqual(['main', 'render']);
  });

  it('a damaged cache is rejected by V8, the run gives the same result, and the cache is written again', () => {
    const home = join(work, 'cache-b');
    expect(cli(render, { env: { XDG_CACHE_HOME: home } }).code).toBe(0);
    const { dir } = cacheOf(home);
    const entry = join(dir, 'render', 'cli.cjs.bin');
    writeFileSync(entry, Buffer.alloc(4096, 7));
    const again = cli(render, { env: { XDG_CACHE_HOME: home } });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(uncached.stdout);
    expect(statSync(entry).size).not.toBe(4096);
  });

  it("another build's caches are removed when this build stores its own", () => {
    const home = join(work, 'cache-c');
    const stale = join(home, 'jitsi-k8s', 'v8', '0123456789abcdef-v20.0.0-x64', 'render');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'cli.cjs.bin'), 'old');
    expect(cli(render, { env: { XDG_CACHE_HOME: home } }).code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(cacheOf(home).commands).toEqual(['render']);
  });

  it('a cache folder that cannot be created costs nothing but the cache', () => {
    const notADir = join(work, 'a-file');
    writeFileSync(notADir, 'not a folder');
    const r = cli(render, { env: { XDG_CACHE_HOME: notADir } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(uncached.stdout);
    expect(r.stderr).not.toMatch(/ENOTDIR|EEXIST|Error/);
  });

  it('JITSI_K8S_NO_CODE_CACHE=1 writes no cache', () => {
    const home = join(work, 'cache-d');
    expect(cli(render, { env: { XDG_CACHE_HOME: home, JITSI_K8S_NO_CODE_CACHE: '1' } }).code).toBe(0);
    expect(existsSync(home)).toBe(false);
  });

  it('a chunk whose static imports reach an ES-module package (client-node) runs: the launcher imports that package as an ES module first', () => {
    const home = join(work, 'cache-e');
    // a cluster on a loopback port nothing listens on: client-node reads the file, then the request is refused
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]\nusers: [{ name: u, user: { token: t } }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\ncurrent-context: x\n',
    );
    for (let i = 0; i < 2; i++) {
      const trace = join(work, `trace-${i}.txt`);
      const r = cli(['status'], {
        env: { XDG_CACHE_HOME: home, KUBECONFIG: kubeconfig, TRACE_IMPORTS_FILE: trace },
        nodeArgs: ['--import', join(repoRoot, 'test/support/trace-imports.mjs')],
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error: .*cannot reach the Kubernetes API server of context "x" \(https:\/\/127\.0\.0\.1:1\)/);
      // imported through Node's ES loader (the trace sees only that), not require()d
      expect(readFileSync(trace, 'utf8')).toMatch(/node_modules\/@kubernetes\/client-node\/dist\/index\.js/);
    }
  });
});
