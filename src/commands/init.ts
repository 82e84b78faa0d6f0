import type { Command } from 'commander';
import { notAvailableYet } from './notyet.js';

export function defineInit(program: Command): void {
  program
    .command('init')
    .description('interactive wizard: choose, write jitsi-k8s.yaml, install, verify')
    .option('-c, --config <file>', 'pre-fill from this config file')
    .option('-y, --yes', 'ask nothing; take flags, the config file and defaults')
    .action(() => notAvailableYet('init'));
}
