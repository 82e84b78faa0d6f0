#!/usr/bin/env node
// Startup time of the CLI against bare Node, side by side: `node -e 0`, `jitsi-k8s --help`, `jitsi-k8s render`.
// Targets (issue 11): --help ≤ 1.5× and render ≤ 2× `node -e 0` on the same Node, measured as a user meets them
// after the first run of a command (the bin keeps Node's compile cache, here in a fresh cache folder filled by the
// warm-up runs). `render` without the cache (a first run, or JITSI_K8S_NO_CODE_CACHE=1) is shown beside them.
// `--also NAME=PATH` adds the same rows for another build's bin (say, a checkout of an earlier commit), so two
// start-up paths compare in one run on one machine state.
// The machine is shared, so the commands run interleaved in rounds (one hyperfine run per round, same
// niceness) and the ratios are medians of the per-round ratios.
//   npm run build && node bench/perf/startup.mjs [--rounds 5] [--runs 10] [--also old=../old/bin/jitsi-k8s.js]
// Prints a markdown report (stdout); exits 1 when a target is missed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, runs: { type: 'string', default: '10' }, also: { type: 'string', multiple: true, default: [] } },
});
const root = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'jk8s-startup-'));
const config = join(work, 'jitsi-k8s.yaml');
copyFileSync(join(root, 'examples/jitsi-k8s.yaml'), config);
const node = process.execPath;
const bins = [
  { suffix: '', path: join(root, 'bin/jitsi-k8s.js') },
  ...values.also.map((a) => {
    const [name, path] = a.split('=');
    if (!name || !path) throw new Error(`--also ${a}: expected NAME=PATH of a bin/jitsi-k8s.js`);
    return { suffix: ` [${name}]`, path: resolve(path) };
  }),
];

const commands = [
  { name: 'node -e 0', argv: [node, '-e', '0'] },
  ...bins.flatMap(({ suffix, path }) => [
    { name: `jitsi-k8s --help${suffix}`, argv: [node, path, '--help'] },
    { name: `jitsi-k8s render${suffix}`, argv: [node, path, 'render', '--config', config, '--out', join(work, 'rendered')] },
    // env(1) adds one exec (about 1 ms) to this row only
    {
      name: `jitsi-k8s render, no code cache${suffix}`,
      argv: ['/usr/bin/env', 'JITSI_K8S_NO_CODE_CACHE=1', node, path, 'render', '--config', config, '--out', join(work, 'rendered')],
    },
  ]),
];
/** The target of a row: --help and render (with the cache) of every bin. */
const targetOf = (name) => (/^jitsi-k8s --help/.test(name) ? 1.5 : /^jitsi-k8s render(?!,)/.test(name) ? 2 : undefined);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (s) => `${(s * 1000).toFixed(1)} ms`;

const loadBefore = loadavg();
const rounds = [];
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    const out = join(work, `round-${round}.json`);
    // -N: no shell in between; every command exec'd directly
    execFileSync(
      'hyperfine',
      ['-N', '--warmup', '3', '--runs', values.runs, '--export-json', out, ...commands.flatMap((c) => ['-n', c.name, c.argv.join(' ')])],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, XDG_CACHE_HOME: join(work, 'cache') } },
    );
    rounds.push(JSON.parse(readFileSync(out, 'utf8')).results);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const loadAfter = loadavg();

const of = (r, name) => r.find((x) => x.command === name);
const cpu = (x) => x.user + x.system;
const medianOf = (name) => median(rounds.map((r) => of(r, name).median));
const ratioOf = (name) => median(rounds.map((r) => of(r, name).median / of(r, 'node -e 0').median));
const cpuOf = (name) => median(rounds.map((r) => cpu(of(r, name))));
const cpuRatioOf = (name) => median(rounds.map((r) => cpu(of(r, name)) / cpu(of(r, 'node -e 0'))));

const lines = [
  `# CLI startup — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `node ${process.version}, ${cpus().length} CPU(s) shared with other workers; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after.`,
  `${values.rounds} rounds of \`hyperfine -N --warmup 3 --runs ${values.runs}\` over the commands (caches in a fresh folder, filled by the warm-up runs); figures are medians over rounds of each round's median (wall) or mean (CPU = user + system).`,
  'Wall time is what the targets name; on a loaded machine every command waits alike for a core, which pulls wall ratios towards 1, so the CPU ratios are shown beside them.',
  '',
  '| command | wall | × `node -e 0` | CPU | × `node -e 0` | target |',
  '|---|---|---|---|---|---|',
];
let missed = false;
for (const c of commands) {
  const ratio = ratioOf(c.name);
  const cpuRatio = cpuRatioOf(c.name);
  const target = targetOf(c.name);
  if (target && ratio > target) missed = true;
  const verdict = target ? `≤ ${target}×: wall ${ratio <= target ? 'met' : 'MISSED'}, CPU ${cpuRatio <= target ? 'met' : 'missed'}` : '—';
  lines.push(`| \`${c.name}\` | ${ms(medianOf(c.name))} | ${ratio.toFixed(2)}× | ${ms(cpuOf(c.name))} | ${cpuRatio.toFixed(2)}× | ${verdict} |`);
}
lines.push('', `\`jitsi-k8s render\` is \`render --config examples/jitsi-k8s.yaml --out DIR\` (writes values, secrets, notes).`);
/** The commit a bin's checkout is at, when it is one. */
const commitOf = (bin) => {
  try {
    const git = (...args) => execFileSync('git', ['-C', dirname(bin), ...args], { encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : '';
    return `${git('log', '-1', '--format=%h %s').slice(0, 100)}${changed}`;
  } catch {
    return 'not a git checkout';
  }
};
for (const b of bins) lines.push(`${b.suffix ? `\`[${b.suffix.slice(2, -1)}]\`` : 'This build'}: bin of ${commitOf(b.path)}.`);
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = missed ? 1 : 0;
