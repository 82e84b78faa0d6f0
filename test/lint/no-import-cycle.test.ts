/**
 * The lint rule that keeps src/ free of import cycles (scripts/eslint-no-import-cycle.mjs), run through
 * ESLint's own API on small trees written here: a circle is an error on each import that closes it,
 * whatever the kind of import; a tree without one passes; and the project's config turns it on for src/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, describe, expect, it } from 'vitest';
import local from '../../scripts/eslint-no-import-cycle.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'jk8s-no-cycle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes the files under a fresh folder's src/ and returns that folder. */
function tree(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'src', path)), { recursive: true });
    writeFileSync(join(dir, 'src', path), text);
  }
  return dir;
}

/** Lints dir/src with the rule alone; the messages as "file:line message". */
async function lint(dir: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { local }, rules: { 'local/no-import-cycle': ['error', { root: 'src' }] } },
    ],
  });
  const results = await eslint.lintFiles(['src']);
  return results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(dir.length + 1)}:${m.line} ${m.message}`)).sort();
}

const advice = '— move what these files share into a module that each of them imports';

describe('local/no-import-cycle', () => {
  it('a circle of two files, one side type-only: an error on each import that closes it, naming the circle', async () => {
    const dir = tree('two', {
      'summary.ts': "import type { Verdict } from './thresholds.js';\nexport interface Summary { verdict?: Verdict }\n",
      'thresholds.ts':
        "import type { Summary } from './summary.js';\nexport type Verdict = 'ok' | 'fail';\nexport const judge = (s: Summary): Verdict => (s.verdict ?? 'ok');\n",
    });
    expect(await lint(dir)).toEqual([
      `src/summary.ts:1 import cycle: src/summary.ts → src/thresholds.ts → src/summary.ts ${advice}`,
      `src/thresholds.ts:1 import cycle: src/thresholds.ts → src/summary.ts → src/thresholds.ts ${advice}`,
    ]);
  });

  it('every kind of import closes a circle: export from, import(), an import() type, through a subfolder', async () => {
    const dir = tree('kinds', {
      'a.ts': "export * from './b.js';\n",
      'b.ts': "export const load = () => import('./deep/c.js');\n",
      'deep/c.ts': "export type A = import('../a.js').B;\nexport type B = number;\n",
      'leaf.ts': "import { load } from './b.js';\nexport const go = load;\n",
    });
    expect(await lint(dir)).toEqual([
      `src/a.ts:1 import cycle: src/a.ts → src/b.ts → src/deep/c.ts → src/a.ts ${advice}`,
      `src/b.ts:1 import cycle: src/b.ts → src/deep/c.ts → src/a.ts → src/b.ts ${advice}`,
      `src/deep/c.ts:1 import cycle: src/deep/c.ts → src/a.ts → src/b.ts → src/deep/c.ts ${advice}`,
    ]);
  });

  it('no circle, no error: shared types in a module both sides import (how src/ unties one), packages ignored', async () => {
    const dir = tree('none', {
      'verdict.ts': "export type Verdict = 'ok' | 'fail';\n",
      'summary.ts': "import type { Verdict } from './verdict.js';\nexport interface Summary { verdict?: Verdict }\n",
      'thresholds.ts':
        "import { join } from 'node:path';\nimport type { Summary } from './summary.js';\nimport type { Verdict } from './verdict.js';\nexport const judge = (s: Summary): Verdict => (join(s.verdict ?? 'ok') as Verdict);\n",
    });
    expect(await lint(dir)).toEqual([]);
  });

  it('a file changed since the last lint in the same process is read again: the untied circle no longer fails', async () => {
    const dir = tree('edit', { 'a.ts': "import './b.js';\n", 'b.ts': "import './a.js';\n" });
    expect(await lint(dir)).toHaveLength(2);
    writeFileSync(join(dir, 'src', 'b.ts'), 'export {};\n');
    expect(await lint(dir)).toEqual([]);
  });

  it("the project's config turns the rule on for every file of src/", async () => {
    const eslint = new ESLint({ cwd: repoRoot });
    for (const file of ['src/cli.ts', 'src/bench/results/summary.ts', 'src/cluster/verify.ts']) {
      const config = await eslint.calculateConfigForFile(join(repoRoot, file));
      expect(config.rules['local/no-import-cycle'], file).toEqual([2, { root: join(repoRoot, 'src') }]);
    }
  });
});
