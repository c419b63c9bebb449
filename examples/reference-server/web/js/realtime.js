// The realtime connection: laravel-echo over pusher-js, configured as the Laravel helpdesk's
// frontend configures it, to this same server, and the connection state the page shows (on
// "connected", queued messages go out). Channel auth proves the user as the API calls do
// (auth.js): import this module only once that is settled.

import { authHeaders } from './auth.js';

const key = document.querySelector('meta[name="pusher-key"]')?.content || '';
const secure = location.protocol === 'https:';
const port = Number(location.port || (secure ? 443 : 80));

/** The Echo instance (`echo.private('support.ticket.1').listen('.chat.message', …)`). */
export const echo = new window.Echo.default({
  broadcaster: 'reverb',
  key,
  wsHost: location.hostname,
  wsPort: port,
  wssPort: port,
  forceTLS: secure,
  enabledTransports: ['ws', 'wss'],
  authEndpoint: '/broadcasting/auth',
  auth: { headers: authHeaders() },
});

const pusher = echo.connector.pusher;
const stateListeners = new Set();
let state = 'connecting';

/** The socket id to send as X-Socket-ID, once connected. */
export function socketId() {
  return echo.socketId() || null;
}

/**
 * Calls `fn(data, userId)` for every whisper `name` on `channel` (its full name,
 * `private-support.ticket.1`), with the id of the user who sent it as the server relays it
 * (`user_id`, the one signed into their subscription), never anything the whisper's data
 * claims. pusher-js hands `user_id` to channel handlers only on presence channels, so this
 * reads it from the connection's events; a whisper without one is ignored.
 */
export function onWhisper(channel, name, fn) {
  const event = `client-${name}`;
  pusher.connection.bind('message', (e) => {
    if (e.event === event && e.channel === channel && e.user_id != null) fn(e.data, String(e.user_id));
  });
}

/** Calls `fn(state)` now and on every change. */
export function onState(fn) {
  stateListeners.add(fn);
  fn(state);
  return () => stateListeners.delete(fn);
}

function setState(next) {
  if (next === state) return;
  state = next;
  for (const fn of stateListeners) fn(state);
}

pusher.connection.bind('state_change', ({ current }) => {
  if (current === 'connected') {
    setState('connected');
  } else if (current === 'connecting' || current === 'initialized') {
    setState(navigator.onLine ? 'connecting' : 'offline');
  } else {
    setState('offline');
  }
});

// The browser knows first when the network goes: drop the socket at once rather than
// waiting for a ping to time out, and reconnect as soon as the network is back (the
// channels subscribe again, and each thread catches up when its subscription succeeds).
window.addEventListener('offline', () => {
  setState('offline');
  pusher.disconnect();
});
window.addEventListener('online', () => pusher.connect());
