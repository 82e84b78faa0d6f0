/** bin/jitsi-k8s.js turns on Node's compile cache before it imports the bundle: what it stores, when it reuses it, and that it never changes a result. */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-compile-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const config = join(work, 'jitsi-k8s.yaml');
writeFileSync(config, 'domain: meet.example.com\nexposure: { mode: hostPort }\ncomponents: { jvb: { replicas: 2 } }\ntls: { mode: none }\n');
const render = ['render', '--config', config, '--out', '-'];

/** Node keeps one folder per Node version under the folder it is given: <cache>/jitsi-k8s/compile-cache/<node>-<arch>-…/. */
function cacheOf(cacheHome: string): { dir: string; files: string[] } {
  const root = join(cacheHome, 'jitsi-k8s', 'compile-cache');
  const versions = readdirSync(root);
  expect(versions).toHaveLength(1);
  expect(versions[0]).toMatch(new RegExp(`^${process.version}-${process.arch}-`));
  const dir = join(root, versions[0]!);
  return { dir, files: readdirSync(dir).sort() };
}

const mtimes = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]));

describe('the compile cache of the built bin', () => {
  const uncached = cli(render, { env: { JITSI_K8S_NO_CODE_CACHE: '1' } });

  it('a first run stores what it compiled, one entry per module; the next run reads it and writes nothing', () => {
    const home = join(work, 'cache-a');
    expect(uncached.code).toBe(0);
    const first = cli(render, { env: { XDG_CACHE_HOME: home } });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(uncached.stdout);
    const { dir, files } = cacheOf(home);
    // dist/cli.js and the render chunks (zod, yaml, chalk, render itself) each have their entry
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(statSync(join(dir, f)).size).toBeGreaterThan(0);
    const stored = mtimes(dir);

    const second = cli(render, { env: { XDG_CACHE_HOME: home } });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(uncached.stdout);
    // V8 took every entry: a rejected one would be written again
    expect(mtimes(dir)).toEqual(stored);

    // --help's modules are a subset of render's: nothing new to store
    expect(cli(['--help'], { env: { XDG_CACHE_HOME: home } }).code).toBe(0);
    expect(mtimes(dir)).toEqual(stored);
  });

  it('a damaged cache is rejected, the run gives the same result, and the entries are written again', () => {
    const home = join(work, 'cache-b');
    expect(cli(render, { env: { XDG_CACHE_HOME: home } }).code).toBe(0);
    const { dir, files } = cacheOf(home);
    for (const f of files) writeFileSync(join(dir, f), Buffer.alloc(4096, 7));
    const again = cli(render, { env: { XDG_CACHE_HOME: home } });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(uncached.stdout);
    for (const f of files) expect(statSync(join(dir, f)).size).not.toBe(4096);
  });

  it('a cache folder that cannot be created costs nothing but the cache', () => {
    const notADir = join(work, 'a-file');
    writeFileSync(notADir, 'not a folder');
    const r = cli(render, { env: { XDG_CACHE_HOME: notADir } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(uncached.stdout);
    expect(r.stderr).not.toMatch(/ENOTDIR|EEXIST|Error|compile cache/i);
  });

  it('without XDG_CACHE_HOME the cache is ~/.cache/jitsi-k8s/compile-cache', () => {
    const home = join(work, 'home');
    expect(cli(render, { env: { HOME: home, XDG_CACHE_HOME: undefined } }).code).toBe(0);
    expect(cacheOf(join(home, '.cache')).files.length).toBeGreaterThan(10);
  });

  it('JITSI_K8S_NO_CODE_CACHE=1 writes no cache', () => {
    const home = join(work, 'cache-d');
    expect(cli(render, { env: { XDG_CACHE_HOME: home, JITSI_K8S_NO_CODE_CACHE: '1' } }).code).toBe(0);
    expect(existsSync(home)).toBe(false);
  });

  it('packages load through it too: status (client-node, an ES module package) runs twice from one cache with the same result', () => {
    const home = join(work, 'cache-e');
    // a cluster on a loopback port nothing listens on: client-node reads the file, then the request is refused
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]\nusers: [{ name: u, user: { token: t } }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\ncurrent-context: x\n',
    );
    expect(cli(render, { env: { XDG_CACHE_HOME: home } }).code).toBe(0);
    const before = cacheOf(home).files.length;
    for (let i = 0; i < 2; i++) {
      const r = cli(['status'], { env: { XDG_CACHE_HOME: home, KUBECONFIG: kubeconfig } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error: .*cannot reach the Kubernetes API server of context "x" \(https:\/\/127\.0\.0\.1:1\)/);
    }
    // client-node's own files have entries beside the bundle's
    expect(cacheOf(home).files.length).toBeGreaterThan(before + 20);
  });
});
