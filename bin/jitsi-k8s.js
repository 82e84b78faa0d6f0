#!/usr/bin/env node
// CommonJS (bin/package.json): the shortest start, no ES module loader before the bundle. The program is built
// into dist/ by `npm run build`; dist/launch.cjs starts it. Written for any Node: on one older than the package
// supports it says which Node is needed instead of failing inside the bundle.
'use strict';

/** package.json `engines.node` (test/cli/node-version.test.ts holds them equal). */
const NEEDS = [22, 12];

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < NEEDS[0] || (major === NEEDS[0] && minor < NEEDS[1])) {
  process.stderr.write(`error: jitsi-k8s needs Node ${NEEDS.join('.')} or newer; this is Node ${process.versions.node} (${process.execPath})\n`);
  process.stderr.write('hint: install Node 22 or 24 (LTS) and put it first on PATH; in a clone of jitsi-k8s, `bash scripts/node.sh` installs the tested one\n');
  process.exitCode = 1;
} else {
  require('../dist/launch.cjs');
}
