/** Small time helpers of a step: abortable waits and bounded promises. */
import { setTimeout as delay } from 'node:timers/promises';

/** Waits ms, or less when the signal aborts; never throws. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return;
  // the only rejection is the abort, which ends the wait early by design
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/** Resolves when the signal aborts (never otherwise). */
export function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** p, or an error naming `what` after ms; the timer goes as soon as p settles. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const settled = new AbortController();
  const late = delay(ms, undefined, { signal: settled.signal }).then(() => {
    throw new Error(`${what} took longer than ${ms}ms`);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    settled.abort(); // Promise.race already handles the AbortError this gives `late`
  }
}

/** The first line of an error's message. */
export const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
