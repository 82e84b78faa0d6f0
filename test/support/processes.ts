import { readFileSync, readdirSync } from 'node:fs';

/** Live (not zombie) processes whose environment carries `name=value`: every process of one test's run inherits it. */
export function processesMarked(name: string, value: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${d}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`${name}=${value}`)) pids.push(Number(d));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
