/**
 * How ari-meetme names what it creates in Asterisk, so that a restarted app can tell its own
 * bridges and channels apart and find the conference each belongs to.
 */
export const CONFERENCE_BRIDGE_PREFIX = 'meetme-conf:';
/** Per-caller bridges of the app mixer: `meetme-leg:<number>:<participant>`. */
export const LEG_BRIDGE_PREFIX = 'meetme-leg:';
/** Our externalMedia channel ids, so their StasisStart is never taken for a caller. */
export const MEDIA_CHANNEL_PREFIX = 'meetme-media-';
