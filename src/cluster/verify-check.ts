/** What one verify check reports: a verdict, what was seen, and what to do about it. The checks of every probe build these. */
import { CommandError } from '../errors.js';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface VerifyCheck {
  id: string;
  title: string;
  verdict: Verdict;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/** A check that could not run: the error's message (and a CommandError's hint) as a failure. */
export function failFrom(id: string, title: string, e: unknown): VerifyCheck {
  const err = e instanceof Error ? e : new Error(String(e));
  return { id, title, verdict: 'fail', message: err.message, ...(err instanceof CommandError && err.hint ? { hint: err.hint } : {}) };
}
