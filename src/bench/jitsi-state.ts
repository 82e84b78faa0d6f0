/**
 * What a Jitsi Meet page says about its own join, read in the page each sample interval.
 * Names are facts from Jitsi's public source (jitsi-meet master, 2026-11: Redux slices
 * `features/base/conference` (reducer.ts @011a2d4), `features/base/connection`, `features/lobby`
 * (reducer.ts @00221b7), the unsupported-browser page's CSS namespace; lib-jitsi-meet master,
 * 2026-11: JitsiConferenceErrors.ts @05162cf, JitsiConnectionErrors.ts @3e23dde,
 * JitsiConferenceEvents KICKED). Only the fields below are read; nothing of the app is driven
 * except `JitsiConference.join(password)` for a locked room.
 */

/** lib-jitsi-meet JitsiConferenceErrors values the join decision tells apart. */
export const CONFERENCE_ERRORS = {
  authenticationRequired: 'conference.authenticationRequired',
  accessDenied: 'conference.connectionError.accessDenied',
  displayNameRequired: 'conference.display_name_required',
  destroyed: 'conference.destroyed',
  iceFailed: 'conference.iceFailed',
  maxUsers: 'conference.max_users',
  membersOnly: 'conference.connectionError.membersOnly',
  notAllowed: 'conference.connectionError.notAllowed',
  passwordRequired: 'conference.passwordRequired',
} as const;

/** lib-jitsi-meet JitsiConnectionErrors: the XMPP login was refused (a token or login is needed). */
export const CONNECTION_PASSWORD_REQUIRED = 'connection.passwordRequired';

/** What one read of the page shows. `app` says whose page it is; the rest only for a Jitsi Meet page. */
export interface PageJoinState {
  app: 'jitsi' | 'loopback' | 'none';
  /** document.readyState is complete */
  loaded: boolean;
  /** the app shows its unsupported-browser page, or lib-jitsi-meet says WebRTC is unsupported */
  unsupported?: boolean;
  /** features/base/conference.conference is set: the conference is joined */
  joined?: boolean;
  /** features/base/conference.iceConnected: the media transport to the bridge is connected */
  iceConnected?: boolean;
  /** features/base/conference.error.name (a JitsiConferenceErrors value) */
  conferenceError?: string;
  /** features/base/connection.error.name (a JitsiConnectionErrors value) */
  connectionError?: string;
  /** features/base/conference.lobbyWaitingForHost: members-only room with no moderator yet */
  lobbyWaitingForHost?: boolean;
  /** features/lobby.knocking: waiting in the lobby to be let in */
  knocking?: boolean;
  /** features/base/conference.passwordRequired is set: the room is locked */
  passwordRequired?: boolean;
  /** the conference emitted KICKED (conference.kicked) in this tab */
  kicked?: boolean;
  /** the loopback conference page's own state (this project's page, not Jitsi) */
  loopback?: { state: string; errors: string[]; peers: number; connections?: Record<string, string> };
}

/** Runs in the page (serialised: uses nothing outside its body). */
export function readPageJoinState(): PageJoinState {
  const w = window as unknown as Record<string, any>;
  const loaded = document.readyState === 'complete';
  const own = w.__jk8sPage as { state: string; errors: string[]; peers: number; connections?: Record<string, string> } | undefined;
  if (own) return { app: 'loopback', loaded, loopback: { state: own.state, errors: own.errors.slice(0, 3), peers: own.peers, connections: { ...own.connections } } };
  const unsupported = Boolean(document.querySelector('.unsupported-desktop-browser')) || w.JitsiMeetJS?.isWebRtcSupported?.() === false;
  const store = w.APP?.store;
  if (!store || typeof store.getState !== 'function') return { app: 'none', loaded, ...(unsupported ? { unsupported } : {}) };
  const state = store.getState();
  const conference = state['features/base/conference'] ?? {};
  const connection = state['features/base/connection'] ?? {};
  const lobby = state['features/lobby'] ?? {};
  const joined = conference.conference;
  if (joined && typeof joined.on === 'function' && !w.__jk8sKickWatch) {
    w.__jk8sKickWatch = true;
    // the app navigates away after a kick: remember it for this tab
    joined.on('conference.kicked', () => {
      w.__jk8sKicked = true;
      try {
        sessionStorage.setItem('jk8s-kicked', '1');
      } catch {
        // storage may be off; the window flag still holds until navigation
      }
    });
  }
  let kicked = w.__jk8sKicked === true;
  try {
    kicked ||= sessionStorage.getItem('jk8s-kicked') === '1';
  } catch {
    // no storage: only this document's flag counts
  }
  const name = (e: unknown) => (e && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : undefined);
  return {
    app: 'jitsi',
    loaded,
    unsupported,
    joined: Boolean(joined),
    iceConnected: conference.iceConnected === true,
    conferenceError: name(conference.error),
    connectionError: name(connection.error),
    lobbyWaitingForHost: conference.lobbyWaitingForHost === true,
    knocking: lobby.knocking === true,
    passwordRequired: Boolean(conference.passwordRequired),
    kicked,
  };
}

/** Runs in the page: joins the locked conference with the room password (lib-jitsi-meet JitsiConference.join(password)). */
export function enterRoomPassword(password: string): boolean {
  const w = window as unknown as Record<string, any>;
  const locked = w.APP?.store?.getState?.()['features/base/conference']?.passwordRequired;
  if (!locked || typeof locked.join !== 'function') return false;
  locked.join(password);
  return true;
}

/**
 * Installed with the probe: the sampler reads stats and join state in one call; a short timer
 * reads too, so the kick listener is on the conference from its first moments, not the next sample.
 */
export const JOIN_STATE_SCRIPT = `window.__jk8sJoinState = ${readPageJoinState.toString()};\nsetInterval(() => { try { window.__jk8sJoinState(); } catch {} }, 500);`;
