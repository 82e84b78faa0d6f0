/**
 * Telling "this machine ran out" from "the browser is broken". A browser that does not start, or
 * dies, or a page that crashes is blamed on memory, processes or shared memory when the kernel's
 * counters moved since the run began (a pids cgroup refused tasks, the OOM killer ran), when
 * Chromium's own message says so, or when the machine is nearly out; the runner then stops
 * launching and keeps what it measured. Readings come from /proc and the cgroup files; the
 * verdict (`exhaustionCause`) is pure.
 */
import { readFileSync, statfsSync } from 'node:fs';

export type Resource = 'memory' | 'processes' | 'shared memory';

export interface PidsGroup {
  path: string;
  current: number;
  /** undefined when unlimited */
  max?: number;
  /** tasks refused at the limit so far (pids.events "max") */
  refused: number;
}

export interface MemoryGroup {
  path: string;
  usageMiB: number;
  /** undefined when unlimited */
  limitMiB?: number;
  oomKills: number;
}

export interface ResourceReading {
  /** MemAvailable */
  availableMiB?: number;
  shmFreeMiB?: number;
  /** OOM kills since boot, the whole machine (/proc/vmstat) */
  oomKills?: number;
  pids: PidsGroup[];
  memory: MemoryGroup[];
}

/** A CPU cgroup with a quota (cgroup v1 cpu.cfs_quota_us, v2 cpu.max): how often the kernel held its tasks back. */
export interface CpuGroup {
  path: string;
  /** the quota in cores; undefined when unlimited */
  quotaCores?: number;
  /** scheduler periods in which the group ran, and those in which it hit its quota (cumulative) */
  periods: number;
  throttled: number;
}

export interface Exhaustion {
  resource: Resource;
  /** what shows it, e.g. "the pids limit 200 of /jk8s refused 12 tasks" */
  evidence: string;
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};
const num = (text: string | undefined): number | undefined => (text !== undefined && /^\s*\d+\s*$/.test(text) ? Number(text) : undefined);
const field = (text: string | undefined, key: string): number | undefined => {
  const m = text === undefined ? null : new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};
// cgroup v1 reports "no limit" as a page-rounded 2^63
const UNLIMITED_BYTES = 2 ** 62;

/** The pids, memory and cpu cgroup folders of a process, v1 (one hierarchy per controller) or v2 (one). */
function cgroupDirs(pid: number): { pids?: string; memory?: string; cpu?: string } {
  const dirs: { pids?: string; memory?: string; cpu?: string } = {};
  for (const line of (read(`/proc/${pid}/cgroup`) ?? '').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers === undefined || path === undefined) continue;
    if (controllers === '') {
      const root = read('/sys/fs/cgroup/cgroup.controllers') !== undefined ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
      dirs.pids ??= `${root}${path}`;
      dirs.memory ??= `${root}${path}`;
      dirs.cpu ??= `${root}${path}`;
    }
    for (const c of controllers.split(',')) if (c === 'pids' || c === 'memory') dirs[c] = `/sys/fs/cgroup/${c}${path}`;
    // v1 mounts cpu and cpuacct together ("cpu,cpuacct") or apart ("cpu")
    // v1 mounts cpu alone or as "cpu,cpuacct", with a "cpu" link to it
    if (controllers.split(',').includes('cpu')) dirs.cpu = `/sys/fs/cgroup/cpu${path}`;
  }
  return dirs;
}

/** What the machine and the cgroups of these processes (this one and the browsers) have left. */
export function readResources(pids: number[]): ResourceReading {
  const meminfo = read('/proc/meminfo');
  const available = field(meminfo, 'MemAvailable:');
  let shmFreeMiB: number | undefined;
  try {
    const st = statfsSync('/dev/shm');
    shmFreeMiB = Math.floor((st.bavail * st.bsize) / 1_048_576);
  } catch {
    // no /dev/shm here
  }
  const reading: ResourceReading = { availableMiB: available === undefined ? undefined : Math.floor(available / 1_024), shmFreeMiB, oomKills: field(read('/proc/vmstat'), 'oom_kill'), pids: [], memory: [] };
  const seen = new Set<string>();
  for (const pid of pids) {
    const dirs = cgroupDirs(pid);
    if (dirs.pids && !seen.has(dirs.pids)) {
      seen.add(dirs.pids);
      const current = num(read(`${dirs.pids}/pids.current`));
      if (current !== undefined) {
        reading.pids.push({ path: dirs.pids, current, max: num(read(`${dirs.pids}/pids.max`)), refused: field(read(`${dirs.pids}/pids.events`), 'max') ?? 0 });
      }
    }
    if (dirs.memory && !seen.has(`m:${dirs.memory}`)) {
      seen.add(`m:${dirs.memory}`);
      const usage = num(read(`${dirs.memory}/memory.current`)) ?? num(read(`${dirs.memory}/memory.usage_in_bytes`));
      const limit = num(read(`${dirs.memory}/memory.max`)) ?? num(read(`${dirs.memory}/memory.limit_in_bytes`));
      const kills = field(read(`${dirs.memory}/memory.events`), 'oom_kill') ?? field(read(`${dirs.memory}/memory.oom_control`), 'oom_kill') ?? 0;
      if (usage !== undefined) {
        reading.memory.push({ path: dirs.memory, usageMiB: Math.floor(usage / 1_048_576), limitMiB: limit === undefined || limit >= UNLIMITED_BYTES ? undefined : Math.floor(limit / 1_048_576), oomKills: kills });
      }
    }
  }
  return reading;
}

/** The CPU cgroup of a process, when it has a quota or counts throttling; undefined without a readable one. */
export function readCpuGroup(pid: number): CpuGroup | undefined {
  const dir = cgroupDirs(pid).cpu;
  return dir ? readCpuGroupAt(dir) : undefined;
}

function readCpuGroupAt(dir: string): CpuGroup | undefined {
  const stat = read(`${dir}/cpu.stat`);
  if (stat === undefined) return undefined;
  let quotaCores: number | undefined;
  const v2 = read(`${dir}/cpu.max`);
  if (v2 !== undefined) {
    const [quota, period] = v2.trim().split(/\s+/);
    if (quota !== 'max' && Number(period) > 0) quotaCores = Number(quota) / Number(period);
  } else {
    const quota = Number(read(`${dir}/cpu.cfs_quota_us`)?.trim());
    const period = Number(read(`${dir}/cpu.cfs_period_us`)?.trim());
    if (quota > 0 && period > 0) quotaCores = quota / period;
  }
  return { path: dir, quotaCores, periods: field(stat, 'nr_periods') ?? 0, throttled: field(stat, 'nr_throttled') ?? 0 };
}

/** Share of throttled periods above which a CPU cgroup's quota, not the work asked of it, sets the pace. */
export const CPU_STARVED_SHARE = 0.3;

/**
 * A CPU cgroup that spent at least CPU_STARVED_SHARE of its periods at its quota between two readings
 * of the same groups: the processes in it wanted more CPU than they were given. One sentence, or undefined.
 */
export function cpuStarved(before: CpuGroup[], now: CpuGroup[]): string | undefined {
  for (const g of now) {
    const was = before.find((b) => b.path === g.path);
    if (!was || g.quotaCores === undefined) continue;
    const periods = g.periods - was.periods;
    const throttled = g.throttled - was.throttled;
    if (periods >= 10 && throttled / periods >= CPU_STARVED_SHARE) {
      return `its CPU cgroup ${g.path} (a quota of ${round2(g.quotaCores)} core${g.quotaCores === 1 ? '' : 's'}) was held back in ${Math.round((throttled / periods) * 100)} % of ${periods} scheduler periods`;
    }
  }
  return undefined;
}
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Chromium's and Node's wording for each resource (errno texts; Chromium 156 seen here: test/bench/exhaustion.test.ts). */
const SAYS: [Resource, RegExp][] = [
  ['processes', /Resource temporarily unavailable|\bEAGAIN\b|fork\(\) failed/i],
  ['memory', /out of memory|Cannot allocate memory|\bENOMEM\b|\boom[ _-]?kill/i],
];

/** Below these the machine is out, whatever the message said. */
const NEARLY_OUT = { availableMiB: 256, shmFreeMiB: 64, share: 0.95 };

/**
 * The kernel's counters that moved since `before`: a pids limit refused tasks, the OOM killer ran.
 * Seen before any browser fails, they say the machine is already out (no guessing from levels:
 * a 64 MiB /dev/shm or a cgroup full of page cache is normal).
 */
export function countersMoved(before: ResourceReading, now: ResourceReading): Exhaustion | undefined {
  for (const g of now.pids) {
    const was = before.pids.find((b) => b.path === g.path)?.refused ?? 0;
    if (g.refused > was) return { resource: 'processes', evidence: `the pids limit ${g.max ?? '?'} of cgroup ${g.path} refused ${g.refused - was} new task(s)` };
  }
  for (const g of now.memory) {
    const was = before.memory.find((b) => b.path === g.path)?.oomKills ?? 0;
    if (g.oomKills > was) return { resource: 'memory', evidence: `the OOM killer ended ${g.oomKills - was} process(es) in cgroup ${g.path} (limit ${g.limitMiB ?? '?'} MiB)` };
  }
  if (now.oomKills !== undefined && before.oomKills !== undefined && now.oomKills > before.oomKills) {
    return { resource: 'memory', evidence: `the kernel's OOM killer ended ${now.oomKills - before.oomKills} process(es)` };
  }
  return undefined;
}

/**
 * Is a browser failure the machine running out? Counters that moved since `before` first, then
 * the failure's own words, then a machine that is nearly out now. Undefined: not a resource problem.
 */
export function exhaustionCause(failure: string, before: ResourceReading, now: ResourceReading): Exhaustion | undefined {
  const moved = countersMoved(before, now);
  if (moved) return moved;
  for (const [resource, words] of SAYS) {
    const line = failure.split('\n').find((l) => words.test(l));
    if (line) return { resource, evidence: `the browser said: ${line.trim().replace(/^\[[^\]]*\]\s*/, '').slice(0, 200)}` };
  }
  if (now.availableMiB !== undefined && now.availableMiB < NEARLY_OUT.availableMiB) return { resource: 'memory', evidence: `${now.availableMiB} MiB of memory left` };
  const tight = now.memory.find((g) => g.limitMiB !== undefined && g.usageMiB >= g.limitMiB * NEARLY_OUT.share);
  if (tight) return { resource: 'memory', evidence: `cgroup ${tight.path} uses ${tight.usageMiB} of its ${tight.limitMiB} MiB` };
  const full = now.pids.find((g) => g.max !== undefined && g.current >= g.max * NEARLY_OUT.share);
  if (full) return { resource: 'processes', evidence: `cgroup ${full.path} runs ${full.current} of its ${full.max} tasks` };
  if (now.shmFreeMiB !== undefined && now.shmFreeMiB < NEARLY_OUT.shmFreeMiB) return { resource: 'shared memory', evidence: `${now.shmFreeMiB} MiB free in /dev/shm` };
  return undefined;
}

/** One sentence for the terminal, the samples and the final error: what ran out, how it shows, at what load. */
export function describeExhaustion(e: Exhaustion, at: { what: string; pagesPerBrowser: number; browsers: number; reading: ResourceReading }): string {
  const free = at.reading.availableMiB === undefined ? '' : `, ${(at.reading.availableMiB / 1_024).toFixed(1)} GiB memory available`;
  return `this machine ran out of ${e.resource}: ${at.what} (${e.evidence}; ${at.browsers} browser(s) of up to ${at.pagesPerBrowser} pages${free})`;
}

/**
 * One run's watch: a baseline at the start, then every failure weighed against it. The first
 * exhaustion is the run's; the runner starts no more browsers after it, and no more pages after
 * one during the ramp.
 */
export class ResourceWatch {
  private readonly before: ResourceReading;
  exhausted?: { resource: Resource; message: string };
  /** failures blamed on resources so far */
  blamed = 0;
  /** the CPU cgroups of this process and of every browser tracked, with their first reading */
  private readonly cpuFirst = new Map<string, CpuGroup>();

  constructor(private readonly pagesPerBrowser: number) {
    this.before = readResources([process.pid]);
    this.trackCpu(process.pid);
  }

  private trackCpu(pid: number): void {
    const g = readCpuGroup(pid);
    if (g && !this.cpuFirst.has(g.path)) this.cpuFirst.set(g.path, g);
  }

  /** Whether a CPU cgroup of these processes was starved since `before` (groups first seen later count from then). */
  cpuStarvedSince(before: CpuGroup[]): string | undefined {
    const now = this.cpuGroups();
    const base = now.map((g) => before.find((b) => b.path === g.path) ?? this.cpuFirst.get(g.path) ?? g);
    return cpuStarved(base, now);
  }

  /** The CPU cgroups seen so far, read now (compare two readings with cpuStarved). */
  cpuGroups(): CpuGroup[] {
    return [...this.cpuFirst.keys()].map((path) => readCpuGroupAt(path)).filter((g): g is CpuGroup => g !== undefined);
  }

  private advance(now: ResourceReading): void {
    this.before.oomKills = now.oomKills ?? this.before.oomKills;
    for (const g of now.pids) {
      const b = this.before.pids.find((x) => x.path === g.path);
      if (b) b.refused = g.refused;
      else this.before.pids.push(g);
    }
    for (const g of now.memory) {
      const b = this.before.memory.find((x) => x.path === g.path);
      if (b) b.oomKills = g.oomKills;
      else this.before.memory.push(g);
    }
  }

  /** Counts a new browser's cgroups from now on (a --browser wrapper may put it in its own). */
  track(pid: number | undefined): void {
    if (pid === undefined) return;
    this.trackCpu(pid);
    const r = readResources([pid]);
    this.before.pids.push(...r.pids.filter((g) => !this.before.pids.some((b) => b.path === g.path)));
    this.before.memory.push(...r.memory.filter((g) => !this.before.memory.some((b) => b.path === g.path)));
  }

  /** The exhaustion behind this failure (or, without one, counters that moved), recorded as the run's when it is the first; undefined when it is something else. */
  blame(failure: string | undefined, what: string, browserPids: number[]): { resource: Resource; message: string } | undefined {
    const reading = readResources([process.pid, ...browserPids]);
    const cause = failure === undefined ? countersMoved(this.before, reading) : exhaustionCause(failure, this.before, reading);
    // later failures are weighed against what moved after this one
    this.advance(reading);
    if (!cause) return undefined;
    const found = { resource: cause.resource, message: describeExhaustion(cause, { what, pagesPerBrowser: this.pagesPerBrowser, browsers: browserPids.length, reading }) };
    this.exhausted ??= found;
    this.blamed++;
    return found;
  }
}
