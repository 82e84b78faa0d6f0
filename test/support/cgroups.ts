/** Cgroups the bench tests make to confine a load generator (pids, memory, CPU), and their removal. */
import { readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** The pids in a cgroup. */
export const procsOf = (group: string): string[] => readFileSync(join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);

/** Kills what is left in a cgroup the test made (a failed assertion must not leave browsers behind), then removes it. */
export async function removeGroup(group: string): Promise<void> {
  for (let i = 0; i < 50 && procsOf(group).length; i++) {
    for (const pid of procsOf(group)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  rmdirSync(group);
}
