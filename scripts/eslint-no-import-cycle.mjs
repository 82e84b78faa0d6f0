/**
 * ESLint rule `local/no-import-cycle`: no file under `root` (src/) may reach itself through imports.
 * Every import counts — `import type`, `export … from`, `import()` and `import('…').T` types too —
 * since a type-only circle still ties two files into one unit. The graph of the other files is read
 * once per lint run with TypeScript's import scanner (and again only when a file under root changed);
 * the file being linted contributes its imports from its AST, so each report sits on the import that
 * closes the circle and names the whole circle.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const SOURCE = /\.(?:[cm]?ts|tsx|[cm]?js)$/;
/** NodeNext names a TypeScript module by the extension it compiles to. */
const COMPILED_TO = { '.js': ['.ts', '.tsx', '.js'], '.mjs': ['.mts', '.mjs'], '.cjs': ['.cts', '.cjs'] };

/** @type {Map<string, { stamp: string, files: Set<string>, edges: Map<string, string[]> }>} */
const graphs = new Map();

function sourceFiles(root) {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && SOURCE.test(d.name) && !d.name.endsWith('.d.ts'))
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

/** The file a relative specifier names, if it is one of `files`. */
function resolveSpecifier(from, specifier, files) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const target = resolve(dirname(from), specifier);
  const ext = Object.keys(COMPILED_TO).find((e) => target.endsWith(e));
  const candidates = ext ? COMPILED_TO[ext].map((e) => target.slice(0, -ext.length) + e) : [target];
  return candidates.find((c) => files.has(c));
}

/** root's import graph, rebuilt when a file under it was added, removed or changed since the last read. */
function graphOf(root) {
  const list = sourceFiles(root);
  const stamp = list
    .map((f) => {
      const { mtimeMs, size } = statSync(f);
      return `${f}:${mtimeMs}:${size}`;
    })
    .join('\n');
  const cached = graphs.get(root);
  if (cached?.stamp === stamp) return cached;
  const files = new Set(list);
  const edges = new Map();
  for (const file of list) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    edges.set(file, [...new Set(importedFiles.map((i) => resolveSpecifier(file, i.fileName, files)).filter(Boolean))]);
  }
  const graph = { stamp, files, edges };
  graphs.set(root, graph);
  return graph;
}

/** The shortest way from `start` back to `goal` through the graph, both ends included; undefined when there is none. */
function pathBack(edges, start, goal) {
  const cameFrom = new Map([[start, undefined]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i];
    if (file === goal) {
      const path = [];
      for (let f = file; f !== undefined; f = cameFrom.get(f)) path.unshift(f);
      return path;
    }
    for (const next of edges.get(file) ?? []) {
      if (!cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'forbid imports that close a circle among the files under a folder' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, required: ['root'], additionalProperties: false }],
    messages: { cycle: 'import cycle: {{circle}} — move what these files share into a module that each of them imports' },
  },
  create(context) {
    const root = resolve(context.cwd, context.options[0].root);
    const file = resolve(context.filename);
    if (!file.startsWith(root + sep)) return {};
    const show = (f) => relative(dirname(root), f).split(sep).join('/');
    let graph; // read when this file's first import is met: once per file linted
    const check = (node, specifier) => {
      if (typeof specifier !== 'string') return;
      const { files, edges } = (graph ??= graphOf(root));
      const target = resolveSpecifier(file, specifier, files);
      if (target === undefined) return;
      const back = pathBack(edges, target, file);
      if (back) context.report({ node, messageId: 'cycle', data: { circle: [file, ...back].map(show).join(' → ') } });
    };
    // a specifier that is not a string literal (import(name), export { x }) has no value here and names no file
    const fromSource = (node) => check(node, node.source?.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: fromSource,
      TSImportType: fromSource,
    };
  },
};

export default { meta: { name: 'local' }, rules: { 'no-import-cycle': noImportCycle } };
