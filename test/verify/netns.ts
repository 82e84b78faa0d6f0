/**
 * A throw-away network namespace for the real-Chrome STUN test. Chrome gathers no ICE candidate
 * on `lo` alone, and the only other addresses allowed in tests are ones inside a namespace the test
 * made itself: so the namespace gets `lo` plus a veth pair with two private addresses, both ends
 * inside it, and a default route (which leads nowhere but into the namespace). Chrome and the STUN
 * probe both run in it (`ip netns exec`).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { run } from '../../src/cluster/exec.js';
import { repoRoot } from '../support/tools.js';

export interface TestNetns {
  name: string;
  /** the two addresses inside it (veth ends) */
  addresses: [string, string];
  dir: string;
  /** a shell wrapper that runs the given browser inside the namespace (for puppeteer's executablePath) */
  browserWrapper(browser: string): string;
  /** runs a node script inside the namespace; the JSON input goes through stdin */
  runNode(script: string, input: unknown, timeoutMs?: number): Promise<unknown>;
  remove(): Promise<void>;
}

const ip = (args: string[]) => run('ip', args, { timeoutMs: 10_000 });

export async function createTestNetns(): Promise<TestNetns> {
  const name = `jk8s-stun-${process.pid}-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'jk8s-netns-'));
  const addresses: [string, string] = ['10.231.7.1', '10.231.7.2'];
  await ip(['netns', 'add', name]);
  try {
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    await ip(['-n', name, 'link', 'add', 'jk0', 'type', 'veth', 'peer', 'name', 'jk1']);
    await ip(['-n', name, 'addr', 'add', `${addresses[0]}/24`, 'dev', 'jk0']);
    await ip(['-n', name, 'addr', 'add', `${addresses[1]}/24`, 'dev', 'jk1']);
    await ip(['-n', name, 'link', 'set', 'jk0', 'up']);
    await ip(['-n', name, 'link', 'set', 'jk1', 'up']);
    // without a default route Chrome finds no "default" interface and, with no camera permission, gathers nothing
    await ip(['-n', name, 'route', 'add', 'default', 'dev', 'jk0']);
  } catch (e) {
    await ip(['netns', 'delete', name]).catch(() => undefined);
    throw e;
  }
  return {
    name,
    addresses,
    dir,
    browserWrapper(browser: string) {
      const path = join(dir, 'browser-in-netns.sh');
      writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${name} ${browser} "$@"\n`);
      chmodSync(path, 0o755);
      return path;
    },
    async runNode(script, input, timeoutMs = 30_000) {
      const r = await run('ip', ['netns', 'exec', name, process.execPath, script], { input: JSON.stringify(input), timeoutMs });
      return JSON.parse(r.stdout) as unknown;
    },
    async remove() {
      await ip(['netns', 'delete', name]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function netnsExists(name: string): Promise<boolean> {
  const r = await ip(['netns', 'list']);
  return r.stdout.split('\n').some((l) => l.split(' ')[0] === name);
}

/**
 * Our STUN module as plain ESM (it imports only node builtins), so a node child inside the
 * namespace runs the very same code; plus a probe script that calls sendBindingCheck with stdin JSON.
 */
export function writeStunProbe(dir: string): string {
  const source = readFileSync(join(repoRoot, 'src/cluster/stun.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(join(dir, 'stun.mjs'), js);
  const probe = join(dir, 'probe.mjs');
  writeFileSync(
    probe,
    `import { sendBindingCheck } from './stun.mjs';
let text = '';
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
if (input.tieBreaker !== undefined) input.tieBreaker = BigInt(input.tieBreaker);
const result = await sendBindingCheck(input);
process.stdout.write(JSON.stringify(result));
`,
  );
  return probe;
}
