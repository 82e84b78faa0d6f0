/**
 * CPU and memory of a browser: the sum over its process tree, read from /proc (Linux only; on
 * other systems the figures are simply absent). Cores = Δ(utime+stime) / Δwall.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux that matters. */
const CLOCK_TICKS = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, seconds */
  cpuSeconds: number;
}

/** Parses one /proc/<pid>/stat line; the command name may contain spaces and parentheses. */
export function parseProcStat(line: string): ProcStat | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(line.slice(0, line.indexOf(' ')));
  const rest = line.slice(close + 2).split(' ');
  // rest[0] is the state (field 3); ppid is field 4, utime 14, stime 15
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (![pid, ppid, utime, stime].every(Number.isFinite)) return undefined;
  return { pid, ppid, cpuSeconds: (utime + stime) / CLOCK_TICKS };
}

/** Proportional set size from /proc/<pid>/smaps_rollup, KiB. */
export function parsePssKiB(text: string): number | undefined {
  const m = /^Pss:\s+(\d+) kB/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Every process on the machine, now. */
function readProcs(): ProcStat[] {
  try {
    return readPids(readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number));
  } catch {
    return [];
  }
}

/** Every pid in the tree under root (root included), now. */
export function processTree(root: number): number[] {
  const procs = readProcs();
  const pids: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    if (!procs.some((p) => p.pid === pid)) continue;
    pids.push(pid);
    for (const p of procs) if (p.ppid === pid) stack.push(p.pid);
  }
  return pids;
}

export interface TreeUsage {
  cpuSeconds: number;
  /** CPU seconds per process of the tree, so an interval's usage can be summed over the processes alive at both ends */
  perProcess: Map<number, number>;
  pssMiB?: number;
  processes: number;
}

/** CPU seconds used between two readings of one tree: processes that exited in between drop out instead of making it negative. */
export function cpuBetween(prev: Map<number, number>, cur: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, s] of cur) seconds += Math.max(0, s - (prev.get(pid) ?? 0));
  return seconds;
}

function readPids(pids: number[]): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of pids) {
    try {
      const s = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (s) out.push(s);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/**
 * CPU seconds so far (and PSS now) of each root's whole process tree. Without `knownPids` it
 * scans all of /proc to find the trees; with them (the pids a previous result listed) it reads
 * only those, which costs a fraction — new processes then show up at the next full scan.
 */
export function processTreeUsage(roots: number[], withMemory = true, knownPids?: number[]): Map<number, TreeUsage> {
  const procs = knownPids ? readPids([...new Set([...roots, ...knownPids])]) : readProcs();
  const children = new Map<number, ProcStat[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const result = new Map<number, TreeUsage>();
  for (const root of roots) {
    const top = byPid.get(root);
    if (!top) continue;
    const stack = [top];
    let cpuSeconds = 0;
    let pssKiB = 0;
    let processes = 0;
    let memoryKnown = withMemory;
    const perProcess = new Map<number, number>();
    while (stack.length) {
      const p = stack.pop()!;
      processes++;
      cpuSeconds += p.cpuSeconds;
      perProcess.set(p.pid, p.cpuSeconds);
      if (memoryKnown) {
        try {
          pssKiB += parsePssKiB(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8')) ?? 0;
        } catch {
          memoryKnown = false;
        }
      }
      stack.push(...(children.get(p.pid) ?? []));
    }
    result.set(root, { cpuSeconds, perProcess, processes, ...(memoryKnown ? { pssMiB: Math.round((pssKiB / 1024) * 10) / 10 } : {}) });
  }
  return result;
}
