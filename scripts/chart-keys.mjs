// Lists the value paths a jitsi-meet chart reads (from `.Values.x.y` in its templates and the keys
// of its values.yaml), one per line, for test/fixtures/jitsi-meet-<version>.keys.
// Usage: node scripts/chart-keys.mjs <chart-dir> > test/fixtures/jitsi-meet-3.4.0.keys
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/chart-keys.mjs <chart-dir>');
  process.exit(2);
}
const keys = new Set();
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else for (const m of readFileSync(p, 'utf8').matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) keys.add(m[1].slice(1));
  }
};
walk(join(dir, 'templates'));
const leaves = (o, prefix) => {
  if (o && typeof o === 'object' && !Array.isArray(o) && Object.keys(o).length > 0) {
    for (const [k, v] of Object.entries(o)) leaves(v, prefix ? `${prefix}.${k}` : k);
  } else if (prefix) keys.add(prefix);
};
leaves(parse(readFileSync(join(dir, 'values.yaml'), 'utf8')), '');
const chart = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8'));
console.log(`# value paths read by chart ${chart.name} ${chart.version} (scripts/chart-keys.mjs)`);
for (const k of [...keys].sort()) console.log(k);
