// Writes docs/config-reference.md: every field of jitsi-k8s.yaml with its type, default and
// description, from schema/jitsi-k8s.schema.json (which `npm run build` generates from the zod schema).
import { readFileSync, writeFileSync } from 'node:fs';

const schema = JSON.parse(readFileSync(new URL('../schema/jitsi-k8s.schema.json', import.meta.url), 'utf8'));

function typeOf(s) {
  if (s.enum) return s.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (s.const !== undefined) return `\`${s.const}\``;
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && !s.properties) return 'map';
  if (s.format) return `${s.type} (${s.format})`;
  return s.type ?? 'any';
}

const rows = [];
function walk(s, path) {
  if (path) {
    const def = s.default === undefined || (typeof s.default === 'object' && !Array.isArray(s.default)) ? '' : `\`${JSON.stringify(s.default)}\``;
    rows.push(`| \`${path}\` | ${s.properties ? 'object' : typeOf(s)} | ${def} | ${(s.description ?? '').replace(/\|/g, '\\|').replace(/</g, '&lt;')} |`);
  }
  for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, path ? `${path}.${k}` : k);
}
walk(schema, '');
export const reference = [
  '# `jitsi-k8s.yaml` reference',
  '',
  'Generated from the Config schema by `node scripts/config-reference.mjs` (a test keeps it in sync).',
  'An example: [examples/jitsi-k8s.yaml](../examples/jitsi-k8s.yaml).',
  '',
  '| field | type | default | meaning |',
  '|---|---|---|---|',
  ...rows,
  '',
].join('\n');

if (import.meta.url === `file://${process.argv[1]}`) writeFileSync(new URL('../docs/config-reference.md', import.meta.url), reference);
