/** The built CLI (npm test builds first), driven as a user would. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';
import { cli } from '../support/cli.js';
import { repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const GOOD = `apiVersion: jitsi-k8s/v1
domain: meet.example.com
nodes: { count: 3, cpu: 8, memoryGiB: 32 }
components:
  jvb: { replicas: 2 }
exposure: { mode: loadBalancer, publicIP: 203.0.113.10 }
tls: { mode: letsencrypt, email: ops@example.com }
`;

function configFile(name: string, text: string): string {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
}

describe('jitsi-k8s CLI frame', () => {
  it('--help shows every command of the product and exits 0', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['init', 'apply', 'render', 'scale', 'status', 'verify', 'uninstall', 'bench', 'token', 'users']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it.each([['render'], ['bench'], ['scale'], ['init']])('%s --help (only that command is built) reads as `help %s` of the whole program', (command) => {
    const alone = cli([command, '--help']);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toContain(`Usage: jitsi-k8s ${command}`);
    expect(alone.stdout).toBe(cli(['help', command]).stdout);
  });

  it('a global flag before the command still finds it; an unknown option of it names the option', () => {
    const r = cli(['--debug', '-q', 'render', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(cli(['--version']).stdout.trim()).toBe(pkg.version);
  });

  it('an unknown command or option is a usage error (exit 2)', () => {
    expect(cli(['frobnicate']).code).toBe(2);
    const r = cli(['render', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it.each([['--help'], ['render', '--help'], ['render', '--config', '__CONFIG__', '--out', '-']])(
    '%s loads neither puppeteer nor @kubernetes/client-node',
    (...args) => {
      const trace = join(work, `trace-${args.join('_').replace(/\W/g, '')}.txt`);
      const cfg = configFile('lazy.yaml', GOOD);
      const r = cli(args.map((a) => (a === '__CONFIG__' ? cfg : a)), {
        nodeArgs: ['--import', join(repoRoot, 'test/support/trace-imports.mjs')],
        env: { TRACE_IMPORTS_FILE: trace },
      });
      expect(r.code).toBe(0);
      const loaded = readFileSync(trace, 'utf8');
      expect(loaded).toContain('/dist/cli.cjs'); // the trace works
      expect(loaded).not.toMatch(/puppeteer|@kubernetes\/client-node|listr2|@inquirer|execa/);
    },
  );

  it('--help loads only the bundle: commander and the command declarations, no zod or yaml', () => {
    const trace = join(work, 'trace-help-bundle.txt');
    const run = (args: string[]) => {
      rmSync(trace, { force: true });
      expect(cli(args, { nodeArgs: ['--import', join(repoRoot, 'test/support/trace-imports.mjs')], env: { TRACE_IMPORTS_FILE: trace } }).code).toBe(0);
      const urls = readFileSync(trace, 'utf8').split('\n');
      const files = urls.filter((u) => u.startsWith('file:'));
      return { builtins: urls.filter((u) => u.startsWith('node:') || u.startsWith('require:node:')), files, source: files.map((u) => readFileSync(new URL(u), 'utf8')).join('\n') };
    };
    const help = run(['--help']);
    expect(help.files.filter((u) => !u.includes('/dist/') && !u.endsWith('/bin/jitsi-k8s.js'))).toEqual([]);
    // node:net (verify's address check) and node:readline (the samples reader) cost milliseconds at every start
    expect(help.builtins).not.toContain('node:net');
    expect(help.builtins).not.toContain('node:readline');
    // commander's child_process (with net, dgram, streams) loads only if a subcommand is an executable
    expect(help.builtins).not.toContain('require:node:child_process');
    // the bundle keeps these class names as strings: their absence means the package is not on the path
    expect(help.source).not.toContain('$ZodType');
    expect(help.source).not.toContain('YAMLParseError');
    // and the markers are real: render loads zod and yaml
    const render = run(['render', '--config', configFile('markers.yaml', GOOD), '--out', '-']);
    expect(render.source).toContain('$ZodType');
    // the config schema is built with zod/mini; classic zod (a method set on every node) stays out
    expect(render.source).toContain('"ZodMiniObject"');
    expect(render.source).not.toContain('"ZodObject"');
    expect(render.builtins).not.toContain('node:net');
    expect(render.builtins).not.toContain('require:node:child_process');
    expect(render.builtins).toContain('require:node:crypto'); // the require() trace works (secrets are generated)
    expect(render.source).toContain('YAMLParseError');
    // the logger colours without a terminal probe: no node:tty when stdout and stderr are pipes
    expect(render.builtins).not.toContain('require:node:tty');
  });
});

describe('jitsi-k8s render', () => {
  it('writes values.yaml, a 0600 secrets file, the bridges\' post-render patches, the extras chart and NOTES.md; stdout lists the files; notes on stderr', () => {
    const cfg = configFile('jitsi-k8s.yaml', GOOD);
    const out = join(work, 'out');
    const r = cli(['render', '--config', cfg, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(
      ['values.yaml', 'secrets.values.yaml', 'jvb-drain.patch.yaml', 'extras/Chart.yaml', 'extras/values.yaml', 'extras/templates/pdb-jvb.yaml', 'NOTES.md'].map((f) => join(out, f)),
    );
    // what apply's post-renderer adds to both bridges is in what render writes
    const patches = parseAllDocuments(readFileSync(join(out, 'jvb-drain.patch.yaml'), 'utf8')).map((d) => d.toJS());
    expect(patches.map((p) => [p.metadata.name, p.spec.template.spec.terminationGracePeriodSeconds])).toEqual([
      ['jitsi-jitsi-meet-jvb-0', 3720],
      ['jitsi-jitsi-meet-jvb-1', 3720],
    ]);
    expect(r.stderr).toContain('UDP 10000-10001');
    const values = parse(readFileSync(join(out, 'values.yaml'), 'utf8'));
    expect(values.jvb.portRangeSize).toBe(2);
    expect(statSync(join(out, 'secrets.values.yaml')).mode & 0o777).toBe(0o600);
    expect(statSync(join(work, 'jitsi-k8s.secrets.yaml')).mode & 0o777).toBe(0o600);
    // secrets are created once, then read: a second render keeps the same passwords
    const first = readFileSync(join(out, 'secrets.values.yaml'), 'utf8');
    expect(cli(['render', '--config', cfg, '--out', out]).code).toBe(0);
    expect(readFileSync(join(out, 'secrets.values.yaml'), 'utf8')).toBe(first);
    // and no secret reaches stdout or stderr
    const pw = parse(first).jvb.xmpp.password as string;
    expect(pw.length).toBeGreaterThan(16);
    expect(r.stdout + r.stderr).not.toContain(pw);
  });

  it('tailscale before the first apply: the tailnet name from the domain, else a warning and NOTES saying what apply will do', () => {
    const tailscale = (domain: string) => GOOD.replace('exposure: { mode: loadBalancer, publicIP: 203.0.113.10 }', 'exposure: { mode: tailscale, tailscale: { hostname: meet } }').replace('domain: meet.example.com', `domain: ${domain}`).replace('tls: { mode: letsencrypt, email: ops@example.com }', 'tls: { mode: none }') + 'auth: { mode: jwt }\n';
    const known = join(work, 'ts-known');
    const k = cli(['render', '--config', configFile('ts-known.yaml', tailscale('meet.tail1234.ts.net')), '--out', known]);
    expect(k.code, k.stderr).toBe(0);
    expect(parse(readFileSync(join(known, 'values.yaml'), 'utf8')).publicURL).toBe('https://meet.tail1234.ts.net');
    expect(k.stderr).not.toContain('warning:');
    expect(readFileSync(join(known, 'NOTES.md'), 'utf8')).toContain('- the site: https://meet.tail1234.ts.net (device meet on tailnet tail1234.ts.net, from domain)');

    const unknown = join(work, 'ts-unknown');
    const u = cli(['render', '--config', configFile('ts-unknown.yaml', tailscale('meet.example.com')), '--out', unknown]);
    expect(u.code, u.stderr).toBe(0);
    expect(parse(readFileSync(join(unknown, 'values.yaml'), 'utf8')).publicURL).toBe('https://meet.example.com');
    expect(u.stderr).toContain('warning: domain: meet.example.com is not a tailnet name (<device>.<tailnet>.ts.net), so PUBLIC_URL cannot be the site\'s address before apply reads it');
    expect(u.stderr).toContain('set domain to meet.<your tailnet>.ts.net');
    expect(readFileSync(join(unknown, 'NOTES.md'), 'utf8')).toContain(
      '- the site: not known before apply — PUBLIC_URL is https://meet.example.com until apply reads the tailnet name the operator gives the web Ingress (meet.<tailnet>.ts.net), saves it as exposure.tailscale.fqdn and renders again',
    );
    const json = cli(['render', '--json', '--config', join(work, 'ts-unknown.yaml'), '--out', unknown]);
    expect(JSON.parse(json.stdout).warnings).toEqual([expect.stringMatching(/^domain: meet\.example\.com is not a tailnet name/)]);
  });

  it('--out - prints values and manifests (no secrets) to stdout', () => {
    const cfg = configFile('hp.yaml', GOOD.replace('mode: loadBalancer', 'mode: hostPort').replace('jvb: { replicas: 2 }', 'jvb: { replicas: 2, autoscale: { enabled: true, min: 2, max: 3 } }'));
    const r = cli(['render', '--config', cfg, '--out', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kind: HorizontalPodAutoscaler');
    expect(r.stdout).toContain('useHostPort: true');
    expect(r.stdout).not.toMatch(/password/);
  });

  it('an invalid config exits 2 and names every bad path, writing nothing', () => {
    const cfg = configFile('bad.yaml', GOOD.replace('jvb: { replicas: 2 }', 'jvb: { replicas: 0 }\n  web: { replicas: -1 }'));
    const out = join(work, 'bad-out');
    const r = cli(['render', '--config', cfg, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: ');
    expect(r.stderr).toContain('components.jvb.replicas: must be ≥ 1 (got 0)');
    expect(r.stderr).toContain('components.web.replicas: must be ≥ 0 (got -1)');
    expect(r.stderr).toContain('hint: ');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace without --debug
    expect(existsSync(out)).toBe(false);
  });

  it('YAML syntax errors give file:line:col', () => {
    const cfg = configFile('syntax.yaml', 'domain: meet.example.com\nnodes: { count: 3\n');
    const r = cli(['render', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/syntax\.yaml:\d+:\d+: not valid YAML/);
  });

  it('a missing config file is a usage error with a hint', () => {
    const r = cli(['render', '--config', join(work, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such file');
    expect(r.stderr).toContain('jitsi-k8s init');
  });

  it('refuses a secrets file others can read', () => {
    const dir = mkdtempSync(join(work, 'perm-'));
    const cfg = join(dir, 'jitsi-k8s.yaml');
    writeFileSync(cfg, GOOD);
    expect(cli(['render', '--config', cfg]).code).toBe(0);
    chmodSync(join(dir, 'jitsi-k8s.secrets.yaml'), 0o644);
    const r = cli(['render', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('chmod 600');
  });
});

describe('JSON Schema for editors', () => {
  it('the shipped schema is the one generated from the zod Config', () => {
    const shipped = JSON.parse(readFileSync(join(repoRoot, 'schema/jitsi-k8s.schema.json'), 'utf8'));
    const fresh = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    expect({ ...shipped, $id: undefined, title: undefined }).toEqual({ ...fresh, $id: undefined, title: undefined });
    expect(shipped.properties.components.properties.jvb.properties.replicas).toMatchObject({ type: 'integer', minimum: 1, description: 'number of video bridges' });
    expect(shipped.properties.exposure.properties.mode.enum).toEqual(['loadBalancer', 'nodePort', 'hostPort', 'tailscale', 'pangolin']);
  });
});
