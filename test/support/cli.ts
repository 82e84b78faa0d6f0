/** Runs the built bin as a user would: its own process, CI=1, NO_COLOR=1, no stdin. */
import { spawnSync } from 'node:child_process';
import { cliBin } from './tools.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; nodeArgs?: string[]; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), cliBin, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: undefined, ...opts.env },
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
