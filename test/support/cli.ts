/** Runs the built bin as a user would: its own process, CI=1, NO_COLOR=1, no stdin. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
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

/** Like cli(), without blocking the event loop (needed when the test process also serves a fake API). */
export async function cliAsync(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const { execa } = await import('execa');
  const r = await execa(process.execPath, [cliBin, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: undefined, ...opts.env },
    extendEnv: false,
    input: opts.input ?? '',
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** `init` without questions and without applying: a config for `namespace` at `out`, domain meet.test.invalid; `more` are its other flags. */
export const initArgs = (out: string, namespace: string, more: string[]): string[] => [
  'init',
  '--yes',
  '--no-apply',
  '--out',
  out,
  '--domain',
  'meet.test.invalid',
  '--namespace',
  namespace,
  ...more,
];

/** The files a run left in a folder that was also its HOME, besides the bin's code cache (~/.cache/jitsi-k8s/v8). */
export function writtenIn(dir: string): string[] {
  const files = readdirSync(dir);
  if (files.includes('.cache') && readdirSync(join(dir, '.cache')).join() === 'jitsi-k8s' && readdirSync(join(dir, '.cache', 'jitsi-k8s')).join() === 'v8') {
    return files.filter((f) => f !== '.cache');
  }
  return files;
}
