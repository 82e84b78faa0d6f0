import type { Command } from 'commander';
import { notAvailableYet } from './notyet.js';

export function defineScale(program: Command): void {
  program
    .command('scale')
    .description('change the number of bridges (jvb), web or jibri pods, the way the chart requires')
    .argument('<component>', 'jvb | web | jibri')
    .argument('[count]', 'new number of pods')
    .option('-c, --config <file>', 'config file', 'jitsi-k8s.yaml')
    .option('--auto', 'turn JVB autoscaling on (hostPort only)')
    .option('--min <n>', 'autoscaling minimum')
    .option('--max <n>', 'autoscaling maximum')
    .option('--cpu <percent>', 'autoscaling CPU target')
    .option('--dry-run', 'print the plan, change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(() => notAvailableYet('scale'));
}
