/** The one stderr logger. stdout is reserved for data (YAML, --json, report paths). */
import { Chalk, type ChalkInstance } from 'chalk';

export interface LogOptions {
  quiet?: boolean;
  debug?: boolean;
  color?: boolean;
}

export interface Logger {
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string, hint?: string): void;
  debug(message: string): void;
  /** Plain lines for summaries and tables (still stderr). */
  line(message?: string): void;
  readonly colors: ChalkInstance;
  readonly quiet: boolean;
  readonly isDebug: boolean;
}

export function colorWanted(stream: NodeJS.WriteStream = process.stderr, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

export function createLogger(opts: LogOptions = {}, write: (s: string) => void = (s) => process.stderr.write(s)): Logger {
  const colors = new Chalk({ level: (opts.color ?? colorWanted()) ? 1 : 0 });
  const quiet = Boolean(opts.quiet);
  const isDebug = Boolean(opts.debug);
  return {
    colors,
    quiet,
    isDebug,
    info: (m) => {
      if (!quiet) write(`${m}\n`);
    },
    success: (m) => {
      if (!quiet) write(`${colors.green('✔')} ${m}\n`);
    },
    warn: (m) => write(`${colors.yellow('warning:')} ${m}\n`),
    error: (m, hint) => {
      write(`${colors.red('error:')} ${m}\n`);
      if (hint) write(`${colors.cyan('hint:')} ${hint}\n`);
    },
    debug: (m) => {
      if (isDebug) write(`${colors.gray(`debug: ${m}`)}\n`);
    },
    line: (m = '') => {
      if (!quiet) write(`${m}\n`);
    },
  };
}

let current: Logger | undefined;
/** The process-wide logger, configured once by cli.ts from the global flags. */
export function log(): Logger {
  current ??= createLogger();
  return current;
}
export function setLogger(logger: Logger): void {
  current = logger;
}
