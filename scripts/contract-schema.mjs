// Writes test/fixtures/jitsi-meet-contract/values.schema.json: the value structure of chart jitsi-meet
// 3.4.0 as JSON Schema (draft 7, as helm validates it), from the key list scripts/chart-keys.mjs made
// (test/fixtures/jitsi-meet-3.4.0.keys) plus the small tables below. Every object is closed
// (additionalProperties: false) so a misspelt key fails `helm lint`/`helm template` of the contract
// chart; free-form maps the chart copies through (toYaml / range) stay open.
// Usage: node scripts/contract-schema.mjs          (rewrite the committed schema)
//        node scripts/contract-schema.mjs --stdout  (print it; the tests compare the two)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const KEYS_FILE = `${root}test/fixtures/jitsi-meet-3.4.0.keys`;
const OUT_FILE = `${root}test/fixtures/jitsi-meet-contract/values.schema.json`;

// Free-form maps, by the last path segment (or the last two): any keys allowed, children in the key
// list are only the chart's defaults. Keys that the chart reads whole AND lists children of (image,
// probes, securityContext...) are open too, found from the key list itself.
const OPEN_MAPS = new Set([
  'annotations', 'podAnnotations', 'labels', 'podLabels', 'nodeSelector', 'resources', 'affinity',
  'securityContext', 'podSecurityContext', 'strategy', 'livenessProbe', 'readinessProbe', 'selector',
  'extraCommonEnvs', 'custom.defaults', 'custom.scripts', 'custom.other',
]);
// Maps whose values must be strings: container env (docker-jitsi-meet reads strings) and files.
const STRING_MAPS = new Set(['extraEnvs', 'custom.configs']);

const str = { type: 'string' };
// the chart's defaults leave these null (= unset, chart-generated or cluster default)
const optStr = { type: ['string', 'null'] };
const strings = { type: 'array', items: str };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const ingressHosts = {
  type: 'array',
  items: { type: 'object', properties: { host: str, paths: strings }, required: ['host'], additionalProperties: false },
};
const ingressTls = {
  type: 'array',
  items: { type: 'object', properties: { secretName: str, hosts: strings }, additionalProperties: false },
};

// Types of the leaves jitsi-k8s writes; `*` matches one segment. Leaves not listed take any type.
const TYPES = [
  ['publicURL', str],
  ['turnHost', str],
  ['*.enabled', bool],
  ['*.*.enabled', bool],
  ['*.*.*.enabled', bool],
  ['*.replicaCount', int],
  ['jvb.portRangeSize', int],
  ['jvb.UDPPort', int],
  ['jvb.nodePort', int],
  ['jvb.useHostPort', bool],
  ['jvb.useNodeIP', bool],
  ['jvb.disableStun', bool],
  ['jvb.publicIPs', strings],
  ['*.service.type', { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }],
  ['*.service.externalTrafficPolicy', { enum: ['Local', 'Cluster'] }],
  ['*.service.loadBalancerClass', str],
  ['*.ingress.ingressClassName', str],
  ['*.ingress.hosts', ingressHosts],
  ['*.ingress.tls', ingressTls],
  ['*.persistence.size', str],
  ['*.persistence.storageClassName', optStr],
  ['*.persistence.accessModes', { type: 'array', items: { enum: ['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOncePod'] } }],
  ['*.xmpp.password', optStr],
  ['jibri.recorder.password', optStr],
  ['coturn.staticAuth.secret', optStr],
  ['coturn.allowedPeerIPs', strings],
  ['coturn.turns.certificate.create', bool],
  ['coturn.turns.certificate.issuerRef.*', str],
];

const matches = (pattern, path) => {
  const p = pattern.split('.');
  const k = path.split('.');
  return p.length === k.length && p.every((s, i) => s === '*' || s === k[i]);
};
const tail = (path, n) => path.split('.').slice(-n).join('.');

function leafSchema(path) {
  if (STRING_MAPS.has(tail(path, 1)) || STRING_MAPS.has(tail(path, 2))) return { type: 'object', additionalProperties: str };
  if (OPEN_MAPS.has(tail(path, 1)) || OPEN_MAPS.has(tail(path, 2))) return { type: 'object' };
  const typed = TYPES.find(([pattern]) => matches(pattern, path));
  return typed ? typed[1] : {};
}

/** The schema for the key list's text (one dotted path per line, # comments). */
export function contractSchema(keysText) {
  const tree = { listed: false, children: new Map() };
  for (const line of keysText.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    let node = tree;
    for (const seg of line.split('.')) {
      if (!node.children.has(seg)) node.children.set(seg, { listed: false, children: new Map() });
      node = node.children.get(seg);
    }
    node.listed = true;
  }
  const build = (node, path) => {
    const own = leafSchema(path);
    if (node.children.size === 0 || Object.keys(own).length > 0) return own;
    // read whole by a template and also given defaults below: a passthrough map
    if (node.listed) return { type: 'object' };
    const properties = {};
    for (const [k, child] of [...node.children].sort(([a], [b]) => a.localeCompare(b))) {
      properties[k] = build(child, path ? `${path}.${k}` : k);
    }
    return { type: 'object', properties, additionalProperties: false };
  };
  const body = build(tree, '');
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'jitsi-meet 3.4.0 values as jitsi-k8s writes them (generated by scripts/contract-schema.mjs)',
    ...body,
  };
}

const text = `${JSON.stringify(contractSchema(readFileSync(KEYS_FILE, 'utf8')), null, 2)}\n`;
if (process.argv.includes('--stdout')) process.stdout.write(text);
else {
  writeFileSync(OUT_FILE, text);
  console.error(`wrote ${OUT_FILE}`);
}
