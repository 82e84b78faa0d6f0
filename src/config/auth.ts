/** What each auth mode means, in words the wizard, summary, apply and README share. Pure. */
import type { AuthMode, Config } from './schema.js';

/** What each mode means, in one line. */
export const AUTH_MEANING: Record<AuthMode, string> = {
  open: 'anyone who can reach the site starts meetings on your bridges',
  accounts: 'only members with an account (`jitsi-k8s users add`) start meetings',
  jwt: 'only holders of a signed token (`jitsi-k8s token`, or your app) start meetings',
};

/** The warning (on auth.mode) the wizard, its summary and apply print for an open site. */
export const OPEN_WARNING = 'open: anyone who finds the site can start meetings on your bridges — set auth.mode accounts or jwt (README "Who may start a meeting")';

/** One line for the summary and the notes. */
export function authLine(c: Config): string {
  if (c.auth.mode === 'open') return `open — ${AUTH_MEANING.open}`;
  return `${c.auth.mode} — ${AUTH_MEANING[c.auth.mode]}; ${c.auth.guests ? 'guests may join a room once it is opened' : 'no guests'}`;
}
