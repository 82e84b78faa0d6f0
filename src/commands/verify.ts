import type { Command } from 'commander';
import { notAvailableYet } from './notyet.js';

export function defineVerify(program: Command): void {
  program
    .command('verify')
    .description('prove the installation works: pods, HTTPS, advertised address, UDP media (STUN)')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('--context <name>', 'kubeconfig context')
    .option('-n, --namespace <ns>', 'namespace')
    .option('--json', 'print the result as JSON')
    .action(() => notAvailableYet('verify'));
}
