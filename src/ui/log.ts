/** The one stderr logger. stdout is reserved for data (YAML, --json, report paths). */
import { isTerminal, writeErr } from './stdio.js';

/** ANSI codes (open, close) of the styles the CLI uses. */
const STYLES = { green: [32, 39], yellow: [33, 39], red: [31, 39], cyan: [36, 39], gray: [90, 39], dim: [2, 22] } as const;

export type Colors = Record<keyof typeof STYLES, (text: string) => string>;

/**
 * The styles as chalk 5 wrote them at level 1 (a close inside the text reopens the style, a line break is closed
 * and reopened around), without chalk: its import loads node:tty and node:net to guess a colour level that the
 * logger sets itself, some milliseconds of every `render`.
 */
export function colorsFor(on: boolean): Colors {
  const style = ([openCode, closeCode]: readonly [number, number]) => {
    const open = `\u001B[${openCode}m`;
    const close = `\u001B[${closeCode}m`;
    return (text: string) => {
      if (!on || !text) return text;
      const inner = text.includes('\u001B') ? text.replaceAll(close, `${close}${open}`) : text;
      return `${open}${inner.replace(/\r?\n/g, (lineBreak) => `${close}${lineBreak}${open}`)}${close}`;
    };
  };
  return Object.fromEntries(Object.entries(STYLES).map(([name, codes]) => [name, style(codes)])) as Colors;
}

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
  const colors = colorsFor(opts.color ?? colorWanted());
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
