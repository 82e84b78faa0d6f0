/**
 * The jitsi-meet chart 3.4.0 the tests template and install: the real one, found by
 * scripts/test-chart.mjs (JITSI_HELM_CHART_DIR, else shared/charts/ beside the clone; `npm test`
 * refuses to start without it). Also what the chart tests share: our values for a config, `helm
 * template` of them, and the value paths and default types the chart has, read from the chart itself.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { missingTestChart, testChartPath } from '../../scripts/test-chart.mjs';
import { run } from '../../src/cluster/exec.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from './config.js';
import { helmBin } from './tools.js';

export type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The chart as helm takes it (the .tgz or an unpacked folder); throws, failing the test, when it is missing. */
export function testChart(): string {
  const missing = missingTestChart();
  if (missing) throw new Error(`${missing.error}\nhint: ${missing.hint}`);
  return testChartPath();
}

let unpacked: string | undefined;

/**
 * The chart as a folder (its templates and values.yaml are read here): the folder itself, or the .tgz
 * unpacked once into a temp folder named by its digest, which every test file and later run reuses.
 */
export function chartDir(): string {
  const path = testChart();
  if (statSync(path).isDirectory()) return path;
  if (unpacked) return unpacked;
  const digest = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `jitsi-k8s-chart-${digest}`);
  if (!existsSync(dir)) {
    const staging = mkdtempSync(`${dir}.`);
    execFileSync('tar', ['xzf', path, '-C', staging]);
    try {
      renameSync(staging, dir);
    } catch (e) {
      rmSync(staging, { recursive: true, force: true });
      // another test file unpacked it first
      if (!existsSync(dir)) throw e;
    }
  }
  const [name] = readdirSync(dir);
  if (!name) throw new Error(`${path} unpacked to nothing in ${dir}`);
  unpacked = join(dir, name);
  return unpacked;
}

/** The chart values we render for a config with these overrides. */
export const chartValues = (overrides: Record<string, unknown> = {}): Any => fullValues(renderRelease(config(overrides), FIXED_SECRETS)) as Any;

/** `helm template` of the chart with these values (release jitsi, namespace jitsi): the objects it renders. */
export async function template(values: unknown): Promise<Any[]> {
  const res = await run(helmBin(), ['template', 'jitsi', testChart(), '--namespace', 'jitsi', '--values', '-'], { input: stringify(values) });
  return parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as Any)
    .filter(Boolean);
}

/** Every optional component with storage, and prosody's persistence: the config that renders every PVC. */
export const WITH_STORAGE = {
  nodes: { count: 4, cpu: 8, memoryGiB: 32 },
  components: {
    jibri: { enabled: true, replicas: 2, storage: { enabled: true, size: '20Gi', storageClass: 'nfs', accessMode: 'ReadWriteMany' } },
    jigasi: { enabled: true },
    transcriber: { enabled: true, storage: { enabled: true, size: '5Gi' } },
    prosody: { persistence: { enabled: true, size: '2Gi', storageClass: 'local-path' } },
  },
};

/** The chart's default values (its values.yaml). */
export function chartDefaults(): Any {
  return parse(readFileSync(join(chartDir(), 'values.yaml'), 'utf8')) as Any;
}

let keys: string[] | undefined;

/** The value paths the chart reads: `.Values.x.y` in its templates, and every leaf of its values.yaml. */
export function chartKeys(): string[] {
  if (keys) return keys;
  const found = new Set<string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else for (const m of readFileSync(p, 'utf8').matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) found.add(m[1]!.slice(1));
    }
  };
  walk(join(chartDir(), 'templates'));
  const leaves = (o: unknown, prefix: string) => {
    if (o && typeof o === 'object' && !Array.isArray(o) && Object.keys(o).length > 0) {
      for (const [k, v] of Object.entries(o)) leaves(v, prefix ? `${prefix}.${k}` : k);
    } else if (prefix) found.add(prefix);
  };
  leaves(chartDefaults(), '');
  keys = [...found].sort();
  return keys;
}

function leafPaths(o: unknown, prefix = ''): string[] {
  if (o && typeof o === 'object' && !Array.isArray(o)) {
    return Object.entries(o).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

/** The leaf paths of `values` the chart does not read (it ignores unknown keys silently: a misspelt key is lost). */
export function unknownToChart(values: unknown): string[] {
  const known = chartKeys();
  return leafPaths(values).filter((p) => !known.some((k) => p === k || p.startsWith(`${k}.`)));
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Where `values` has another type than the chart's default at the same path (`got string, want
 * number`; null defaults take anything), and env values (`*.extraEnvs.*`) that are not strings: the
 * chart copies them through Go's toString, so 1500000 would reach the container as `1.5e+06`.
 */
export function typeMismatches(values: unknown): string[] {
  return mismatches(values, chartDefaults(), []);
}

function mismatches(values: unknown, defaults: unknown, path: string[]): string[] {
  const ours = kind(values);
  const at = path.join('.');
  if (path.at(-2) === 'extraEnvs') return ours === 'string' ? [] : [`${at}: got ${ours}, want string`];
  const theirs = kind(defaults);
  if (defaults !== undefined && defaults !== null && ours !== theirs) return [`${at}: got ${ours}, want ${theirs}`];
  if (ours !== 'object') return [];
  return Object.entries(values as Any).flatMap(([k, v]) => mismatches(v, theirs === 'object' ? (defaults as Any)[k] : undefined, [...path, k]));
}
