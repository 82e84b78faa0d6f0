import type { Command } from 'commander';
import { notAvailableYet } from './notyet.js';

export function defineBench(program: Command): void {
  program
    .command('bench')
    .description('load-test with real browsers; record JVB CPU, stress and packet loss')
    .option('--participants <n>', 'participants to join')
    .action(() => notAvailableYet('bench'));
}
