/** Bad files given as --config are usage errors (exit 2) naming the file and the problem, never a stack trace. */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readYamlFile, updateFileAtomic, writeFileAtomic } from '../../src/config/file.js';
import { UsageError } from '../../src/errors.js';
import { cli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-badfile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const file = (name: string, content: string | Buffer) => {
  const p = join(work, name);
  writeFileSync(p, content);
  return p;
};

// nine levels of nine aliases: 9^9 strings if expanded
const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  .concat('bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`))
  .join('\n');

const cases: Array<[string, () => string, RegExp]> = [
  ['an alias bomb (billion laughs)', () => file('bomb.yaml', bomb), /bomb\.yaml: YAML aliases expand too far/],
  [
    'a duplicate key',
    () => file('dup.yaml', 'domain: a.example.com\nnodes: { count: 3 }\ndomain: b.example.com\n'),
    /dup\.yaml:3:1: not valid YAML: Map keys must be unique$/m,
  ],
  [
    'bytes that are not UTF-8',
    () => file('latin1.yaml', Buffer.concat([Buffer.from('apiVersion: jitsi-k8s/v1\ndomain: caf'), Buffer.from([0xe9]), Buffer.from('.example.com\n')])),
    /latin1\.yaml:2: not UTF-8 text/,
  ],
  [
    'a directory',
    () => {
      const d = join(work, 'conf.d');
      mkdirSync(d, { recursive: true });
      return d;
    },
    /conf\.d: is a directory, not a YAML file/,
  ],
  [
    'a FIFO',
    () => {
      const p = join(work, 'pipe.yaml');
      rmSync(p, { force: true });
      expect(spawnSync('mkfifo', [p]).status).toBe(0);
      return p;
    },
    /pipe\.yaml: is a FIFO \(named pipe\), not a YAML file/,
  ],
  [
    'a 50 MB file',
    () => {
      const p = file('huge.yaml', '');
      truncateSync(p, 50 * 1000 * 1000);
      return p;
    },
    /huge\.yaml: 47\.7 MiB is too large for a config file \(at most 1 MiB\)/,
  ],
];

describe('readYamlFile refuses bad files with a UsageError', () => {
  it.each(cases)('%s', (_name, make, message) => {
    const path = make();
    let thrown: unknown;
    try {
      readYamlFile(path);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as UsageError).message).toMatch(message);
    expect((thrown as UsageError).hint).toBeTruthy();
  });

  it('a file with a few aliases is fine', () => {
    expect(readYamlFile(file('anchors.yaml', 'x: &n 3\ny: *n\nz: [*n, *n]\n'))).toEqual({ x: 3, y: 3, z: [3, 3] });
  });
});

describe('jitsi-k8s render --config BAD exits 2 naming the file and the problem', () => {
  it.each(cases)('%s', (_name, make, message) => {
    const r = cli(['render', '--config', make(), '--out', join(work, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: .*${message.source}`, 'm'));
    expect(r.stderr).toMatch(/^hint: /m);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  });
});

describe('writeFileAtomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jk8s-atomic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file with the exact mode and leaves no temp file', () => {
    const target = join(dir, 'secrets.yaml');
    writeFileSync(target, 'old\n', { mode: 0o644 });
    writeFileAtomic(target, 'new\n', 0o600);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['secrets.yaml']);
  });

  it('never writes through a file or link already at a temp name: it takes the next free one', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched');
    // the names this process picks next (its pid and a count, here still below 20), planted as links to another file
    const planted = Array.from({ length: 20 }, (_, i) => join(dir, `.values.yaml.${process.pid}.${i + 1}.tmp`));
    for (const p of planted) symlinkSync(victim, p);
    const target = join(dir, 'values.yaml');
    writeFileAtomic(target, 'values\n');
    expect(readFileSync(target, 'utf8')).toBe('values\n');
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    for (const p of planted) rmSync(p);
    expect(readdirSync(dir).sort()).toEqual(['secrets.yaml', 'values.yaml', 'victim']);
  });

  it('a folder it cannot write is a CommandError, with nothing left behind', () => {
    expect(() => writeFileAtomic(join(dir, 'missing', 'values.yaml'), 'x')).toThrow(/cannot write .*values\.yaml/);
  });
});

describe('updateFileAtomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jk8s-update-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const old = new Date('2020-01-01T00:00:00Z');

  it('leaves a file with the same content and mode alone (its time too), and writes one that differs in either', () => {
    const target = join(dir, 'values.yaml');
    expect(updateFileAtomic(target, 'a: 1\n')).toBe(true);
    utimesSync(target, old, old);
    expect(updateFileAtomic(target, 'a: 1\n')).toBe(false);
    expect(statSync(target).mtime).toEqual(old);
    expect(updateFileAtomic(target, 'a: 2\n')).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('a: 2\n');
    chmodSync(target, 0o666);
    expect(updateFileAtomic(target, 'a: 2\n')).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(updateFileAtomic(target, 'a: 2\n', 0o600)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('replaces a link to a file of the same content with the file itself, as before', () => {
    const other = join(dir, 'elsewhere.yaml');
    writeFileSync(other, 'b: 1\n');
    const link = join(dir, 'linked.yaml');
    symlinkSync(other, link);
    expect(updateFileAtomic(link, 'b: 1\n')).toBe(true);
    expect(lstatSync(link).isFile()).toBe(true);
  });
});

describe('loadConfigAndSecrets (what apply, scale and token read)', () => {
  const config = (name: string, auth: string) =>
    file(name, `domain: meet.example.com\ntls: { mode: none }\nexposure: { mode: loadBalancer, publicIP: 203.0.113.10 }\n${auth}\n`);

  it('an open site: apply gets the warning line to print', async () => {
    const { loadConfigAndSecrets } = await import('../../src/config/secrets-env.js');
    const r = loadConfigAndSecrets(config('open.yaml', ''), {});
    expect(r.warnings).toContain(
      'auth.mode: open: anyone who finds the site can start meetings on your bridges — set auth.mode accounts or jwt (README "Who may start a meeting")',
    );
    expect(r.secrets.jwt).toBeUndefined();
  });

  it('jwt: the app secret is generated once into the 0600 secrets file, JWT_APP_SECRET is taken on first use only', async () => {
    const { loadConfigAndSecrets } = await import('../../src/config/secrets-env.js');
    const generated = loadConfigAndSecrets(config('gen.yaml', 'auth: { mode: jwt }'), {});
    expect(generated.warnings).toEqual([]);
    expect(generated.secrets.jwt!.appSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(work, 'gen.secrets.yaml')).mode & 0o777).toBe(0o600);
    expect(loadConfigAndSecrets(join(work, 'gen.yaml'), { JWT_APP_SECRET: 'x'.repeat(40) }).secrets.jwt!.appSecret).toBe(generated.secrets.jwt!.appSecret);
    const given = 'given-secret-0123456789-0123456789-abcdef';
    expect(loadConfigAndSecrets(config('given.yaml', 'auth: { mode: jwt }'), { JWT_APP_SECRET: given }).secrets.jwt!.appSecret).toBe(given);
    expect(() => loadConfigAndSecrets(config('short.yaml', 'auth: { mode: jwt }'), { JWT_APP_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
});

describe('a killed write never leaves half a file (SIGKILL in the middle of saving config and secrets)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jk8s-killed-write-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a writer killed at random moments leaves each file whole (old or new, parseable, secrets 0600); the next run says what a cut-short file is', async () => {
    const config = join(dir, 'jitsi-k8s.yaml');
    const secrets = join(dir, 'jitsi-k8s.secrets.yaml');
    const { saveSecrets, generateSecrets, loadSecrets, removeStaleTempFiles, tempFilesOf } = await import('../../src/config/file.js');
    saveSecrets(secrets, generateSecrets());
    writeFileSync(config, 'domain: meet.example.com\n');
    // a child saving both files in a loop (each one about 200 KiB, so a kill lands mid-write), killed with SIGKILL
    const program = `
      const { writeFileAtomic } = await import(${JSON.stringify(new URL('../../dist/config/file.js', import.meta.url).href)});
      const pad = 'x'.repeat(200_000);
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) {
        writeFileAtomic(${JSON.stringify(config)}, 'domain: meet.example.com\\n# ' + i + ' ' + pad + '\\n');
        writeFileAtomic(${JSON.stringify(secrets)}, 'turnSecret: t' + i + '\\n# ' + pad + '\\n', 0o600);
      }`;
    for (let round = 0; round < 8; round++) {
      const child = (await import('node:child_process')).spawn(process.execPath, ['--input-type=module', '-e', program], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise((r) => child.stdout.once('data', r));
      await new Promise((r) => setTimeout(r, 20 + round * 17));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(readFileSync(config, 'utf8')).toMatch(/^domain: meet\.example\.com\n(# \d+ x+\n)?$/);
      const s = readFileSync(secrets, 'utf8');
      expect(s.endsWith('\n')).toBe(true);
      expect(statSync(secrets).mode & 0o777).toBe(0o600);
      for (const t of tempFilesOf(secrets)) expect(statSync(join(dir, t)).mode & 0o777).toBe(0o600);
    }
    // the killed writers' temp files are found and removed by the next run; the files stay
    removeStaleTempFiles(config);
    removeStaleTempFiles(secrets);
    expect(readdirSync(dir).sort()).toEqual(['jitsi-k8s.secrets.yaml', 'jitsi-k8s.yaml']);
    // a file some other writer cut short: a clear error, not a stack trace or "domain: required"
    writeFileSync(secrets, '', { mode: 0o600 });
    writeFileSync(join(dir, `.jitsi-k8s.secrets.yaml.99999999.1.tmp`), 'turnSecret: x', { mode: 0o600 });
    expect(() => loadSecrets(secrets)).toThrow(
      /is empty and 1 unfinished write of it \(\.jitsi-k8s\.secrets\.yaml\.99999999\.1\.tmp\) lie beside it: a write of jitsi-k8s\.secrets\.yaml was cut short/,
    );
    writeFileSync(config, '');
    const r = cli(['render', '--config', config, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*jitsi-k8s\.yaml: is empty: a write of jitsi-k8s\.yaml was cut short/m);
    expect(r.stderr).toMatch(/^hint: restore the file/m);
    writeFileSync(config, 'domain: meet.example.com\ncomponents:\n  jvb: { replicas: 2');
    const half = cli(['render', '--config', config, '--out', join(dir, 'out')]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/not valid YAML: .* the file ends mid-line: it looks half-written/);
  }, 60_000);
});
