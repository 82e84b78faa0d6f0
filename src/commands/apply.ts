import type { Command } from 'commander';
import { notAvailableYet } from './notyet.js';

export function defineApply(program: Command): void {
  program
    .command('apply')
    .description('install or upgrade Jitsi from jitsi-k8s.yaml (preflight, helm, extra manifests, wait)')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('--dry-run', 'print the plan (secrets redacted), change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(() => notAvailableYet('apply'));
}
