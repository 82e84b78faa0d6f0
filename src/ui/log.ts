/** The one stderr logger. stdout is reserved for data (YAML, --json, report paths). */
import { isTerminal, writeErr } from './stdio.js';

const STYLES = ['green', 'yellow', 'red', 'cyan', 'gray', 'dim'] as const;

/** The styles the CLI uses: chalk's (see loadColors), or the text as it is when colour is off. */
export type Colors = Record<(typeof STYLES)[number], (text: string) => string>;

const PLAIN: Colors = Object.fromEntries(STYLES.map((name) => [name, (text: string) => text])) as Colors;

/**
 * chalk when colour is on, loaded only then: its import guesses a colour level (node:tty and node:net),
 * some milliseconds that a piped or NO_COLOR `render` does not pay. Level 1 (16 colours) as before.
 */
export async function loadColors(on: boolean): Promise<Colors> {
  if (!on) return PLAIN;
  const { Chalk } = await import('chalk');
  return new Chalk({ level: 1 });
}

export interface LogOptions {
  quiet?: boolean;
  debug?: boolean;
  /** from loadColors(); none = no colour */
  colors?: Colors;
}

export interface Logger {
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string, hint?: string): void;
  debug(message: string): void;
  /** Plain lines for summaries and tables (still stderr). */
  line(message?: string): void;
  readonly colors: Colors;
  readonly quiet: boolean;
  readonly isDebug: boolean;
}

/** Colour on stderr (or the given stream): NO_COLOR and FORCE_COLOR first, else whether it is a terminal. */
export function colorWanted(stream?: NodeJS.WriteStream, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream ? Boolean(stream.isTTY) : isTerminal(2);
}

export function createLogger(opts: LogOptions = {}, write: (s: string) => void = writeErr): Logger {
  const colors = opts.colors ?? PLAIN;
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
