/**
 * stdout and stderr written straight to their file descriptors while no one has made Node's streams for them.
 * The first touch of process.stdout or process.stderr loads Node's stream machinery (for a terminal also
 * node:tty and node:net): about 5 ms of CPU, a tenth of a `render` (bench/results/startup-2026-12-07.md).
 * A write to a file or a terminal is synchronous either way, and Node writes to a Linux pipe at once too.
 * Once anything makes a stream (listr2, a prompt, console.log) or a direct write fails (a full non-blocking
 * pipe, a closed reader), that stream takes every later write, so the order of the output stays as written.
 */
import { fstatSync, statSync, writeSync } from 'node:fs';

type Fd = 1 | 2;

const NAMES = { 1: 'stdout', 2: 'stderr' } as const;
/** Whether process.stdout / process.stderr exist: from then on they take every write. */
const streamMade = { 1: false, 2: false };

for (const fd of [1, 2] as const) {
  const own = Object.getOwnPropertyDescriptor(process, NAMES[fd]);
  const made = own?.get;
  if (!made || !own.configurable || process.platform === 'win32') {
    streamMade[fd] = true;
    continue;
  }
  Object.defineProperty(process, NAMES[fd], {
    configurable: true,
    enumerable: own.enumerable,
    get() {
      streamMade[fd] = true;
      return made.call(process);
    },
  });
}

const streamOf = (fd: Fd): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

function write(fd: Fd, text: string): void {
  if (streamMade[fd]) {
    streamOf(fd).write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
  } catch {
    // the stream handles what a plain write cannot (EAGAIN on a non-blocking pipe, EPIPE) as it always did
    streamOf(fd).write(bytes.subarray(done));
  }
}

export const writeOut = (text: string): void => write(1, text);
export const writeErr = (text: string): void => write(2, text);

let devNull: bigint | number | undefined;

/** process.stdout.isTTY / process.stderr.isTTY, without making the stream when it is not a terminal. */
export function isTerminal(fd: Fd): boolean {
  if (streamMade[fd]) return Boolean(streamOf(fd).isTTY);
  try {
    const st = fstatSync(fd);
    // a terminal is a character device; so is /dev/null, where output often goes that nobody reads
    if (!st.isCharacterDevice()) return false;
    devNull ??= statSync('/dev/null').rdev;
    if (st.rdev === devNull) return false;
  } catch {
    return false;
  }
  return Boolean(streamOf(fd).isTTY);
}
