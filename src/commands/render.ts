import type { Command } from 'commander';
import { notAvailableYet } from './notyet.js';

export function defineRender(program: Command): void {
  program
    .command('render')
    .description('turn jitsi-k8s.yaml into chart values and extra manifests (no cluster needed)')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('-o, --out <dir>', 'output folder, or - for stdout', '-')
    .action(() => notAvailableYet('render'));
}
