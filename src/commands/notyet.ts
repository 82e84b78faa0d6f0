import { CommandError } from '../errors.js';

/** For commands whose implementation has not landed yet: say so plainly, exit 1. */
export function notAvailableYet(name: string): never {
  throw new CommandError(`\`jitsi-k8s ${name}\` is not available in this version yet`, 'see README.md for the commands that work today');
}
