/**
 * "This machine ran out" told apart from "the browser is broken": the verdict on failure messages
 * Chromium 156 and puppeteer-core 24 really printed on this machine when a pids cgroup ran out, and
 * real runs of the built bin whose browsers are confined to a pids or a memory cgroup too small for them.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countersMoved, describeExhaustion, exhaustionCause, readResources, type ResourceReading } from '../../src/bench/exhaustion.js';
import { cliAsync } from '../support/cli.js';
import { chromiumBin } from '../support/tools.js';
import { procsOf, removeGroup } from '../support/cgroups.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-exhaust-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const calm: ResourceReading = { availableMiB: 20_000, shmFreeMiB: 12_000, oomKills: 3, pids: [{ path: '/sys/fs/cgroup/pids/gen', current: 160, max: 200, refused: 0 }], memory: [{ path: '/m', usageMiB: 900, limitMiB: 4_096, oomKills: 0 }] };
const with_ = (o: Partial<ResourceReading>): ResourceReading => ({ ...calm, ...o });

// printed by puppeteer-core 24 launching Chromium 156 in a pids cgroup of 5 and of 15 tasks
const CRASHPAD_SPAWN = `Failed to launch the browser process:  Code: null

stderr:
[1129/204600.109224:FATAL:third_party/crashpad/crashpad/util/posix/spawn_subprocess.cc:231] posix_spawn /usr/lib/chromium/chrome_crashpad_handler: Resource temporarily unavailable (11)
[1129/204600.109915:WARNING:third_party/crashpad/crashpad/util/posix/spawn_subprocess.cc:256] intermediate process terminated by signal 5 (Trace/breakpoint trap)

TROUBLESHOOTING: https://pptr.dev/troubleshooting`;
const THREAD = `Failed to launch the browser process:  Code: null

stderr:
[20623:20702:1129/204603.001723:ERROR:base/threading/platform_thread_posix.cc:162] pthread_create: Resource temporarily unavailable (11)
[20623:20623:1129/204603.009144:FATAL:content/browser/scheduler/browser_task_executor.cc:319] Failed to start BrowserThread:IO`;


/** The processes still in a cgroup after up to 5 s: a run that closed its browsers leaves none. */
async function processesLeftIn(group: string): Promise<string[]> {
  for (const until = Date.now() + 5_000; procsOf(group).length && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
  return procsOf(group);
}

/** A short loopback bench of the built bin whose browsers start through `wrapper`, which puts them in the test's cgroup. */
const confinedRun = (participants: number, wrapper: string, out: string, timeoutMs: number) =>
  cliAsync(
    ['bench', '--target', 'loopback', '--participants', String(participants), '--duration', '2s', '--warmup', '1s', '--cooldown', '0s', '--ramp', '10/s', '--join-timeout', '15s', '--browser', wrapper, '--out', out, '--yes'],
    { cwd: work, env: { XDG_CACHE_HOME: join(work, 'cache') }, timeoutMs },
  );


describe('exhaustionCause', () => {
  it.each([
    ['Chromium could not spawn its crash handler', CRASHPAD_SPAWN, calm, calm, 'processes', 'the browser said: posix_spawn /usr/lib/chromium/chrome_crashpad_handler: Resource temporarily unavailable (11)'],
    ['Chromium could not start a thread', THREAD, calm, calm, 'processes', 'pthread_create: Resource temporarily unavailable (11)'],
    // a pids cgroup of 200: the second browser died while connecting, its pages then failed like this
    ['"socket hang up" while the pids limit refused tasks', 'socket hang up', calm, with_({ pids: [{ ...calm.pids[0]!, refused: 12 }] }), 'processes', 'the pids limit 200 of cgroup /sys/fs/cgroup/pids/gen refused 12 new task(s)'],
    ['"Connection closed." after the OOM killer ran in the cgroup', 'Connection closed.', calm, with_({ memory: [{ ...calm.memory[0]!, oomKills: 2 }] }), 'memory', 'the OOM killer ended 2 process(es) in cgroup /m (limit 4096 MiB)'],
    ['the issue\'s "Target closed" after a machine-wide OOM kill', 'Protocol error (Target.setAutoAttach): Target closed', calm, with_({ oomKills: 4 }), 'memory', "the kernel's OOM killer ended 1 process(es)"],
    ['Node could not fork', 'spawn /usr/bin/chromium EAGAIN', calm, calm, 'processes', 'spawn /usr/bin/chromium EAGAIN'],
    ['Node had no memory to fork', 'spawn /usr/bin/chromium ENOMEM', calm, calm, 'memory', 'spawn /usr/bin/chromium ENOMEM'],
    ['a page crash with 100 MiB left', 'Page crashed!', calm, with_({ availableMiB: 100 }), 'memory', '100 MiB of memory left'],
    ['a page crash at the cgroup memory limit', 'Page crashed!', calm, with_({ memory: [{ path: '/m', usageMiB: 4_000, limitMiB: 4_096, oomKills: 0 }] }), 'memory', 'cgroup /m uses 4000 of its 4096 MiB'],
    ['"Requesting main frame too early!" with the pids cgroup full', 'Requesting main frame too early!', calm, with_({ pids: [{ ...calm.pids[0]!, current: 199 }] }), 'processes', 'runs 199 of its 200 tasks'],
    ['a crash with /dev/shm full', 'Page crashed!', calm, with_({ shmFreeMiB: 10 }), 'shared memory', '10 MiB free in /dev/shm'],
  ])('%s → out of %s', (_what, failure, before, now, resource, evidence) => {
    const cause = exhaustionCause(failure, before, now);
    expect(cause?.resource).toBe(resource);
    expect(cause?.evidence).toContain(evidence);
  });

  it.each([
    ['a missing binary', 'Failed to launch the browser process! spawn /nope ENOENT'],
    ['"socket hang up" with nothing exhausted', 'socket hang up'],
    ['the issue\'s "Target closed" with nothing exhausted', 'Protocol error (Target.setAutoAttach): Target closed'],
    ['a navigation timeout', 'Navigation timeout of 30000 ms exceeded'],
  ])('%s is not blamed on the machine', (_what, failure) => {
    expect(exhaustionCause(failure, calm, calm)).toBeUndefined();
  });

  it('before anything fails, only counters that moved say the machine is out (levels such as a 64 MiB /dev/shm do not)', () => {
    expect(countersMoved(calm, with_({ memory: [{ ...calm.memory[0]!, oomKills: 1 }] }))?.resource).toBe('memory');
    expect(countersMoved(calm, with_({ pids: [{ ...calm.pids[0]!, refused: 2 }] }))?.resource).toBe('processes');
    expect(countersMoved(calm, with_({ shmFreeMiB: 10, availableMiB: 100 }))).toBeUndefined();
    expect(countersMoved(calm, calm)).toBeUndefined();
  });

  it('refusals counted before the run are not blamed', () => {
    const before = with_({ pids: [{ ...calm.pids[0]!, refused: 7 }] });
    expect(exhaustionCause('socket hang up', before, before)).toBeUndefined();
  });

  it('says what ran out, at what load, with the free memory', () => {
    const text = describeExhaustion({ resource: 'processes', evidence: 'the pids limit 200 of cgroup /g refused 3 new task(s)' }, { what: 'browser 3 of 8 did not start', pagesPerBrowser: 4, browsers: 2, reading: calm });
    expect(text).toBe('this machine ran out of processes: browser 3 of 8 did not start (the pids limit 200 of cgroup /g refused 3 new task(s); 2 browser(s) of up to 4 pages, 19.5 GiB memory available)');
  });

  it('reads this machine for real: available memory, /dev/shm, its own cgroups', () => {
    const r = readResources([process.pid]);
    expect(r.availableMiB).toBeGreaterThan(0);
    expect(r.shmFreeMiB).toBeGreaterThanOrEqual(0);
    expect(r.pids.length + r.memory.length).toBeGreaterThan(0);
  });
});

/** The pids controller's root where this machine lets root make a child cgroup (v1 hierarchy or v2 with pids enabled). */
function pidsRoot(): string {
  if (existsSync('/sys/fs/cgroup/pids/cgroup.procs')) return '/sys/fs/cgroup/pids';
  if (existsSync('/sys/fs/cgroup/cgroup.subtree_control') && readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').includes('pids')) return '/sys/fs/cgroup';
  throw new Error('no pids cgroup controller to confine the browsers in (needs root and cgroup v1 pids or v2 with pids enabled)');
}

describe('a real run that runs out of processes', () => {
  it('names the exhaustion, starts no more browsers, keeps what it measured, leaves nothing running', async () => {
    const group = join(pidsRoot(), `jk8s-exhaust-${process.pid}`);
    mkdirSync(group);
    try {
      // one browser with its pages fits in 150 tasks, three do not (~50-60 tasks each at start, more per page)
      writeFileSync(join(group, 'pids.max'), '150');
      const wrapper = join(work, 'chromium-in-cgroup.sh');
      writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${group}/cgroup.procs\necho started >> ${work}/launches\nexec ${chromiumBin()} "$@"\n`);
      chmodSync(wrapper, 0o755);
      const out = join(work, 'run');
      // 1 room × 8 with 2 senders: 1 sender browser + 2 receiver browsers of 4 pages
      const r = await confinedRun(8, wrapper, out, 150_000);
      // a browser's task count at start varies with timing: the second or the third one meets the limit, either
      // when it is launched ("did not start") or in the check before its launch, once an earlier browser's
      // renderers were refused ("was not started": that one is never launched)
      const failedAt = /this machine ran out of processes: browser ([23]) of 3 (did not start|was not started) \(the pids limit 150 of cgroup/.exec(r.stderr);
      expect(failedAt, r.stderr).not.toBeNull();
      const launched = Number(failedAt![1]) - (failedAt![2] === 'was not started' ? 1 : 0);
      expect(r.stderr).toContain('browser(s) of up to 4 pages');
      expect(r.stderr).toMatch(/GiB memory available/);
      expect(r.stderr).not.toContain('check the browser runs');
      expect(r.code).toBe(1);
      // no browser after the one that failed was launched
      expect(readFileSync(join(work, 'launches'), 'utf8').trim().split('\n')).toHaveLength(launched);
      const events = readFileSync(join(out, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event?: string; detail?: string });
      expect(events.filter((e) => e.event === 'resources-exhausted')).toHaveLength(1);
      expect(existsSync(join(out, 'report.html'))).toBe(true);
      expect(readFileSync(join(group, 'pids.events'), 'utf8')).toMatch(/max [1-9]/);
      // the run closed the browser it had: nothing of it is left in the cgroup
      expect(await processesLeftIn(group)).toEqual([]);
    } finally {
      await removeGroup(group);
    }
  }, 180_000);
});

/** The memory controller's root where root may make a child cgroup, and where a group counts its OOM kills (v1 or v2). */
function memoryRoot(): { root: string; limitFile: string; oomKills: (group: string) => number } {
  const count = (text: string) => Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
  if (existsSync('/sys/fs/cgroup/memory/cgroup.procs')) return { root: '/sys/fs/cgroup/memory', limitFile: 'memory.limit_in_bytes', oomKills: (g) => count(readFileSync(join(g, 'memory.oom_control'), 'utf8')) };
  if (existsSync('/sys/fs/cgroup/cgroup.subtree_control') && readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').includes('memory')) {
    return { root: '/sys/fs/cgroup', limitFile: 'memory.max', oomKills: (g) => count(readFileSync(join(g, 'memory.events'), 'utf8')) };
  }
  throw new Error('no memory cgroup controller to confine the browsers in (needs root and cgroup v1 memory or v2 with memory enabled)');
}

describe('a real run whose browsers run out of memory', () => {
  it('once the OOM killer has run, no further browser is launched; the exhaustion is named, nothing is left running', async () => {
    const mem = memoryRoot();
    const group = join(mem.root, `jk8s-exhaust-mem-${process.pid}`);
    mkdirSync(group);
    try {
      // a few browsers fit in 600 MiB, ten with their pages do not
      writeFileSync(join(group, mem.limitFile), String(600 * 1_048_576));
      const launches = join(work, 'mem-launches');
      const wrapper = join(work, 'chromium-in-memory-cgroup.sh');
      // each launch notes the group's OOM kills so far: the test sees what the run knew when it launched
      const kills = existsSync(join(group, 'memory.oom_control')) ? `grep '^oom_kill ' ${group}/memory.oom_control` : `grep '^oom_kill ' ${group}/memory.events`;
      writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${group}/cgroup.procs\n${kills} >> ${launches}\nexec ${chromiumBin()} "$@"\n`);
      chmodSync(wrapper, 0o755);
      const out = join(work, 'mem-run');
      // 4 rooms × 10 with 2 senders: 2 sender browsers + 8 receiver browsers of 4 pages
      const r = await confinedRun(40, wrapper, out, 170_000);
      expect(mem.oomKills(group), 'the limit was meant to be met').toBeGreaterThan(0);
      expect(r.stderr).toMatch(/this machine ran out of memory: .*\(the OOM killer ended \d+ process\(es\) in cgroup /);
      expect(r.code).toBe(1);
      const seen = readFileSync(launches, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1]));
      // a kill between the run's last check and the browser's start is a race it cannot see; a second launch would be blind
      expect(seen.filter((k) => k > 0).length, `OOM kills seen at each launch: ${seen.join(' ')}`).toBeLessThanOrEqual(1);
      expect(seen.length).toBeLessThan(10);
      const events = readFileSync(join(out, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event?: string });
      expect(events.filter((e) => e.event === 'resources-exhausted')).toHaveLength(1);
      expect(await processesLeftIn(group)).toEqual([]);
    } finally {
      await removeGroup(group);
    }
  }, 200_000);
});

// the cgroup folders this test made are gone again
afterAll(() => expect(readdirSync(pidsRoot()).filter((d) => d.startsWith(`jk8s-exhaust-${process.pid}`))).toEqual([]));
afterAll(() => expect(readdirSync(memoryRoot().root).filter((d) => d.startsWith(`jk8s-exhaust-mem-${process.pid}`))).toEqual([]));
