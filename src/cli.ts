/**
 * The commander program. The only place that calls process.exit.
 * Command files are light (commander only); each loads zod and its heavy modules inside its action,
 * so `--help` loads nothing but commander and `render` never loads puppeteer or @kubernetes/client-node.
 */
import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { CommandError, InterruptedError, ThresholdsFailedError, UsageError, exitCodeOf } from './errors.js';
import { defineInit } from './commands/init.js';
import { defineApply } from './commands/apply.js';
import { defineRender } from './commands/render.js';
import { defineScale } from './commands/scale.js';
import { defineStatus } from './commands/status.js';
import { defineVerify } from './commands/verify.js';
import { defineUninstall } from './commands/uninstall.js';
import { defineBench } from './commands/bench.js';
import { defineToken } from './commands/token.js';
import { defineUsers } from './commands/users.js';
import { packageVersion } from './version.js';
import { installStopSignals, interruptedBy, STOP_EXIT_CODES } from './interrupt.js';
import { isTerminal, writeErr, writeOut } from './ui/stdio.js';

/** Environment that decides commander's colours whatever the stream (its useColor()). */
const COLOR_ENV = ['NO_COLOR', 'FORCE_COLOR', 'CLICOLOR_FORCE'];

/**
 * Output through src/ui/stdio.ts; commander asks a stream for its width and colours only when it is a terminal
 * (or the environment decides the colours): for a file, a pipe or /dev/null its defaults make no stream.
 */
function configureOutput(program: Command): void {
  // commander's defaults (a copy: configureOutput() replaces the object it returns)
  const base = { ...program.configureOutput() } as Required<OutputConfiguration>;
  const colorEnv = () => COLOR_ENV.some((name) => process.env[name] !== undefined);
  program.configureOutput({
    writeOut,
    writeErr,
    // commander's own fallback width
    getOutHelpWidth: () => (isTerminal(1) ? base.getOutHelpWidth() : 80),
    getErrHelpWidth: () => (isTerminal(2) ? base.getErrHelpWidth() : 80),
    getOutHasColors: () => (isTerminal(1) || colorEnv() ? base.getOutHasColors() : false),
    getErrHasColors: () => (isTerminal(2) || colorEnv() ? base.getErrHasColors() : false),
  });
}

/** The program; with `only`, the one command the run needs (the others' options and help texts cost every start). */
export function buildProgram(only?: string): Command {
  const program = new Command('jitsi-k8s')
    .description('Install, operate and load-test Jitsi Meet on your own Kubernetes cluster.')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'show stack traces and subprocess details')
    .option('-q, --quiet', 'only errors and data on the terminal')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .hook('preAction', async (thisCommand) => {
      // the logger loads when a command runs: --help needs only commander
      const { colorWanted, createLogger, loadColors, setLogger } = await import('./ui/log.js');
      const g = thisCommand.opts<{ debug?: boolean; quiet?: boolean; color?: boolean }>();
      const colors = await loadColors(g.color !== false && colorWanted());
      setLogger(createLogger({ debug: g.debug, quiet: g.quiet, colors }));
    });
  configureOutput(program);
  for (const [name, define] of Object.entries(COMMANDS)) if (only === undefined || name === only) define(program);
  return program;
}

/** The program's commands, in the order --help lists them. */
const COMMANDS: Record<string, (program: Command) => void> = {
  init: defineInit,
  apply: defineApply,
  render: defineRender,
  scale: defineScale,
  status: defineStatus,
  verify: defineVerify,
  uninstall: defineUninstall,
  bench: defineBench,
  token: defineToken,
  users: defineUsers,
};
/** The global flags (none takes a value). */
const GLOBAL_FLAGS = new Set(['--debug', '-q', '--quiet', '--no-color']);

/**
 * The command argv runs when it names one of ours right after the global flags; anything else (--help, -V,
 * `help`, an unknown word, an unknown flag) undefined, for which the whole program is built.
 */
export function commandOf(argv: string[]): string | undefined {
  const first = argv.slice(2).find((a) => !GLOBAL_FLAGS.has(a));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

async function report(err: unknown, debug: boolean): Promise<number> {
  // an interrupted run exits 128 + the number of the signal that stopped it (Ctrl-C: 130)
  const code = err instanceof InterruptedError ? STOP_EXIT_CODES[interruptedBy() ?? 'SIGINT'] : exitCodeOf(err);
  const logger = (await import('./ui/log.js')).log();
  if (err instanceof InterruptedError) {
    logger.error(err.message);
  } else if (err instanceof ThresholdsFailedError) {
    logger.error(err.message, err.hint);
  } else if (err instanceof UsageError || err instanceof CommandError) {
    logger.error(err.message, err.hint);
    if (err instanceof CommandError && err.details && debug) logger.line(err.details);
    if (debug && err.stack) logger.line(err.stack);
  } else {
    const e = err instanceof Error ? err : new Error(String(err));
    logger.error(`internal error: ${e.message}`, 'this is a bug in jitsi-k8s; please report it with the output of --debug');
    logger.line(e.stack ?? '');
  }
  return code;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram(commandOf(argv));
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not failures; commander already printed its message
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    return await report(err, debug);
  }
}

installStopSignals((code) => process.exit(code));

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
