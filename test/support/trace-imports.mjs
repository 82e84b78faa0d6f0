// node --import ./test/support/trace-imports.mjs: appends every resolved module URL to $TRACE_IMPORTS_FILE
// (the bundle's chunks, packages, built-ins imported as ES modules), and at exit every built-in the program
// loaded by any path (import, or the bundled CommonJS packages' require()) as `builtin:node:<name>`.
// The hook runs in this thread (module.registerHooks, Node ≥ 22.15), so it loads no worker_threads; stdout and
// stderr are opened first, so what any program that prints loads (tty or net for a pipe) is not counted.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

void process.stdout;
void process.stderr;
const atStart = new Set(process.moduleLoadList);
process.on('exit', () => {
  if (!process.env.TRACE_IMPORTS_FILE) return;
  const loaded = process.moduleLoadList.filter((m) => !atStart.has(m) && m.startsWith('NativeModule ') && !m.includes('internal/'));
  appendFileSync(process.env.TRACE_IMPORTS_FILE, loaded.map((m) => `builtin:node:${m.slice('NativeModule '.length)}\n`).join(''));
});

registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    if (process.env.TRACE_IMPORTS_FILE) appendFileSync(process.env.TRACE_IMPORTS_FILE, `${r.url}\n`);
    return r;
  },
});
