// node --import ./test/support/trace-imports.mjs: appends every resolved module URL to $TRACE_IMPORTS_FILE,
// every bundle chunk dist/launch.cjs compiles (node:vm), and at exit the built-ins loaded through require()
// (bundled CommonJS packages), as `require:node:<name>`.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

const { Script } = vm;
vm.Script = class TracedScript extends Script {
  constructor(code, options) {
    super(code, options);
    if (process.env.TRACE_IMPORTS_FILE && options?.filename) appendFileSync(process.env.TRACE_IMPORTS_FILE, `${pathToFileURL(options.filename).href}\n`);
  }
};

const atStart = new Set(process.moduleLoadList);
process.on('exit', () => {
  if (!process.env.TRACE_IMPORTS_FILE) return;
  const loaded = process.moduleLoadList.filter((m) => !atStart.has(m) && m.startsWith('NativeModule ') && !m.includes('internal/'));
  appendFileSync(process.env.TRACE_IMPORTS_FILE, loaded.map((m) => `require:node:${m.slice('NativeModule '.length)}\n`).join(''));
});

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.TRACE_IMPORTS_FILE) appendFileSync(process.env.TRACE_IMPORTS_FILE, r.url + '\\n');
  return r;
}`),
);
