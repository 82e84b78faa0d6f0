/**
 * Joining Jitsi Meet as a bot: the room URL with config overrides in the hash (docs/bench.md).
 * Jitsi itself cannot run on the project's machines, so this stays small and pure.
 */
import type { ParticipantPlan } from './scenario.js';

export type Overrides = Record<string, string | number | boolean>;

/** The overrides every bot gets, and those that depend on its role. */
export function botOverrides(p: Pick<ParticipantPlan, 'name' | 'role' | 'sendsAudio' | 'lite'>, video: { height: number }, displayName = p.name): Overrides {
  const o: Overrides = {
    'config.prejoinConfig.enabled': false,
    'config.requireDisplayName': false,
    'config.analytics.disabled': true,
    'config.disable1On1Mode': true,
    'config.p2p.enabled': false, // otherwise a 2-person room bypasses the bridge
    'config.testing.testMode': true,
    'config.testing.noAutoPlayVideo': true,
    'config.gatherStats': true,
    'config.disableAEC': true,
    'config.disableNS': true,
    'config.disableAP': true,
    'userInfo.displayName': displayName,
  };
  if (p.role === 'sender') {
    o['config.resolution'] = video.height;
    o['config.constraints.video.height.ideal'] = video.height;
    o['config.constraints.video.height.max'] = video.height;
  } else {
    o['config.startWithVideoMuted'] = true;
  }
  if (!p.sendsAudio) o['config.startWithAudioMuted'] = true;
  if (p.role !== 'sender' && !p.sendsAudio) o['config.disableInitialGUM'] = true;
  if (p.lite) o['config.flags.runInLiteMode'] = true;
  return o;
}

/** `key=value` pairs joined by `&`, each value JSON-encoded then URI-encoded. */
export function encodeOverrides(o: Overrides): string {
  return Object.entries(o)
    .map(([k, v]) => `${k}=${encodeURIComponent(JSON.stringify(v))}`)
    .join('&');
}

/**
 * https://<host>/<room>[?jwt=<token>]#<overrides>; the site URL may carry a path prefix. Jitsi Meet
 * reads a token from the `jwt` query parameter (jitsi-meet base/jwt, 2026).
 */
export function jitsiRoomUrl(
  site: string,
  p: Pick<ParticipantPlan, 'name' | 'room' | 'role' | 'sendsAudio' | 'lite'>,
  video: { height: number },
  extra: { displayName?: string; jwt?: string } = {},
): string {
  const base = new URL(site);
  base.hash = '';
  base.search = '';
  const path = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  const query = extra.jwt ? `?${new URLSearchParams({ jwt: extra.jwt })}` : '';
  return `${base.origin}${path}${encodeURIComponent(p.room)}${query}#${encodeOverrides(botOverrides(p, video, extra.displayName))}`;
}
