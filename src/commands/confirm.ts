import { UsageError } from '../errors.js';

/** Asks yes/no on a terminal; without one (no TTY, CI) refuses and names the flag that confirms. */
export async function confirmOrRefuse(message: string, flag = '--yes'): Promise<boolean> {
  if (!process.stdin.isTTY || process.env.CI) {
    throw new UsageError(`${message} — not confirmed (no terminal to ask on)`, `pass ${flag} to confirm without a prompt`);
  }
  const { inquirerPrompter } = await import('../prompts/prompter.js');
  return inquirerPrompter().confirm({ name: 'confirm', message, default: false });
}
