/**
 * One process-wide abort signal: the first SIGINT (Ctrl-C), SIGTERM or SIGHUP aborts it so running
 * work can stop starting new work, clean up and write what it measured. src/cli.ts owns the signals.
 */
import { InterruptedError } from './errors.js';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The shell's convention: 128 + the signal's number. */
export const STOP_EXIT_CODES: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

// made on first use: Node loads AbortController's module when it is first touched, which --help and render never need
let madeController: AbortController | undefined;
const controller = (): AbortController => (madeController ??= new AbortController());
let stoppedBy: StopSignal | undefined;
let graceMs = 30_000;

export function interruptSignal(): AbortSignal {
  return controller().signal;
}

export function interrupt(by: StopSignal = 'SIGINT'): void {
  if (controller().signal.aborted) return;
  stoppedBy = by;
  controller().abort(new InterruptedError(`interrupted by ${by === 'SIGINT' ? 'Ctrl-C (SIGINT)' : by}`));
}

/** The signal that stopped the run, if any. */
export function interruptedBy(): StopSignal | undefined {
  return stoppedBy;
}

/** How long cleanup may take after the first signal before the process leaves anyway (per command). */
export function setStopGrace(ms: number): void {
  graceMs = ms;
}

export function stopGraceMs(): number {
  return graceMs;
}

/** Throws InterruptedError when the user has pressed Ctrl-C or the process got SIGTERM/SIGHUP. */
export function throwIfInterrupted(signal: AbortSignal = controller().signal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/**
 * SIGINT, SIGTERM and SIGHUP: the first aborts the interrupt signal (stop starting work, clean up,
 * write what was measured) and leaves anyway once the command's grace bound has passed; a second
 * one leaves at once. Installed by the program's entry points (the CLI, the bundled load
 * generator), which own process.exit and pass it in.
 */
export function installStopSignals(exit: (code: number) => never): void {
  let firstSignal: StopSignal | undefined;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      // second signal: leave now; puppeteer's exit hook and execa's cleanup still kill browsers and helm
      if (firstSignal) exit(STOP_EXIT_CODES[sig]);
      firstSignal = sig;
      interrupt(sig);
      const signalledAt = Date.now();
      // re-read on expiry: cleanup that starts a longer job (a helm rollback) may extend the bound
      const leaveWhenLate = () => {
        const left = signalledAt + stopGraceMs() - Date.now();
        if (left > 0) return void setTimeout(leaveWhenLate, left).unref();
        process.stderr.write(`error: cleanup after ${sig} took longer than ${Math.round(stopGraceMs() / 1000)}s: leaving now\n`);
        exit(STOP_EXIT_CODES[sig]);
      };
      setTimeout(leaveWhenLate, stopGraceMs()).unref();
    });
  }
}
