#!/usr/bin/env node
// The real program lives in dist/ (built by `npm run build`).
import('../dist/cli.js');
