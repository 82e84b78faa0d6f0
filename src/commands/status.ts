import type { Command } from 'commander';
import { notAvailableYet } from './notyet.js';

export function defineStatus(program: Command): void {
  program
    .command('status')
    .description('one view of the installation: components, bridges, load')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('--context <name>', 'kubeconfig context')
    .option('-n, --namespace <ns>', 'namespace')
    .option('--json', 'print the status object as JSON')
    .option('-w, --watch', 'refresh every few seconds until Ctrl-C')
    .action(() => notAvailableYet('status'));
}
