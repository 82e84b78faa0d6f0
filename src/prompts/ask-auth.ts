/** Questions about who may start a meeting: auth mode, guests, the JWT app id, the accounts volume size. */
import { AUTH_MODES, type AuthMode } from '../config/choices.js';
import { AUTH_MEANING } from '../config/auth.js';
import type { Prompter } from './prompter.js';

export async function askAuth(p: Prompter, current: AuthMode): Promise<AuthMode> {
  p.note(`Who may start a meeting? "open" means ${AUTH_MEANING.open} — an open Jitsi is found and abused within days.`);
  return p.select({
    name: 'auth',
    message: 'Who may start a meeting?',
    choices: AUTH_MODES.map((m) => ({ value: m, name: `${m} — ${AUTH_MEANING[m]}` })),
    default: current,
  });
}

export async function askGuests(p: Prompter, current: boolean): Promise<boolean> {
  p.note('Guests: once a member or token holder opened a room, may others join it without credentials?');
  return p.confirm({ name: 'guests', message: 'Let guests join opened rooms?', default: current });
}

export async function askJwtAppId(p: Prompter, current: string): Promise<string> {
  p.note('JWT app id: the `iss` your tokens carry (JWT_APP_ID). The app secret is generated into the 0600 secrets file (or JWT_APP_SECRET on first use).');
  return p.input({
    name: 'jwtAppId',
    message: 'JWT app id',
    default: current,
    validate: (v) => (/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(v) ? true : 'letters, digits and . _ : / - (no commas or spaces)'),
  });
}

export async function askAccountsSize(p: Prompter, current: string): Promise<string> {
  p.note('Accounts live in prosody: they need a volume (kept on uninstall, like recordings).');
  return p.input({
    name: 'accountsSize',
    message: 'Accounts volume size',
    default: current,
    validate: (v) => (/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/.test(v) ? true : 'a size such as 1Gi'),
  });
}
