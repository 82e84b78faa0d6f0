/** src/ui/stdio.ts in its own process (dist/ui/stdio.js, built by npm test): direct writes, then the streams once made. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-stdio-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const stdio = pathToFileURL(join(repoRoot, 'dist/ui/stdio.js')).href;

/** Runs an ES module body with writeOut/writeErr/isTerminal imported; reports which built-ins it loaded. */
function run(body: string, stdout: 'pipe' | number = 'pipe') {
  const script = `import { writeOut, writeErr, isTerminal } from ${JSON.stringify(stdio)};
${body}
process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(process.env.LOADED, process.moduleLoadList.join('\\n')));`;
  const loaded = join(work, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, LOADED: loaded },
    encoding: 'utf8',
    stdio: ['ignore', stdout, 'pipe'],
  });
  return { ...r, modules: readFileSync(loaded, 'utf8').split('\n') };
}

describe('stdout and stderr without streams', () => {
  it('writes straight to the descriptors and loads no stream machinery', () => {
    const r = run("writeOut('one\\n'); writeErr('err ✔\\n'); writeOut('two\\n'); writeOut(String(isTerminal(1)));");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('one\ntwo\nfalse');
    expect(r.stderr).toBe('err ✔\n');
    // what the writes added to the modules an empty script of the same kind loads
    const empty = new Set(run('').modules);
    const added = r.modules.filter((m) => !empty.has(m));
    expect(added.filter((m) => /stream|tty|net/.test(m))).toEqual([]);
    // the check can fail: process.stdout on a pipe adds node:net
    expect(run("process.stdout.write('made\\n');").modules.filter((m) => !empty.has(m) && /stream|tty|net/.test(m))).not.toEqual([]);
  });

  it('keeps the order once something else makes process.stdout: every later write goes through it', () => {
    const r = run("writeOut('a\\n'); console.log('b'); writeOut('c\\n'); process.stdout.write('d\\n'); writeOut('e\\n');");
    expect(r.stdout).toBe('a\nb\nc\nd\ne\n');
  });

  it('a file as stdout is written the same way; /dev/null is no terminal', () => {
    const file = join(work, 'out.txt');
    const fd = openSync(file, 'w');
    const r = run("writeOut('x'.repeat(100000)); writeOut('\\nend\\n'); writeErr(String(isTerminal(1)));", fd);
    expect(readFileSync(file, 'utf8')).toBe(`${'x'.repeat(100000)}\nend\n`);
    expect(r.stderr).toBe('false');
    const nul = openSync('/dev/null', 'w');
    expect(run("writeErr(String(isTerminal(1)));", nul).stderr).toBe('false');
  });
});
