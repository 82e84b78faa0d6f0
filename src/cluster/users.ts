/**
 * `users add|remove|list|passwd` for auth.mode accounts: prosody's own `prosodyctl` in the prosody
 * pod, run through the API server's exec (no kubectl, no shell). A password travels only on the
 * exec's stdin — prosodyctl reads it from its "Enter new password" / "Retype" prompt (0.12,
 * util/human/io.lua read_password: two lines) — never on argv, so it is in no process list, API
 * server log or event.
 *
 * Facts (prosody 0.12 as in Debian and the jitsi/prosody image of chart 3.4.0): the image's config is
 * /config/prosody.cfg.lua with data_path /config/data (docker-jitsi-meet); accounts of a secure domain
 * live on the main XMPP domain (meet.jitsi, internal_hashed); `adduser JID` refuses an existing user,
 * `passwd JID` a missing one, `unregister USER HOST` removes one (0.12's `deluser` returns 1 even on
 * success); account files are <data>/<host, %-encoded>/accounts/<user, %-encoded>.dat.
 */
import type { Config } from '../config/schema.js';
import { CommandError, UsageError } from '../errors.js';
import { XMPP_DOMAIN } from '../render/auth.js';
import { componentSelector, MAIN_CONTAINER } from './jvb.js';
import type { Kube } from './kube.js';

/** Where the prosody image keeps its config and data (tests point them at a prosody of their own). */
export interface ProsodyPaths {
  config: string;
  data: string;
}
export const IMAGE_PROSODY_PATHS: ProsodyPaths = { config: '/config/prosody.cfg.lua', data: '/config/data' };

export interface UsersTarget {
  kube: Pick<Kube, 'pods' | 'exec'>;
  namespace: string;
  release: string;
  /** the XMPP domain accounts live on (default the chart's meet.jitsi) */
  domain?: string;
  paths?: ProsodyPaths;
}

/** A user name prosody accepts as the local part of a JID (nodeprep refuses spaces, @, / and more). */
export function checkUserName(name: string): string {
  const n = name.trim();
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(n)) throw new UsageError(`"${name}" is not a user name`, 'letters, digits, . _ - (at most 64), starting with a letter or digit');
  return n.toLowerCase();
}

/** accounts mode only: the other modes have no accounts to manage. */
export function requireAccounts(config: Config, configPath: string): void {
  if (config.auth.mode === 'accounts') return;
  throw new UsageError(
    `${configPath}: auth.mode is ${config.auth.mode}: users are for auth.mode accounts`,
    config.auth.mode === 'jwt' ? 'a jwt deployment has no accounts: mint a token with `jitsi-k8s token`' : 'set auth.mode: accounts in the config and run `jitsi-k8s apply`, then add users',
  );
}

/** The Ready prosody pod of the release, or a CommandError saying why there is none. */
export async function prosodyPod(t: UsersTarget): Promise<string> {
  const pods = await t.kube.pods(t.namespace, componentSelector(t.release, 'prosody'));
  if (pods.length === 0) {
    throw new CommandError(`no prosody pod of release ${t.release} in namespace ${t.namespace}`, 'is the release installed? (`jitsi-k8s status`; check --namespace / the config)');
  }
  const ready = pods.find((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!ready) {
    const p = pods[0]!;
    throw new CommandError(`prosody is not ready (pod ${p.metadata?.name}: ${p.status?.phase ?? 'unknown'})`, 'wait until `jitsi-k8s status` shows prosody ready, then run this again');
  }
  return ready.metadata!.name!;
}

async function prosodyctl(t: UsersTarget, pod: string, args: string[], stdin?: string) {
  const paths = t.paths ?? IMAGE_PROSODY_PATHS;
  return t.kube.exec(t.namespace, pod, MAIN_CONTAINER, ['prosodyctl', '--config', paths.config, ...args], stdin === undefined ? {} : { stdin });
}

/** prosodyctl's own words, without its password prompts. */
function said(out: { stdout: string; stderr: string }): string {
  return `${out.stdout}\n${out.stderr}`
    .split('\n')
    .map((l) => l.replace(/(Enter new password|Retype new password): ?/g, '').replace(/\x1b\[[0-9;]*m/g, '').trim())
    .filter(Boolean)
    .join('; ');
}

function checkPassword(password: string): string {
  if (password.includes('\n') || password.includes('\r')) throw new UsageError('the password is one line', 'give it without line breaks');
  if (password.length < 8) throw new UsageError('the password is too short (at least 8 characters)', 'choose a longer one');
  return password;
}

export async function addUser(t: UsersTarget, name: string, password: string): Promise<{ jid: string }> {
  const user = checkUserName(name);
  const pw = checkPassword(password);
  const jid = `${user}@${t.domain ?? XMPP_DOMAIN}`;
  const pod = await prosodyPod(t);
  const r = await prosodyctl(t, pod, ['adduser', jid], `${pw}\n${pw}\n`);
  if (r.exitCode !== 0) {
    const why = said(r);
    if (/already exists/i.test(why)) throw new UsageError(`user ${user} already exists`, `change the password with \`jitsi-k8s users passwd ${user}\`, or remove it first`);
    throw new CommandError(`prosodyctl adduser ${jid} failed (exit ${r.exitCode}): ${why || 'no output'}`, `look at the prosody pod: kubectl logs -n ${t.namespace} ${pod}`);
  }
  return { jid };
}

export async function changePassword(t: UsersTarget, name: string, password: string): Promise<{ jid: string }> {
  const user = checkUserName(name);
  const pw = checkPassword(password);
  const jid = `${user}@${t.domain ?? XMPP_DOMAIN}`;
  const pod = await prosodyPod(t);
  const r = await prosodyctl(t, pod, ['passwd', jid], `${pw}\n${pw}\n`);
  if (r.exitCode !== 0) {
    const why = said(r);
    if (/does not exist/i.test(why)) throw new UsageError(`no user ${user}`, `add it with \`jitsi-k8s users add ${user}\``);
    throw new CommandError(`prosodyctl passwd ${jid} failed (exit ${r.exitCode}): ${why || 'no output'}`, `look at the prosody pod: kubectl logs -n ${t.namespace} ${pod}`);
  }
  return { jid };
}

export async function removeUser(t: UsersTarget, name: string): Promise<{ jid: string }> {
  const user = checkUserName(name);
  const host = t.domain ?? XMPP_DOMAIN;
  const pod = await prosodyPod(t);
  const r = await prosodyctl(t, pod, ['unregister', user, host]);
  if (r.exitCode !== 0) {
    const why = said(r);
    if (/does not exist|no such user/i.test(why)) throw new UsageError(`no user ${user}`, '`jitsi-k8s users list` shows the accounts');
    throw new CommandError(`prosodyctl unregister ${user} ${host} failed (exit ${r.exitCode}): ${why || 'no output'}`, `look at the prosody pod: kubectl logs -n ${t.namespace} ${pod}`);
  }
  return { jid: `${user}@${host}` };
}

/** prosody's datamanager file names: every character but letters and digits as %xx, lowercase hex. */
export const encodePath = (s: string): string => s.replace(/[^a-zA-Z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
const decodePath = (s: string): string => s.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

export async function listUsers(t: UsersTarget): Promise<string[]> {
  const paths = t.paths ?? IMAGE_PROSODY_PATHS;
  const dir = `${paths.data}/${encodePath(t.domain ?? XMPP_DOMAIN)}/accounts`;
  const pod = await prosodyPod(t);
  const r = await t.kube.exec(t.namespace, pod, MAIN_CONTAINER, ['ls', '-1', '--', dir]);
  if (r.exitCode !== 0) {
    // no account was ever made: prosody has not created the folder yet
    if (/No such file or directory/i.test(r.stderr)) return [];
    throw new CommandError(`listing ${dir} in ${pod} failed (exit ${r.exitCode}): ${r.stderr.trim() || 'no output'}`, `look at the prosody pod: kubectl logs -n ${t.namespace} ${pod}`);
  }
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.endsWith('.dat'))
    .map((l) => decodePath(l.slice(0, -'.dat'.length)))
    .sort();
}
