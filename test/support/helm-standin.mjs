#!/usr/bin/env node
// A helm stand-in for runner tests: records argv and stdin (one JSON line per call in
// $STANDIN_LOG) and answers like helm would for the calls apply makes. Real helm is used wherever
// it can work here; this stands in for what needs a cluster (upgrade --install, rollback).
//   STANDIN_VERSION        what `helm version` prints (default v3.14.0)
//   STANDIN_RELEASES       JSON {"<release>": {"revision": 4, "status": "deployed", "values": {...}, "chart": "jitsi-meet-3.4.0", "manifest": "...",
//                          "history": [{"revision": 3, "status": "superseded"}, …]}} (history defaults to the one current revision)
//   STANDIN_FAIL           a release name whose `upgrade` fails
//   STANDIN_HANG           a release name whose `upgrade` waits until a signal; it then logs
//                          {"signal": ...} and fails like helm cancelled mid-upgrade
import { appendFileSync, readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
let stdin = '';
try {
  stdin = process.stdin.isTTY ? '' : readFileSync(0, 'utf8');
} catch {
  stdin = '';
}
if (process.env.STANDIN_LOG) appendFileSync(process.env.STANDIN_LOG, `${JSON.stringify({ argv, stdin })}\n`);
const releases = JSON.parse(process.env.STANDIN_RELEASES ?? '{}');
const [cmd, name] = argv;
const fail = (msg) => {
  process.stderr.write(`${msg}\n`);
  process.exit(1);
};
switch (cmd) {
  case 'version':
    process.stdout.write(process.env.STANDIN_VERSION ?? 'v3.14.0');
    break;
  case 'get':
    if (!releases[argv[2]]) fail('Error: release: not found');
    // `get manifest`: the release's manifest (default none); `get values`: its values
    process.stdout.write(name === 'manifest' ? (releases[argv[2]].manifest ?? '') : JSON.stringify(releases[argv[2]].values ?? {}));
    break;
  case 'template':
    // apply renders the upgrade to see which bridges it restarts: the same manifest as installed (no restarts)
    process.stdout.write(releases[name]?.manifest ?? '');
    break;
  case 'list': {
    const filter = argv[argv.indexOf('--filter') + 1]?.replace(/^\^|\$$/g, '');
    // like helm: pending releases are listed only with --all
    const r = releases[filter]?.status?.startsWith('pending') && !argv.includes('--all') ? undefined : releases[filter];
    process.stdout.write(JSON.stringify(r ? [{ name: filter, revision: String(r.revision ?? 1), status: r.status ?? 'deployed', chart: r.chart ?? 'jitsi-meet-3.4.0' }] : []));
    break;
  }
  case 'history': {
    const r = releases[name];
    if (!r) fail('Error: release: not found');
    const current = { revision: Number(r.revision ?? 1), status: r.status ?? 'deployed' };
    const entries = (r.history ?? [current]).map((h) => ({ ...h, chart: r.chart ?? 'jitsi-meet-3.4.0', app_version: 'stable-11146-2', description: '' }));
    process.stdout.write(JSON.stringify(entries));
    break;
  }
  case 'upgrade':
    if (argv[2] === process.env.STANDIN_HANG) {
      for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
        process.on(sig, () => {
          if (process.env.STANDIN_LOG) appendFileSync(process.env.STANDIN_LOG, `${JSON.stringify({ signal: sig, argv })}\n`);
          fail(`Release "${argv[2]}" has been cancelled.\nError: UPGRADE FAILED: context canceled`);
        });
      }
      setInterval(() => {}, 1_000);
      break;
    }
    if (argv[2] === process.env.STANDIN_FAIL) fail(`Error: UPGRADE FAILED: release ${argv[2]} failed, and has been rolled back due to rollback-on-failure being set: context deadline exceeded`);
    process.stdout.write(`Release "${argv[2]}" has been upgraded. Happy Helming!\n`);
    break;
  case 'rollback':
    process.stdout.write(`Rollback was a success! Happy Helming!\n`);
    break;
  case 'uninstall': {
    // installed before this run, or by an earlier `upgrade --install` call of this run
    const earlier = process.env.STANDIN_LOG
      ? readFileSync(process.env.STANDIN_LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).argv)
      : [];
    const installedNow = earlier.some((a) => a[0] === 'upgrade' && a[2] === name && a[2] !== process.env.STANDIN_FAIL);
    if (!releases[name] && !installedNow) fail(`Error: uninstall: Release not loaded: ${name}: release: not found`);
    process.stdout.write(`release "${name}" uninstalled\n`);
    break;
  }
  default:
    fail(`helm-standin: unexpected ${cmd}`);
}
