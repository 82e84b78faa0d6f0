#!/usr/bin/env node
// Starts the CLI, built into dist/ by `npm run build` (an ES module bundle: dist/cli.js and dist/chunks/),
// through Node's compile cache: the first run of a command stores what V8 compiled, later runs skip it.
// Written for any Node: on one older than the package supports it says which Node is needed, not a stack trace.
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** package.json `engines.node` (test/cli/node-version.test.ts holds them equal). */
const NEEDS = [22, 12];

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < NEEDS[0] || (major === NEEDS[0] && minor < NEEDS[1])) {
  process.stderr.write(`error: jitsi-k8s needs Node ${NEEDS.join('.')} or newer; this is Node ${process.versions.node} (${process.execPath})\n`);
  process.stderr.write('hint: install Node 22 or 24 (LTS) and put it first on PATH; in a clone of jitsi-k8s, `bash scripts/node.sh` installs the tested one\n');
  process.exitCode = 1;
} else {
  if (!process.env.JITSI_K8S_NO_CODE_CACHE) {
    const base = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : '');
    // a folder that cannot be created only costs the cache (enableCompileCache reports it, never throws)
    if (base) module.enableCompileCache(join(base, 'jitsi-k8s', 'compile-cache'));
  }
  await import('../dist/cli.js');
}
