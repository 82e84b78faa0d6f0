import type { Command } from 'commander';
import { notAvailableYet } from './notyet.js';

export function defineUninstall(program: Command): void {
  program
    .command('uninstall')
    .description('remove what apply installed (keeps data volumes unless --delete-data)')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('--delete-data', 'also delete PersistentVolumeClaims')
    .option('--dry-run', 'print the plan, change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(() => notAvailableYet('uninstall'));
}
