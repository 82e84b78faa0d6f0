/** What the next run does with a release a killed run left pending: judgePending, one row per case. */
import { describe, expect, it } from 'vitest';
import { describeLeftovers, helmProcessesFor, judgePending, type PendingRelease } from '../../src/cluster/leftovers.js';
import type { LeaseHolder } from '../../src/cluster/lease.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pending = (o: Partial<PendingRelease> = {}): PendingRelease => ({
  release: 'jitsi',
  namespace: 'jitsi',
  status: 'pending-upgrade',
  revision: 4,
  since: '2026-12-07T18:00:00Z',
  ageSeconds: 40,
  lastDeployedRevision: 3,
  helmProcesses: [],
  claims: [],
  ...o,
});
const killed: LeaseHolder = { identity: 'me@here pid 4242', command: 'jitsi-k8s scale jvb 3', host: 'here', pid: 4242, timeoutSeconds: 900, expired: true };
const dead = (_pid: number): boolean => false;

describe('judgePending', () => {
  it.each([
    ['a helm process here still holds it: wait, even with --recover', pending({ helmProcesses: [{ pid: 7, args: 'helm upgrade jitsi' }] }), { recover: true, lease: killed, host: 'here', alive: dead }, 'wait', /helm \(pid 7\) on this machine still works on it/],
    ['young, started on another machine: wait, naming when it turns stale', pending(), { lease: { ...killed, host: 'elsewhere' }, host: 'here', alive: dead }, 'wait', /stale at 2026-12-07T18:15:00\.000Z, 900s after it started\).*--recover/],
    ['young, its starter on this machine is gone: roll back', pending(), { lease: killed, host: 'here', alive: dead }, 'rollback', /pid 4242 on this machine\) is gone: roll back to revision 3/],
    ['its starter on this machine still lives (lease not expired): wait', pending(), { lease: { ...killed, expired: false }, host: 'here', alive: (_pid: number): boolean => true }, 'wait', /may still be worked on/],
    ['older than the timeout it was started with: roll back', pending({ ageSeconds: 901 }), { lease: { ...killed, host: 'elsewhere' }, host: 'here', alive: dead }, 'rollback', /older than the 900s timeout/],
    ['no lease record: judged by this run\'s timeout', pending({ ageSeconds: 301 }), { timeoutSeconds: 300, host: 'here', alive: dead }, 'rollback', /older than the 300s timeout/],
    ['--recover: roll back now', pending(), { recover: true, host: 'here', alive: dead }, 'rollback', /--recover: roll back to revision 3/],
    ['a first install that never deployed, no claims: removed', pending({ status: 'pending-install', revision: 1, lastDeployedRevision: undefined }), { recover: true }, 'uninstall', /never deployed, with no claims: removed/],
    ['a first install that never deployed, with claims: refused', pending({ status: 'pending-install', revision: 1, lastDeployedRevision: undefined, claims: ['jitsi-jitsi-meet-jibri'] }), { recover: true }, 'refuse', /claims jitsi-jitsi-meet-jibri belong to it: not removed/],
    ['an uninstall cut short: finished', pending({ status: 'uninstalling' }), { recover: true }, 'uninstall', /the uninstall that was cut short is finished/],
  ] as const)('%s', (_name, p, o, kind, why) => {
    const a = judgePending(p, o);
    expect(a.kind).toBe(kind);
    expect(a.why).toMatch(why);
  });

  it('describeLeftovers says what was left and what the next run does, one line each', () => {
    const lines = describeLeftovers(
      {
        pending: [pending()],
        bridges: [{ pod: 'jvb-2', drain: true, leaving: true, costBefore: '5' }],
        bridgeCount: { running: 3, config: 2 },
        bench: [{ namespace: 'jitsi-k8s-bench', kind: 'Job', name: 'jk8s-bench-x-s0', coordinator: 'here pid 9', coordinatorGone: true }],
        staleLease: killed,
      },
      { host: 'here', alive: dead, configFile: 'jitsi-k8s.yaml' },
    );
    expect(lines.map((l) => `${l.what} → ${l.action}`)).toEqual([
      'release jitsi is pending-upgrade for 40s (since 2026-12-07T18:00:00Z), revision 4; no helm process on this machine holds it → the run that started it (pid 4242 on this machine) is gone: roll back to revision 3, its last deployed one',
      'bridge jvb-2 is in drain mode and marked as leaving (deletion cost lowered) by a drain that did not finish → put back: drain mode off, deletion cost 5',
      '3 bridges run, jitsi-k8s.yaml says 2 (a sweep or scale cut short) → `jitsi-k8s apply` goes back to 2 (it asks first on a terminal)',
      'bench Job jitsi-k8s-bench/jk8s-bench-x-s0: its coordinator here pid 9 is gone → deleted',
      'the lease of a killed run: jitsi-k8s scale jvb 3 (me@here pid 4242), last renewed ? → taken over by the next run',
    ]);
  });
});

describe('helmProcessesFor', () => {
  it('finds helm processes naming the release (and its namespace) in a process table', () => {
    const proc = mkdtempSync(join(tmpdir(), 'jk8s-proc-'));
    try {
      const add = (pid: number, argv: string[]) => {
        mkdirSync(join(proc, String(pid)));
        writeFileSync(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
      };
      add(10, ['/usr/local/bin/helm', 'upgrade', '--install', 'jitsi', 'chart.tgz', '--namespace', 'jitsi']);
      add(11, ['/usr/local/bin/helm', 'upgrade', '--install', 'jitsi', 'chart.tgz', '--namespace', 'other']);
      add(12, ['/usr/bin/node', 'helm', 'jitsi']);
      add(13, ['helm', 'rollback', 'jitsi', '3', '--namespace=jitsi']);
      mkdirSync(join(proc, 'self'));
      expect(helmProcessesFor('jitsi', 'jitsi', proc).map((p) => p.pid)).toEqual([10, 13]);
      expect(helmProcessesFor('jitsi', 'jitsi', join(proc, 'missing'))).toEqual([]);
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });
});
