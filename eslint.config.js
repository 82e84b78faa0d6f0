// ESLint flat config: typescript-eslint's recommended rules plus DESIGN.md's rooms as import rules
// (who may import whom), and no import cycle in src/. Where the code chose otherwise, docs/decisions.md says so.
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import local from './scripts/eslint-no-import-cycle.mjs';

const ROOMS = ['cli', 'commands', 'config', 'prompts', 'render', 'output', 'pipeline', 'cluster', 'bench', 'ui', 'records', 'programs'];
/** An import pattern for one of our rooms, seen from anywhere under src/. */
const room = (name) => (name === 'cli' ? ['**/cli.js'] : name === 'records' ? ['**/records.js'] : [`**/${name}/*`, `**/${name}/**/*`]);
const HEAVY = ['puppeteer-core', '@kubernetes/client-node', '@inquirer/*', 'listr2', 'execa', 'ws'];
const SIDE_EFFECTS = ['node:fs', 'node:fs/promises', 'node:child_process', 'node:net', 'node:dgram', 'node:http', 'node:https', 'execa'];

/** Only `allowed` of our rooms may be imported (type-only imports of `typesFrom` too); optionally some packages are refused. */
function roomRule(allowed, { typesFrom = [], packages = [], paths = [] } = {}) {
  const refused = ROOMS.filter((r) => !allowed.includes(r));
  const valueOnly = refused.filter((r) => typesFrom.includes(r));
  const never = refused.filter((r) => !typesFrom.includes(r));
  return {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        paths: paths.map((name) => ({ name, message: 'this room has no side effects (DESIGN.md "Rooms")' })),
        patterns: [
          ...(never.length ? [{ group: never.flatMap(room), message: 'DESIGN.md "Rooms": this room may not import that one' }] : []),
          ...(valueOnly.length
            ? [{ group: valueOnly.flatMap(room), allowTypeImports: true, message: 'DESIGN.md "Rooms": only types may come from that room' }]
            : []),
          ...(packages.length ? [{ group: packages, message: 'heavy or interactive package: not in this room (DESIGN.md "Rooms")' }] : []),
        ],
      },
    ],
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', 'coverage/', 'bench-results/', 'test/fixtures/', 'rendered/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // no file in src/ reaches itself through imports, type-only ones included (docs/decisions.md)
  {
    files: ['src/**/*.ts'],
    plugins: { local },
    rules: { 'local/no-import-cycle': ['error', { root: fileURLToPath(new URL('./src', import.meta.url)) }] },
  },
  // in-page readers walk Jitsi's untyped window globals (APP.store…)
  { files: ['src/bench/jitsi-state.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // only the program entry points end the process (STYLE.md "Errors and output"): src/cli.ts and the bundled load generator's worker-main.ts
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli.ts', 'src/bench/k8s/worker-main.ts', 'src/programs/**'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'only src/cli.ts calls process.exit' }] },
  },
  // rooms that return data print nothing: no console (stdout is data, stderr goes through ui/log)
  {
    files: ['src/config/**', 'src/render/**', 'src/cluster/**', 'src/bench/**', 'src/records.ts'],
    ignores: ['src/bench/k8s/worker.ts'],
    rules: { 'no-console': 'error' },
  },
  { files: ['src/config/**'], rules: roomRule([], { paths: [] }) },
  { files: ['src/config/**'], ignores: ['src/config/file.ts'], rules: roomRule([], { paths: SIDE_EFFECTS }) },
  { files: ['src/render/**'], rules: roomRule(['config']) },
  { files: ['src/render/**'], ignores: ['src/render/templates.ts'], rules: roomRule(['config'], { paths: SIDE_EFFECTS }) },
  { files: ['src/output/**'], rules: roomRule(['config', 'render']) },
  // cluster/ returns data and reports through callbacks: no listr2, nothing of ui/, not the pipeline that drives it
  { files: ['src/cluster/**'], rules: roomRule(['config', 'render', 'records'], { packages: ['@inquirer/*', 'listr2', 'puppeteer-core'] }) },
  // the one driver of Config → Release → Plan → run; its progress display and report are the caller's callbacks
  { files: ['src/pipeline/**'], rules: roomRule(['config', 'render', 'cluster', 'records'], { packages: ['@inquirer/*', 'listr2', 'puppeteer-core'] }) },
  // …not even lazily: no-restricted-imports does not see import()
  {
    files: ['src/cluster/**', 'src/pipeline/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^listr2$|\\/ui\\//]',
          message: 'cluster/ and pipeline/ report progress through callbacks: no listr2 or ui/ (DESIGN.md "Rooms")',
        },
      ],
    },
  },
  // a --replicas sweep re-applies through the pipeline
  { files: ['src/bench/**'], rules: roomRule(['cluster', 'config', 'pipeline', 'records'], { typesFrom: ['ui'], packages: ['@inquirer/*', 'listr2'] }) },
  // the results' terminal views are text a command prints; formatting a table is not printing (docs/decisions.md)
  {
    files: ['src/bench/results/terminal.ts', 'src/bench/results/verdict-view.ts', 'src/bench/results/climb-view.ts'],
    rules: roomRule(['cluster', 'config', 'pipeline', 'records', 'ui'], { packages: ['@inquirer/*', 'listr2'] }),
  },
  // the load generator's own entry point (bundled into dist/worker.mjs, run in a pod) sets up its logger like cli.ts
  { files: ['src/bench/k8s/worker-main.ts'], rules: roomRule(['cluster', 'config', 'pipeline', 'records', 'ui'], { packages: ['@inquirer/*', 'listr2'] }) },
  // programs others run (helm's post-renderer, the in-cluster keeper), each bundled alone into dist/: pure pieces of render/ at most
  { files: ['src/programs/**'], rules: roomRule(['render'], { packages: HEAVY }) },
  { files: ['src/prompts/**'], rules: roomRule(['config', 'cluster', 'ui']) },
  {
    files: ['src/ui/**'],
    rules: roomRule([], {
      typesFrom: ['cluster', 'bench', 'pipeline', 'records'],
      packages: ['puppeteer-core', '@kubernetes/client-node', '@inquirer/*', 'execa'],
    }),
  },
  { files: ['src/records.ts'], rules: roomRule([]) },
  // commands/ and cli.ts may import every room, but heavy packages only lazily, inside actions
  {
    files: ['src/cli.ts', 'src/commands/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: HEAVY, allowTypeImports: true, message: 'load heavy packages inside the action: await import(...)' }] },
      ],
    },
  },
);
