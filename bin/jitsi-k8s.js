#!/usr/bin/env node
// CommonJS (bin/package.json): the shortest start, no ES module loader before the bundle. The program is built
// into dist/ by `npm run build`; dist/launch.cjs starts it.
require('../dist/launch.cjs');
