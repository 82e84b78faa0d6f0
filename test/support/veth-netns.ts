import { run } from '../../src/cluster/exec.js';

/**
 * A network namespace of the test's own with lo up and a veth pair whose two ends both stay inside,
 * at `<subnet>.1/24` and `<subnet>.2/24`: Chrome gathers no ICE candidates on lo alone. Needs root.
 */
export async function vethNamespace(ns: string, ifaces: [string, string], subnet: string): Promise<void> {
  const ip = (...args: string[]) => run('ip', args, { timeoutMs: 15_000 });
  await ip('netns', 'add', ns);
  await ip('-n', ns, 'link', 'set', 'lo', 'up');
  await ip('-n', ns, 'link', 'add', ifaces[0], 'type', 'veth', 'peer', 'name', ifaces[1]);
  await ip('-n', ns, 'addr', 'add', `${subnet}.1/24`, 'dev', ifaces[0]);
  await ip('-n', ns, 'addr', 'add', `${subnet}.2/24`, 'dev', ifaces[1]);
  await ip('-n', ns, 'link', 'set', ifaces[0], 'up');
  await ip('-n', ns, 'link', 'set', ifaces[1], 'up');
}
