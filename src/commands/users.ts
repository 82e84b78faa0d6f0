import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { targetOptions, type TargetFlags } from './target.js';

type Action = 'add' | 'passwd' | 'remove' | 'list';

/**
 * The password: asked twice on a terminal (masked), else the first line of stdin — never a flag,
 * never printed.
 */
async function readPassword(user: string): Promise<string> {
  if (process.stdin.isTTY && !process.env.CI) {
    const { inquirerPrompter } = await import('../prompts/prompter.js');
    const p = inquirerPrompter();
    const first = await p.password({ name: 'password', message: `password for ${user}`, validate: (v) => (v.length >= 8 ? true : 'at least 8 characters') });
    const again = await p.password({ name: 'passwordAgain', message: 'again' });
    if (again !== first) throw new UsageError('the two passwords differ', 'run the command again');
    return first;
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new UsageError('no password: stdin was empty and is not a terminal', `pipe it in: printf '%s\\n' "$PASSWORD" | jitsi-k8s users add ${user}`);
  return line;
}

async function runUsers(action: Action, name: string | undefined, flags: TargetFlags & { json?: boolean }): Promise<void> {
  const [{ openTarget }, users, { interruptSignal }, { log }] = await Promise.all([import('./target.js'), import('../cluster/users.js'), import('../interrupt.js'), import('../ui/log.js')]);
  const target = await openTarget(flags);
  users.requireAccounts(target.config, flags.config);
  if (name !== undefined) users.checkUserName(name);
  // ask before the cluster is touched
  const password = action === 'add' || action === 'passwd' ? await readPassword(name!) : undefined;
  const t = { kube: await target.kube(interruptSignal()), namespace: target.namespace, release: target.release };
  const logger = log();
  if (action === 'list') {
    const list = await users.listUsers(t);
    process.stdout.write(flags.json ? `${JSON.stringify(list)}\n` : list.map((u) => `${u}\n`).join(''));
    if (!flags.json && list.length === 0) logger.info('no accounts yet: `jitsi-k8s users add NAME`');
    return;
  }
  const done = action === 'add' ? await users.addUser(t, name!, password!) : action === 'passwd' ? await users.changePassword(t, name!, password!) : await users.removeUser(t, name!);
  logger.info(action === 'add' ? `added ${done.jid}: it can now start meetings` : action === 'passwd' ? `changed the password of ${done.jid}` : `removed ${done.jid}`);
}

export function defineUsers(program: Command): void {
  const users = program
    .command('users')
    .description('accounts that may start meetings (auth.mode accounts): prosodyctl in the prosody pod; passwords from a prompt or stdin, never flags');
  const sub = (name: Action, args: string, description: string) => {
    const cmd = targetOptions(users.command(`${name}${args}`).description(description), 'config file (namespace, release, context)').option('-r, --release <name>', 'Helm release name (default: the config\'s)');
    if (name === 'list') cmd.option('--json', 'print the names as a JSON array');
    cmd.action(async (...a: unknown[]) => {
      const userName = name === 'list' ? undefined : (a[0] as string);
      const opts = (a[name === 'list' ? 0 : 1] ?? {}) as TargetFlags & { json?: boolean };
      await runUsers(name, userName, opts);
    });
  };
  sub('add', ' <name>', 'add an account; the password is asked (or read from stdin)');
  sub('passwd', ' <name>', 'change an account\'s password (asked, or read from stdin)');
  sub('remove', ' <name>', 'remove an account');
  sub('list', '', 'list the accounts');
}
